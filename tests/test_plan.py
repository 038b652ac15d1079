"""wom plan end to end on a tiny market: files, exact constraints, verification, CLI, and the
statistical checks (optimiser vs exhaustive grid, raising a bound, the page in Chromium)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.core import tomlio
from sim.core.scenario import scenario_from_dict
from sim.planning.evaluate import Evaluator
from sim.planning.plan import plan
from sim.planning.spec import constraints, parse_plan

from .pages import open_page

FAST = {"replications": 2, "verify_replications": 3, "evaluations": 3, "sensitivity": {}}


def market(**sections) -> dict:
    """300 consumers, 20 days, three tiers with candidates (nano, micro, macro)."""
    data = {
        "name": "tinyplan",
        "seed": 5,
        "replications": 2,
        "market": {"population": 30_000, "consumers": 300, "days": 20},
        "network": {"kind": "powerlaw_cluster", "mean_degree": 6},
        "consumers": {"baseline_p": 3.0},
        "influence": {"conversion": 0.05},
        "marketplace": {"candidates": {"nano": 40, "micro": 20, "mid": 0, "macro": 4, "mega": 0}},
        "budget": {"total": 30_000, "split": {"nano": 0.2, "micro": 0.3, "macro": 0.5}},
        "contracts": {"posts": 1},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


def scenario(**sections):
    return scenario_from_dict(market(**sections), "tinyplan.toml")


def write_file(folder: Path, plan_table: dict | None = None, extra: str = "", **sections) -> Path:
    path = folder / "tinyplan.toml"
    data = market(**sections)
    if plan_table is not None:
        data["plan"] = plan_table
    path.write_text(tomlio.dumps(data) + extra)
    return path


@pytest.fixture(scope="module")
def fast_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "out"
    spec = {**FAST, "tiers": {"micro": {"fixed": 6_000.0}, "macro": {"max": 20_000.0}, "nano": {"min": 1_000.0}}}
    return plan(scenario(), spec, workers=1, out=out)


def test_recommendation_meets_the_constraints_exactly(fast_plan):
    r = fast_plan
    assert sum(r.recommended.values()) == pytest.approx(30_000, abs=1e-6)
    assert r.recommended["micro"] == 6_000.0  # fixed tier held exactly
    assert r.recommended["macro"] <= 20_000 + 1e-9
    assert r.recommended["nano"] >= 1_000 - 1e-9
    assert r.recommended.get("mid", 0.0) == 0.0 and r.recommended.get("mega", 0.0) == 0.0  # no candidates
    cons = constraints(r.spec, r.scenario, 30_000)
    assert cons.holds(r.recommended)
    # every split the search simulated at this total met them too
    search = r.search[r.search["stage"].isin(["search", "local"])]
    tiers = r.scenario.tiers.names
    for _, row in search.iterrows():
        assert cons.holds({t: row[f"allocated_{t}"] for t in tiers}), row


def test_files_and_columns(fast_plan):
    out = fast_plan.out
    for name in ("plan.html", "response_curves.csv", "allocation.csv", "options.csv", "search.csv"):
        assert (out / name).is_file(), name
    curves = pd.read_csv(out / "response_curves.csv")
    for col in (
        "tier",
        "level",
        "spent",
        "unspent",
        "unspent_reason",
        "marginal_roi",
        "incremental_profit_low",
        "seed",
    ):
        assert col in curves.columns
    assert set(curves["scenario_hash"]) == {fast_plan.scenario.content_hash()} and set(curves["seed"]) == {5}
    # fixed micro has no curve; nano and macro have at least 8 levels from 0 to their max
    assert set(curves["tier"]) == {"nano", "macro"}
    for tier, hi in (("nano", 30_000 - 6_000), ("macro", 20_000)):
        levels = curves[curves["tier"] == tier]["allocated"]
        assert levels.min() == 0 and levels.max() == pytest.approx(hi) and levels.nunique() >= 8
    # spend never exceeds what was given, and the gap is explained
    assert (curves["spent"] <= curves["allocated"] + 1e-6).all()
    gap = curves[curves["unspent"] > 0.5]
    assert gap["unspent_reason"].str.len().gt(0).all()
    allocation = pd.read_csv(out / "allocation.csv")
    assert list(allocation["tier"]) == fast_plan.scenario.tiers.names
    assert allocation["recommended"].sum() == pytest.approx(30_000)


def test_options_and_verified_gain(fast_plan):
    r = fast_plan
    o = r.options.set_index("option")
    assert o.loc["spend nothing", "incremental_profit"] == 0 and o.loc["spend nothing", "spent"] == 0
    assert {"current", "recommended"} <= set(o.index) and len(o) >= 3
    # the verified gain is the paired difference on the fresh seeds, its interval around it
    assert r.gain["low"] <= r.gain["mean"] <= r.gain["high"]
    assert o.loc["recommended", "difference_to_current"] == pytest.approx(r.gain["mean"])
    assert r.gain["replications"] == 3
    assert "fresh seeds" in r.sentence and "simulation noise only" in r.sentence


def test_spend_nothing_is_exactly_zero():
    """No roster and no referral: the campaign world is the no-campaign world, draw for draw."""
    with Evaluator(scenario()) as ev:
        out = ev.evaluate([{}], [0, 1])
    assert (out.kpis[["incremental_adopters", "incremental_profit", "spend", "reach"]] == 0).all().all()
    assert (out.kpis["baseline_adopters"] > 0).all()


def test_cli_writes_the_plan(tmp_path, monkeypatch):
    path = write_file(tmp_path, {**FAST, "total_max": 30_000.0, "totals": 3})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["plan", str(path), "--workers", "1", "-r", "2"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "results" / "tinyplan-plan"
    assert {"plan.html", "response_curves.csv", "allocation.csv", "frontier.csv"} <= {p.name for p in out.iterdir()}
    frontier = pd.read_csv(out / "frontier.csv")
    assert frontier["chosen"].sum() == 1 and frontier["total"].iloc[0] == 0
    # choosing the total, wom recommends only money that buys something (to the cent)
    allocation = pd.read_csv(out / "allocation.csv")
    assert (allocation["recommended_unspent"] < 0.01).all()
    assert allocation["recommended"].sum() <= frontier.loc[frontier["chosen"], "total"].iloc[0] + 1e-6
    assert "fresh seeds" in result.output


# --- statistical checks (slow) ----------------------------------------------------------------


def three_tier_grid(step: float = 0.1) -> list[dict[str, float]]:
    n = round(1 / step)
    return [
        {"nano": i * step, "micro": j * step, "macro": (n - i - j) * step}
        for i in range(n + 1)
        for j in range(n + 1 - i)
    ]


def assert_not_worse_beyond_noise(diff: pd.Series, what: str) -> None:
    """Paired differences on common seeds: their mean must not fall below -3 standard errors."""
    se = diff.std(ddof=1) / math.sqrt(diff.size)
    print(f"{what}: {diff.mean():,.0f} (SE {se:,.0f})")
    assert diff.mean() >= -3 * se - 1e-9, what


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["profit", "adopters"])
def test_optimiser_matches_the_exhaustive_grid(objective):
    """On a 3-tier market the verified recommendation is at least as good as the best split of an
    exhaustive 0.1 grid (chosen on the same search seeds), within 3 paired standard errors."""
    total = 20_000.0  # less than the candidates could take, so the split matters
    sc = scenario(
        budget={"total": total, "split": {"nano": 0.2, "micro": 0.3, "macro": 0.5}},
        marketplace={"candidates": {"nano": 400, "micro": 100, "mid": 0, "macro": 6, "mega": 0}},
    )
    spec = {"objective": objective, "replications": 6, "verify_replications": 12, "evaluations": 12, "sensitivity": {}}
    r = plan(sc, spec, workers=1)
    metric = r.spec.metric
    grid = [{t: share * total for t, share in g.items()} for g in three_tier_grid()]
    grid = [g for g in grid if g["macro"] == 0 or g["macro"] >= 5_000]  # the scenario refuses less than a post
    assert len(grid) >= 40
    with Evaluator(sc) as ev:
        search = ev.evaluate(grid, range(6)).values(metric).mean(axis=1)
        best = grid[int(search.idxmax())]
        verify = range(r.spec.verify_from, r.spec.verify_from + 12)
        both = ev.evaluate([r.recommended, best], verify).values(metric)
    print(f"{objective}: grid best {best}; recommended {r.recommended}")
    assert_not_worse_beyond_noise(both.loc[0] - both.loc[1], "optimiser - grid best")


@pytest.mark.slow
def test_raising_a_tier_max_never_lowers_the_verified_optimum():
    """Metamorphic: a looser bound can only help, so the verified optimum must not drop beyond noise."""
    sc = scenario()
    base = {"replications": 4, "verify_replications": 12, "evaluations": 6, "sensitivity": {}}
    tight = plan(sc, {**base, "tiers": {"nano": {"max": 3_000.0}}}, workers=1)
    loose = plan(sc, {**base, "tiers": {"nano": {"max": 30_000.0}}}, workers=1)
    with Evaluator(sc) as ev:
        values = ev.evaluate([tight.recommended, loose.recommended], range(1000, 1012)).values("incremental_profit")
    assert_not_worse_beyond_noise(values.loc[1] - values.loc[0], "loose - tight")


@pytest.mark.slow
def test_same_numbers_on_any_number_of_workers():
    sc = scenario()
    spec = {**FAST, "sensitivity": {"influence.conversion": [0.02, 0.08]}, "sensitivity_replications": 2}
    one = plan(sc, spec, workers=1)
    two = plan(sc, spec, workers=2)
    assert one.recommended == two.recommended
    pd.testing.assert_frame_equal(one.curves, two.curves)
    pd.testing.assert_frame_equal(one.options, two.options)
    pd.testing.assert_frame_equal(one.sensitivity, two.sensitivity)


@pytest.mark.slow
@pytest.mark.browser
def test_plan_page_in_chromium(fast_plan):
    """The page renders offline, asks for nothing, shows the key numbers and prints on <= 2 A4 pages."""
    shown = open_page(fast_plan.out / "plan.html", "plan")
    text = shown.text
    shown.assert_self_contained()
    gain = f"{fast_plan.gain['mean']:+,.0f}"
    assert gain in text and f"{fast_plan.gain['low']:+,.0f}" in text
    assert "spend nothing" in text and "simulation noise only" in text
    assert fast_plan.sentence.split(":")[0] in text
    assert shown.screenshot.stat().st_size > 10_000


def test_plan_spec_defaults_are_documented():
    """Every [plan] key appears in docs/planning.md with its default."""
    doc = (Path(__file__).parent.parent / "docs" / "planning.md").read_text()
    spec = parse_plan({})
    for key, value in spec.model_dump().items():
        assert f"`{key}" in doc, key
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert f"{value:g}" in doc or f"{value:,}" in doc, (key, value)


@pytest.mark.slow
def test_plain_script_without_main_guard_runs_on_two_workers(tmp_path):
    """sim.plan in a script with no `if __name__ == "__main__":` guard: worker processes must not
    re-run the script (the BrokenProcessPool the plan issue reports for sim.compare)."""
    import subprocess
    import sys

    path = write_file(tmp_path, {**FAST, "evaluations": 1})
    script = tmp_path / "plain.py"
    script.write_text(
        "import sim\n"
        f"r = sim.plan({str(path)!r}, workers=2, out={str(tmp_path / 'out')!r})\n"
        "print('ran once:', r.counts['workers'])\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("ran once: 2") == 1
    assert (tmp_path / "out" / "plan.html").is_file()
