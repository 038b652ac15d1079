"""Bad [plan] values and options: one line naming file, key, value and what is allowed; exit 2;
nothing written."""

from __future__ import annotations

import pytest

from sim.planning.spec import parse_plan
from tests.badinput import assert_refused
from tests.test_plan import write_file

CASES = {
    "unknown_key": ("objectve = 'profit'", ["plan.objectve", "did you mean 'objective'"]),
    "bad_objective": ("objective = 'sales'", ["plan.objective = 'sales'", "'profit'"]),
    "both_totals": ("total = 10000\ntotal_max = 20000", ["plan.total_max", "not both"]),
    "infinite_total": ("total = inf", ["plan.total = inf", "finite"]),
    "nan_total_max": ("total_max = nan", ["plan.total_max = nan", "finite"]),
    "huge_total": ("total = 1e12", ["plan.total", "less than or equal to"]),
    "one_replication": ("replications = 1", ["plan.replications = 1", "greater than or equal to 2"]),
    "float_levels": ("levels = 8.5", ["plan.levels = 8.5", "integer"]),
    "few_levels": ("levels = 4", ["plan.levels = 4", "greater than or equal to 8"]),
    "bool_evaluations": ("evaluations = true", ["plan.evaluations = true", "integer"]),
    "stale_verify_seeds": ("replications = 8\nverify_from = 3", ["plan.verify_from = 3", "fresh"]),
    "target_without_total_max": ("min_roi = 0.2", ["plan.min_roi = 0.2", "total_max"]),
    "two_targets": ("total_max = 30000\nmin_roi = 0\nmax_cpa = 50", ["plan.max_cpa", "one target"]),
    "min_above_max": ("[plan.tiers.micro]\nmin = 5000\nmax = 1000", ["plan.tiers.micro.max = 1000", ">= min"]),
    "unknown_tier": ("[plan.tiers.mikro]\nmax = 1", ["plan.tiers.mikro", "did you mean 'micro'"]),
    "unknown_tier_key": ("[plan.tiers.micro]\nmx = 1", ["plan.tiers.micro.mx", "did you mean 'max'"]),
    "share_above_one": ("unit = 'share'\n[plan.tiers.micro]\nmax = 1.5", ["plan.tiers.micro.max = 1.5", "[0, 1]"]),
    "below_post_cost": ("[plan.tiers.macro]\nmin = 100", ["plan.tiers.macro.min = 100", "below one contract's cost"]),
    "fixed_with_bounds": ("[plan.tiers.micro]\nfixed = 1000\nmin = 0", ["plan.tiers.micro.fixed", "no min or max"]),
    "fixed_word": ("[plan.tiers.micro]\nfixed = 'now'", ["plan.tiers.micro.fixed = 'now'", "'current'"]),
    "no_candidates": ("[plan.tiers.mid]\nmin = 1000", ["plan.tiers.mid", "no candidates"]),
    "minimums_exceed": (
        "[plan.tiers.nano]\nmin = 20000\n[plan.tiers.micro]\nmin = 20000",
        ["plan.tiers", "exceed the 30,000 USD"],
    ),
    "maximums_too_small": (
        "[plan.tiers.nano]\nmax = 100\n[plan.tiers.micro]\nmax = 100\n[plan.tiers.macro]\nmax = 100",
        ["plan.tiers", "cannot take the 30,000 USD"],
    ),
    "sensitivity_typo": (
        "[plan.sensitivity]\n'influence.conversoin' = [0.1, 0.2]",
        ["plan.sensitivity.influence.conversoin", "did you mean"],
    ),
    "sensitivity_range": (
        "[plan.sensitivity]\n'influence.conversion' = [0.1, 2.0]",
        ["plan.sensitivity.influence.conversion = 2.0", "less than or equal to 1"],
    ),
    "sensitivity_order": ("[plan.sensitivity]\n'influence.conversion' = [0.2, 0.1]", ["low < high"]),
    "total_below_referral": (
        "total = 500\n[referral]\nenabled = true\nbudget = 1000",
        ["plan.total = 500", "at least referral.budget"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_plan_value_is_one_clear_line(case, tmp_path, monkeypatch):
    text, expected = CASES[case]
    path = write_file(tmp_path, None, extra=f"\n[plan]\n{text}\n")
    assert_refused(["plan", path, "--workers", "1"], tmp_path, expected)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["-r", "1"], ["--replications 1", "greater than or equal to 2"]),
        (["--verify-replications", "0"], ["--verify-replications 0", "greater than or equal to 2"]),
        (["--evaluations", "0"], ["--evaluations 0", "greater than or equal to 1"]),
        (["--workers", "0"], ["--workers", "greater than or equal to 1"]),
        (["-r", "5000"], ["plan.verify_from", "fresh"]),
        (["-r", "x"], ["--replications", "valid integer"]),
    ],
)
def test_bad_option_is_one_clear_line(option, expected, tmp_path):
    path = write_file(tmp_path, {"sensitivity": {}})
    assert_refused(["plan", path, *option], tmp_path, expected)


def test_output_folder_is_checked_before_any_run(tmp_path):
    path = write_file(tmp_path, {"sensitivity": {}})
    busy = tmp_path / "mine"
    busy.mkdir()
    (busy / "notes.txt").write_text("a user's file")
    assert_refused(["plan", path, "--out", busy], tmp_path, ["--out", "wom did not create"])
    assert (busy / "notes.txt").read_text() == "a user's file"


def test_defaults():
    spec = parse_plan({})
    assert spec.objective == "profit" and spec.total is None and spec.total_max is None
    assert spec.levels >= 8 and spec.verify_from >= spec.replications
    assert "influence.conversion" in spec.sensitivity


def test_work_guard_refuses_a_plan_too_big_for_the_machine(tmp_path):
    path = write_file(tmp_path, {"sensitivity": {}})
    assert_refused(
        ["plan", path], tmp_path, ["(size)", "this plan (up to", "WOM_WORK_LIMIT"], env={"WOM_WORK_LIMIT": "1e6"}
    )
