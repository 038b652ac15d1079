"""Scenario files: defaults made visible, templates, hashes, variants, shipped scenarios."""

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.core import defaults as cal
from sim.core.scenario import Scenario, load_scenario, scenario_from_dict

runner = CliRunner()
SCENARIOS = sorted(Path(__file__).parents[1].glob("scenarios/*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_validate_and_round_trip(path):
    sc = load_scenario(path)
    shown = runner.invoke(app, ["scenario", "show", str(path)])
    assert shown.exit_code == 0
    again = scenario_from_dict(tomllib.loads(shown.output))
    assert again.content_hash() == sc.content_hash()  # the resolved file reproduces the scenario


def test_defaults_come_from_calibration_curves():
    tiers = Scenario().tiers.table
    assert tiers["nano"].engagement_rate == pytest.approx(0.0178)  # HypeAuditor 2026
    assert tiers["mega"].trust == pytest.approx(0.46)  # Nielsen 2015, ads on social networks
    assert tiers["nano"].reach_rate == pytest.approx(0.377)  # Minter.io
    names = list(tiers)
    for key in ("engagement_rate", "reach_rate", "trust"):
        values = [getattr(tiers[n], key) for n in names]
        assert values == sorted(values, reverse=True), key  # falls from nano to mega
    assert Scenario().consumers.baseline_p == cal.BASS_P


def test_presets_and_overrides():
    sc = scenario_from_dict(
        {"tiers": {"preset": "later_fohr", "micro": {"trust": 0.9}}, "budget": {"split": {"micro": 1.0}}}
    )
    assert list(sc.tiers.table) == ["micro", "mid", "macro"]
    assert sc.tiers.table["micro"].trust == 0.9
    assert sc.tiers.table["micro"].followers_max == 100_000


def test_hash_ignores_name_and_seed_but_not_content():
    a = Scenario(name="a", seed=1)
    assert a.content_hash() == Scenario(name="b", seed=2).content_hash()
    assert a.content_hash() != Scenario(market={"days": 91}).content_hash()


def test_dotted_overrides_with_did_you_mean():
    sc = Scenario().with_overrides({"tiers.micro.trust": 0.7, "network.kind": "erdos_renyi"})
    assert sc.tiers.table["micro"].trust == 0.7 and sc.network.kind == "erdos_renyi"
    with pytest.raises(ValueError, match="did you mean 'tiers.micro.trust'"):
        Scenario().with_overrides({"tiers.micro.trus": 0.7})


def test_variant_split_replaces_the_base_split():
    sc = scenario_from_dict(
        {
            "budget": {"split": {"micro": 0.5, "macro": 0.5}},
            "variants": {"all_nano": {"budget": {"split": {"nano": 1.0}}}},
        }
    )
    v = sc.variant("all_nano")
    assert v.budget.split["nano"] == 1.0 and v.budget.split["macro"] == 0.0
    assert v.name.endswith("all_nano")


def test_template_is_a_valid_commented_scenario(tmp_path):
    out = tmp_path / "mine.toml"
    result = runner.invoke(app, ["scenario", "new", "mine", "--out", str(out)])
    assert result.exit_code == 0
    text = out.read_text()
    assert text.count("#") > 30  # keys are explained
    assert load_scenario(out).content_hash() == Scenario().content_hash()
    again = runner.invoke(app, ["scenario", "new", "mine", "--out", str(out)])
    assert again.exit_code == 2  # no silent overwrite


# --- one validated entry: as_scenario ------------------------------------------------------------


def test_run_takes_a_path_like_compare_and_validates_overrides(tmp_path):
    import sim
    from sim.core.errors import InputError

    path = tmp_path / "tiny.toml"
    path.write_text("replications = 3\n[market]\nconsumers = 100\npopulation = 1000\ndays = 3\n")
    res = sim.run(path, replications=2, seed=7)
    assert len(res.kpis) == 2 and set(res.kpis["seed"]) == {7} and res.scenario.name == "tiny"
    sc = load_scenario(path)
    with pytest.raises(InputError, match=r"^replications = 0: must be greater than or equal to 1"):
        sim.run(sc, replications=0)
    with pytest.raises(InputError, match=r"^seed = 10{30}: must be less than"):
        sim.run(sc, seed=10**30)
    with pytest.raises(InputError, match="engine = 'fast': must be one of vector, agents"):
        sim.run(sc, engine="fast")
    with pytest.raises(InputError, match="must be a Scenario or a scenario file's path"):
        sim.run({"market": {}})


def test_overrides_are_validated_and_win_over_variants():
    from sim.core.errors import InputError
    from sim.core.scenario import as_scenario

    sc = scenario_from_dict({"variants": {"long": {"replications": 50, "market": {"days": 30}}}})
    out = as_scenario(sc, replications=3, overrides={"market.days": 20})
    assert out.replications == 3 and out.variant("long").replications == 3
    assert out.market.days == 20 and out.variant("long").market.days == 20
    assert sc.replications == 10  # the input is not changed
    with pytest.raises(InputError, match=r"^market.days = 0: must be greater"):
        as_scenario(sc, overrides={"market.days": 0})
    with pytest.raises(InputError, match=r"^market.days = true: must be a whole number"):
        as_scenario(sc, overrides={"market.days": True})
    with pytest.raises(InputError, match="did you mean 'market.days'"):
        as_scenario(sc, overrides={"market.dayz": 3})


def test_the_largest_seed_round_trips_through_the_resolved_file():
    from sim.reporting.outputs import resolved_toml

    sc = Scenario(seed=2**63 - 1, market={"population": 10_000_000_000, "price": 1e6})
    again = scenario_from_dict(tomllib.loads(resolved_toml(sc)))
    assert again.seed == 2**63 - 1 and again.market.population == 10**10
    assert again.content_hash() == sc.content_hash()


def test_a_file_name_that_is_not_a_plain_name_gives_a_plain_default_name(tmp_path):
    path = tmp_path / "my launch (v2).toml"
    path.write_text("seed = 1\n")
    assert load_scenario(path).name == "my_launch_v2_"
    from sim.core.files import plain_name

    assert plain_name("../x") == "x" and plain_name("...") == "scenario" and plain_name(".hidden") == "hidden"


def test_every_numeric_default_is_a_named_constant_of_the_defaults_module():
    from pydantic import BaseModel

    from sim.core import sections

    named = {v for k, v in vars(cal).items() if k.isupper() and isinstance(v, int | float)}
    models = [m for m in vars(sections).values() if isinstance(m, type) and issubclass(m, BaseModel)] + [Scenario]
    literals = [
        f"{m.__name__}.{name}"
        for m in models
        for name, field in m.model_fields.items()
        if isinstance(field.default, int | float) and not isinstance(field.default, bool) and field.default not in named
    ]
    assert literals == []


def test_values_are_finite_strict_and_bounded():
    from sim.core.errors import InputError

    for data, key in [
        ({"market": {"days": True}}, "market.days"),
        ({"budget": {"total": float("inf")}}, "budget.total"),
        ({"budget": {"split": {"micro": float("nan"), "macro": 1.0}}}, "budget.split.micro"),
        ({"tiers": {"micro": {"followers_max": 10**12}}}, "tiers.micro.followers_max"),
        ({"marketplace": {"candidates": {"micro": 100_001}}}, "marketplace.candidates.micro"),
        ({"name": "../x"}, "name"),
    ]:
        with pytest.raises(InputError) as err:
            scenario_from_dict(data, "s.toml")
        assert err.value.key == key


# --- what one machine can take: sim.core.limits -----------------------------------------------


def test_work_and_memory_estimates_follow_the_documented_formula():
    from sim.core import limits

    none = {"nano": 0, "micro": 0, "mid": 0, "macro": 0, "mega": 0}
    base = {"replications": 3, "market": {"consumers": 100, "population": 1000, "days": 10}}
    complete = scenario_from_dict({**base, "network": {"kind": "complete"}, "marketplace": {"candidates": none}})
    assert limits.estimate(complete).work == 3 * 10 * 100 * 20  # no ties: the mean field
    niches = scenario_from_dict({**base, "network": {"mean_degree": 10}, "marketplace": {"candidates": none}})
    est = limits.estimate(niches)
    assert est.work == 3 * 10 * 100 * (10 + 20)
    assert est.memory == 100 * 10 / 2 * 140 + 3 * (2 * 10 + 0 + 5) * 400  # ties while built + tables
    assert limits.estimate(niches, engine="agents").work == limits.AGENTS_FACTOR * est.work
    one = {"nano": 1, "micro": 0, "mid": 0, "macro": 0, "mega": 0}
    posted = scenario_from_dict({**base, "network": {"kind": "complete"}, "marketplace": {"candidates": one}})
    nano = posted.tiers.table["nano"]
    audience = min(100, nano.followers_max * (1 - nano.fake_share) * nano.in_market * 100 / 1000)
    assert limits.estimate(posted).work == pytest.approx(3 * (10 * 100 * 20 + 20 * audience * 1))


def test_the_work_limit_names_itself_and_can_be_raised(monkeypatch):
    from sim.core import limits
    from sim.core.errors import InputError

    big = scenario_from_dict(
        {"replications": 2000, "market": {"consumers": 2_000_000, "population": 2_000_000, "days": 365}}
    )  # 2,000 x 365 days x 2M consumers x (10 ties + 20) = 4.38e13 units
    with pytest.raises(
        InputError, match=r"\(size\).*about 12 hours: over the limit of 4e\+13 units.*WOM_WORK_LIMIT=5e13"
    ):
        limits.check(big, "big.toml")
    monkeypatch.setenv("WOM_WORK_LIMIT", "5e13")
    limits.check(big, "big.toml")  # the user raised it: accepted
    with pytest.raises(InputError, match="4 variants"):
        limits.check([big] * 4, "big.toml", what="this run of 4 variants")


# --- reading TOML safely ------------------------------------------------------------------------


def test_nesting_is_measured_without_recursion_and_limited():
    from sim.core import tomlio
    from sim.core.errors import InputError

    assert tomlio.nesting({"a": 1}) == 1 and tomlio.nesting({"a": {"b": [[1]]}}) == 4
    assert tomlio.nesting(_deep(100_000)) == 100_001  # far deeper than Python's recursion limit
    assert tomlio.loads("a = " + "[" * 49 + "]" * 49, "s.toml") == {"a": _deep_list(48)}
    with pytest.raises(InputError, match="51 levels"):
        tomlio.loads("a = " + "[" * 50 + "]" * 50, "s.toml")
    with pytest.raises(InputError, match="too deep to read"):
        tomlio.loads("a = " + "[" * 50_000 + "]" * 50_000, "s.toml")


def _deep(n):
    node = {}
    for _ in range(n):
        node = {"a": node}
    return node


def _deep_list(n):
    node: list = []
    for _ in range(n):
        node = [node]
    return node


def test_toml_writer_quotes_keys_that_are_not_bare():
    from sim.core import tomlio

    data = {"a": {"café": 1, "x y": 2.5, "": True}, "split": {"micro": 0.5}, "big": 2**63 - 1}
    assert tomllib.loads(tomlio.dumps(data)) == data


def test_every_number_in_a_scenario_has_an_upper_bound():
    """A new numeric key without a bound would let a file ask for more than any machine has."""
    import annotated_types
    from pydantic import BaseModel

    from sim.core import sections

    models = [m for m in vars(sections).values() if isinstance(m, type) and issubclass(m, BaseModel)] + [Scenario]
    unbounded = [
        f"{m.__name__}.{name}"
        for m in models
        for name, field in m.model_fields.items()
        if field.annotation in (int, float, int | None, float | None)
        and not any(isinstance(c, annotated_types.Le | annotated_types.Lt) for c in field.metadata)
    ]
    assert unbounded == []
