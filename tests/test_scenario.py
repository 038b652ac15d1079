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
