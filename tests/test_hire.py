"""wom hire end to end on a tiny market: files, exact budget and tier bounds, verification
reproducible by seed, the [hire] table and the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.core import tomlio
from sim.core.errors import InputError
from sim.core.scenario import scenario_from_dict
from sim.planning.hire import hire, parse_hire

from .badinput import assert_refused, run_wom
from .conftest import small
from .pages import open_page

FAST = {"replications": 2, "verify_replications": 3}
QUICK = {"draws": 8, "checkpoints": 2}


def market(**sections) -> dict:
    base = {
        "name": "tinyhire",
        "market": {"population": 40_000, "consumers": 800, "days": 30},
        "budget": {"total": 6_000, "split": {"nano": 0.3, "micro": 0.4, "mid": 0.3}},
        "contracts": {"posts": 2, "interval_days": 7},
    }
    return small(**{**base, **sections})


def shortlist_text(n: int = 24, seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    tiers = rng.choice(["nano", "micro", "mid"], n, p=[0.5, 0.35, 0.15])
    ranges = {"nano": (1_000, 10_000), "micro": (10_000, 50_000), "mid": (50_000, 150_000)}
    lines = ["handle,tier,followers,fee,er,group"]
    for i, t in enumerate(tiers):
        followers = int(np.exp(rng.uniform(*np.log(ranges[t]))))
        er = "" if i % 5 == 0 else f"{100 * rng.uniform(0.005, 0.03):.2f}%"
        group = "club" if i % 7 == 0 else ""
        lines.append(f"@c{i:02d},{t},{followers},{round(0.01 * followers * rng.lognormal(0, 0.4))},{er},{group}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hire")
    (path / "creators.csv").write_text(shortlist_text())
    return path


@pytest.fixture(scope="module")
def bounded(folder):
    spec = {**FAST, "tiers": {"mid": {"max": 1_500.0}, "micro": {"min": 1_000.0}}}
    sc = scenario_from_dict(market(), "tinyhire.toml")
    return hire(sc, folder / "creators.csv", spec, QUICK, workers=1, out=folder / "out")


def test_the_files_hold_the_roster_comparison_and_frontier(bounded, folder):
    out = folder / "out"
    for name in ("roster.csv", "comparison.csv", "frontier.csv", "hire.html", "figures/frontier.png"):
        assert (out / name).is_file(), name
    assert (out / "figures/frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    roster = pd.read_csv(out / "roster.csv")
    for column in (
        "order",
        "handle",
        "tier",
        "followers",
        "fee",
        "expected_incremental_adopters",
        "marginal_gain_per_usd",
        "unique_reach_added",
        "filled_in",
        "scenario_hash",
        "seed",
    ):
        assert column in roster.columns, column
    assert roster["order"].tolist() == list(range(1, len(roster) + 1))
    comparison = pd.read_csv(out / "comparison.csv").set_index("option")
    assert list(comparison.index) == ["chosen roster", "tier policy", "random roster", "spend nothing"]
    for option in ("chosen roster", "tier policy", "random roster"):
        row = comparison.loc[option]
        assert row["incremental_profit_low"] <= row["incremental_profit"] <= row["incremental_profit_high"]
        assert row["reach_low"] >= 0  # a count's interval never below 0
    page = (out / "hire.html").read_text()
    assert bounded.sentence.split(":")[0] in page and "http" not in page.replace("http-equiv", "")


def test_budget_and_tier_bounds_hold_exactly(bounded):
    roster = bounded.roster
    spent = roster.groupby("tier")["fee"].sum()
    assert roster["fee"].sum() <= bounded.fees + 1e-9 == 6_000.0 + 1e-9
    assert spent.get("mid", 0.0) <= 1_500.0 + 1e-9
    assert spent.get("micro", 0.0) >= 1_000.0 - 1e-9
    comparison = bounded.comparison.set_index("option")
    assert comparison.loc["random roster", "spent"] <= comparison.loc["chosen roster", "spent"] + 1e-9
    # fees in roster.csv are the contracts' real costs (posts x fee per post)
    assert (roster["fee"] == roster["fee_per_post"] * roster["posts"]).all()


def test_every_hire_pays_for_itself_on_the_estimate(bounded):
    """Profit objective: the greedy stops where the next creator's estimated gain is not positive
    (the minimum for micro may force some hires first)."""
    free = bounded.roster[~bounded.roster["handle"].isin(_forced(bounded))]
    assert (free["marginal_gain"] > 0).all()


def _forced(r) -> list[str]:
    micro = r.roster[r.roster["tier"] == "micro"]
    return micro["handle"].head(int((micro["fee"].cumsum() < 1_000.0).sum()) + 1).tolist()


def test_blank_cells_are_reported_per_creator(bounded):
    filled = bounded.roster.set_index("handle")["filled_in"].fillna("")
    for handle, text in filled.items():
        assert ("engagement_rate" in text) == (int(handle[2:]) % 5 == 0), (handle, text)


def test_min_roi_target_holds_for_every_hire(folder):
    sc = scenario_from_dict(market(), "tinyhire.toml")
    r = hire(sc, folder / "creators.csv", {**FAST, "min_roi": 0.5, "total_max": 6_000.0}, QUICK, workers=1)
    assert not r.roster.empty
    assert (r.roster["marginal_gain_per_usd"] >= 0.5 - 1e-9).all()  # profit: gain per USD is marginal ROI


def test_verification_is_reproducible_by_seed_and_changes_with_it(folder, bounded):
    spec = {**FAST, "tiers": {"mid": {"max": 1_500.0}, "micro": {"min": 1_000.0}}}
    again = hire(scenario_from_dict(market(), "tinyhire.toml"), folder / "creators.csv", spec, QUICK, workers=1)
    numbers = bounded.comparison.select_dtypes("number")
    pd.testing.assert_frame_equal(numbers, again.comparison.select_dtypes("number"))
    other = hire(scenario_from_dict(market(seed=12), "tinyhire.toml"), folder / "creators.csv", spec, QUICK, workers=1)
    assert not np.allclose(
        numbers["incremental_adopters"].to_numpy(), other.comparison["incremental_adopters"].to_numpy()
    )


@pytest.mark.slow
def test_the_numbers_do_not_depend_on_the_number_of_workers(folder, bounded):
    spec = {**FAST, "tiers": {"mid": {"max": 1_500.0}, "micro": {"min": 1_000.0}}}
    two = hire(scenario_from_dict(market(), "tinyhire.toml"), folder / "creators.csv", spec, QUICK, workers=2)
    pd.testing.assert_frame_equal(bounded.comparison, two.comparison)
    pd.testing.assert_frame_equal(bounded.frontier, two.frontier)


def test_the_generated_marketplace_is_the_default_candidates():
    sc = scenario_from_dict(market(marketplace={"candidates": {"nano": 12, "micro": 6, "mid": 2}}), "m.toml")
    r = hire(sc, spec={**FAST, "objective": "reach"}, settings=QUICK, workers=1)
    assert r.counts["candidates"] == 20 and not r.roster.empty
    assert r.counts["kappa"] == 1.0  # reach needs no calibration
    assert r.roster["handle"].str.match(r"(nano|micro|mid)-\d{4}").all()


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ({"draws": 0}, "hire.draws = 0: must be greater than or equal to 1"),
        ({"checkpionts": 4}, "did you mean 'checkpoints'"),
        ({"shortlist": 3}, "hire.shortlist = 3"),
    ],
)
def test_a_bad_hire_table_is_one_line(table, fragment):
    with pytest.raises(InputError) as info:
        parse_hire(table, "s.toml")
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_fixed_tiers_and_minimums_without_candidates_are_refused(folder):
    sc = scenario_from_dict(market(), "tinyhire.toml")
    with pytest.raises(InputError, match=r"plan.tiers.micro.fixed = 500.0: wom hire reads min and max"):
        hire(sc, folder / "creators.csv", {"tiers": {"micro": {"fixed": 500.0}}}, QUICK)
    with pytest.raises(InputError, match=r"plan.tiers.macro = \{'min': 5500.0\}: tier has no candidates"):
        hire(sc, folder / "creators.csv", {"tiers": {"macro": {"min": 5_500.0}}}, QUICK)


def write_scenario(folder: Path, **tables) -> Path:
    path = folder / "s.toml"
    path.write_text(tomlio.dumps({**market(name="s"), **tables}))
    return path


def test_the_command_writes_the_roster_and_reads_the_shortlist_beside_the_scenario(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "creators.csv").write_text(shortlist_text(12))
    write_scenario(tmp_path, plan=FAST, hire={**QUICK, "shortlist": "data/creators.csv"})
    result = run_wom(["hire", "s.toml", "--workers", "1", "--out", "out"], tmp_path)
    assert result.code == 0, result.stderr
    assert "estimated gains" in result.stdout and "Hire these" in result.stdout
    roster = pd.read_csv(tmp_path / "out" / "roster.csv")
    assert set(roster["handle"]) <= {f"@c{i:02d}" for i in range(12)}


def test_the_command_refuses_a_foreign_output_folder_before_any_work(tmp_path):
    (tmp_path / "creators.csv").write_text(shortlist_text(12))
    write_scenario(tmp_path, plan=FAST, hire=QUICK)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    assert_refused(["hire", "s.toml", "--shortlist", "creators.csv", "--out", "mine"], tmp_path, ["mine"])


def test_the_command_refuses_bad_options_in_one_line(tmp_path):
    (tmp_path / "creators.csv").write_text(shortlist_text(12))
    write_scenario(tmp_path)
    assert_refused(["hire", "s.toml", "--shortlist", "creators.csv", "-r", "1"], tmp_path, ["replications"])
    assert_refused(["hire", "s.toml", "--shortlist", "nowhere.csv"], tmp_path, ["nowhere.csv"])
    write_scenario(tmp_path, hire={"draws": 0})
    assert_refused(["hire", "s.toml", "--shortlist", "creators.csv"], tmp_path, ["s.toml: hire.draws = 0"])
    write_scenario(tmp_path, plan={"objective": "sales"})
    assert_refused(["hire", "s.toml", "--shortlist", "creators.csv"], tmp_path, ["plan.objective = 'sales'"])


def test_when_no_creator_pays_for_itself_no_one_is_hired(tmp_path):
    (tmp_path / "dear.csv").write_text("handle,tier,followers,fee\n@a,micro,20000,45000\n@b,nano,3000,50000\n")
    sc = scenario_from_dict(market(budget={"total": 200_000, "split": {"micro": 0.5, "nano": 0.5}}), "dear.toml")
    r = hire(sc, tmp_path / "dear.csv", FAST, QUICK, workers=1)
    assert r.roster.empty and r.sentence.startswith("Hire no one")
    rows = r.comparison.set_index("option")
    assert rows.loc["chosen roster", "spent"] == 0 and rows.loc["tier policy", "creators"] == 2
    assert not r.frontier["in_roster"].any() and (r.frontier["estimated"] < 0).all()  # each step loses money


def test_hire_table_keys_and_defaults_are_documented():
    """Every [hire] key appears in docs/hiring.md with its default."""
    from sim.planning.hire import HireSpec

    doc = (Path(__file__).parent.parent / "docs" / "hiring.md").read_text()
    for key, field in HireSpec.model_fields.items():
        default = "none" if field.default is None else str(field.default)
        assert f"| `{key}` | {default} |" in doc, key


@pytest.mark.slow
@pytest.mark.browser
def test_hire_page_in_chromium(bounded):
    """The page renders offline, asks for nothing, shows the verified gains and prints on <= 2 A4 pages."""
    shown = open_page(bounded.out / "hire.html", "hire")
    text = shown.text
    shown.assert_self_contained()
    for key in ("over_policy", "over_policy_low", "over_random"):
        assert f"{bounded.gain[key]:+,.0f}" in text, key
    assert "spend nothing" in text and "simulation noise only" in text and bounded.roster["handle"].iloc[0] in text


def test_the_shortlist_decides_which_tiers_have_candidates(folder):
    """A tier the generated marketplace leaves empty can still be hired from a shortlist."""
    data = market(marketplace={"candidates": {"nano": 0, "micro": 0, "mid": 0}})
    r = hire(
        scenario_from_dict(data, "t.toml"), folder / "creators.csv", {**FAST, "objective": "reach"}, QUICK, workers=1
    )
    assert {"nano", "micro"} <= set(r.roster["tier"])  # money went to tiers the marketplace leaves empty


def test_a_job_over_the_work_limit_is_refused_before_anything_is_built(folder):
    data = market(market={"population": 2_000_000, "consumers": 200_000, "days": 3_650})
    spec = {"replications": 10_000, "verify_from": 10_000, "verify_replications": 10_000}
    with pytest.raises(InputError, match=r"this hire \(up to 140,000 runs\)"):
        hire(scenario_from_dict(data, "big.toml"), folder / "creators.csv", spec, QUICK)
