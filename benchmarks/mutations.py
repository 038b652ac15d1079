"""Plant realistic bugs one at a time and check the fast tests catch each of them.

Copies the repository (without .git, .venv and outputs) to a temporary folder, checks the fast
tests pass there, then for each mutant applies a small textual patch to the copy, runs
``pytest -m "not slow"`` on the model and metrics tests (``--all`` for the whole fast suite) and
prints which tests failed ("killed" it). The working tree is never touched. A mutant whose text
is no longer in the code is reported as ``MISSING`` (update its patch after a refactor), one that
no test catches as ``SURVIVED``; either makes the exit status 1.

    .venv/bin/python benchmarks/mutations.py                  # every mutant, model/metrics tests
    .venv/bin/python benchmarks/mutations.py --all            # every mutant, the whole fast suite
    .venv/bin/python benchmarks/mutations.py extra_day nwom_raises_attitude -x
    .venv/bin/python benchmarks/mutations.py --list
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_TESTS = [
    "tests/test_rules.py",
    "tests/test_records.py",
    "tests/test_metamorphic.py",
    "tests/test_boundaries.py",
    "tests/test_engines.py",
    "tests/test_model.py",
    "tests/test_budget.py",
    "tests/test_reproducible.py",
    "tests/test_creators.py",
    "tests/test_run_end_to_end.py",
]
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "results",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.egg-info",
)


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str
    file: str
    patches: tuple[tuple[str, str], ...]  # (text in the code, replacement); each text must occur once


def mutant(name: str, bug: str, file: str, *patches: tuple[str, str]) -> Mutant:
    return Mutant(name, bug, file, patches)


MUTANTS = [
    # --- the eight bugs of the outside mutation test (issue 10) ---
    mutant(
        "nwom_raises_attitude",
        "negative word of mouth raises attitude instead of lowering it",
        "sim/core/rules.py",
        ("attitude * (1.0 - impact)", "attitude * (1.0 + impact)"),
    ),
    mutant(
        "trust_ignored",
        "trust ignored when a sponsored view becomes a purchase chance (the rule)",
        "sim/core/rules.py",
        ("conversion * trust * relevance_", "conversion * relevance_"),
    ),
    mutant(
        "trust_ignored_engine",
        "trust ignored when a sponsored view becomes a purchase chance (the engine passes 1)",
        "sim/core/engine.py",
        (
            "state.exposures[exp.consumer], exp.trust, same",
            "state.exposures[exp.consumer], np.ones_like(exp.trust), same",
        ),
    ),
    mutant(
        "attribution_off_by_one",
        "attribution window one day longer",
        "sim/core/engine.py",
        (
            "state.last_touch_day[new] > day - ctx.attribution_window",
            "state.last_touch_day[new] >= day - ctx.attribution_window",
        ),
    ),
    mutant(
        "referral_budget_not_enforced",
        "referral rewards paid past the referral budget",
        "sim/core/engine.py",
        (
            "affordable = int(min(referred.size, ctx.referral_left // max(ctx.reward, 1e-12)))",
            "affordable = referred.size",
        ),
    ),
    mutant(
        "relevance_swapped",
        "in-niche and off-niche relevance swapped (the rule)",
        "sim/core/rules.py",
        ("np.where(same_niche, 1.0, off_niche_relevance)", "np.where(same_niche, off_niche_relevance, 1.0)"),
    ),
    mutant(
        "relevance_swapped_engine",
        "in-niche and off-niche relevance swapped (the engine's niche test)",
        "sim/core/engine.py",
        ("same = ctx.graph.niche[exp.consumer] == exp.niche", "same = ctx.graph.niche[exp.consumer] != exp.niche"),
    ),
    mutant(
        "counterfactual_not_subtracted",
        "incremental adopters without subtracting the no-campaign run",
        "sim/reporting/metrics.py",
        ("incremental = adopters - base", "incremental = adopters"),
    ),
    mutant(
        "extra_day",
        "one extra simulated day",
        "sim/core/model.py",
        ("if day >= self.days:", "if day > self.days:"),
    ),
    mutant(
        "budget_overspend",
        "a contract is signed while any money is left, whatever it costs",
        "sim/core/budget.py",
        ("if days_.size and cost <= left:", "if days_.size and left > 0:"),
    ),
    # --- more realistic bugs ---
    mutant(
        "wearout_wrong_way",
        "wear-out decay applied the wrong way (later exposures weigh more)",
        "sim/core/rules.py",
        ("decay ** (np.asarray(k, dtype=np.float64) - 1.0)", "decay ** (1.0 - np.asarray(k, dtype=np.float64))"),
    ),
    mutant(
        "wearout_never_advances",
        "exposure counts never grow, so wear-out never applies",
        "sim/core/engine.py",
        ("exposures[i] += 1", "exposures[i] += 0"),
    ),
    mutant(
        "complex_threshold_off_by_one",
        "complex contagion needs one talker more than the threshold",
        "sim/core/decision.py",
        (
            "if params.threshold > 1 and talkers < params.threshold:",
            "if params.threshold > 1 and talkers <= params.threshold:",
        ),
    ),
    mutant(
        "engaged_boost_ignored",
        "engaged viewers get no boost",
        "sim/core/rules.py",
        ("boost = np.where(engaged, engaged_boost, 1.0)", "boost = 1.0"),
    ),
    mutant(
        "scale_missing_converted",
        "an influencer's conversions not scaled to real people",
        "sim/core/model.py",
        ('"converted": float(self.caused[inf.index]) * s,', '"converted": float(self.caused[inf.index]),'),
    ),
    mutant(
        "scale_missing_reach",
        "an influencer's reach not scaled to real people",
        "sim/core/model.py",
        ('"reach": float(inf.seen.sum()) * s,', '"reach": float(inf.seen.sum()),'),
    ),
    mutant(
        "referral_reward_unscaled",
        "a simulated referred sale pays one reward instead of scale rewards",
        "sim/core/engine.py",
        ("reward = r.reward * scenario.market.population / graph.n", "reward = r.reward"),
    ),
    mutant(
        "referral_in_counterfactual",
        "the no-campaign run keeps the referral programme open",
        "sim/core/engine.py",
        ("referral_open=campaign and r.enabled", "referral_open=r.enabled"),
    ),
    mutant(
        "counterfactual_other_streams",
        "the no-campaign run draws other random numbers (no common random numbers)",
        "sim/core/model.py",
        (
            "self.streams = Streams.for_replication(spec.seed, replication)",
            "self.streams = Streams.for_replication(spec.seed, 2 * replication + int(campaign))",
        ),
    ),
    mutant(
        "backlash_keeps_trust",
        "a backlash does not lower the influencer's trust",
        "sim/core/agents.py",
        ("self.trust *= 1.0 - self.model.scenario.influence.backlash_trust_drop", "pass"),
    ),
    mutant(
        "talk_window_off_by_one",
        "adopters stop talking a day early",
        "sim/core/rules.py",
        ("started & (day - adopt_day <= active_days)", "started & (day - adopt_day < active_days)"),
    ),
    mutant(
        "tier_allocation_by_promo_codes",
        "incremental adopters allocated to tiers by promo-code sales, not direct conversions",
        "sim/reporting/metrics.py",
        ('direct = out["converted"].sum()', 'direct = out["attributed_sales"].sum()'),
        (
            'incremental * out["converted"] / direct if direct > 0',
            'incremental * out["attributed_sales"] / direct if direct > 0',
        ),
    ),
    mutant(
        "roi_on_revenue",
        "ROI from revenue instead of margin",
        "sim/reporting/metrics.py",
        ("profit = incremental * margin - spend", "profit = incremental * price - spend"),
    ),
    mutant(
        "cpe_per_impression",
        "cost per engagement divides by impressions",
        "sim/reporting/metrics.py",
        ('"cpe": _ratio(spend, engagements),', '"cpe": _ratio(spend, impressions),'),
    ),
    mutant(
        "ci_normal_not_t",
        "95% interval of the mean with the normal quantile instead of Student's t",
        "sim/reporting/intervals.py",
        ("stdtrit(np.maximum(np.asarray(n) - 1, 1), 0.5 + LEVEL / 2)", "1.959963984540054"),
    ),
    mutant(
        "nps_promoter_from_8",
        "promoters from a score of 8 instead of 9",
        "sim/core/rules.py",
        ("np.where(score >= 9, PROMOTER", "np.where(score >= 8, PROMOTER"),
    ),
    # --- the frontier engine (threshold scheme, calendar, lazy accounts) ---
    mutant(
        "calendar_ignored",
        "the frontier never decides consumers on their calendar day (only those whose talk changed or who saw a post)",
        "sim/core/frontier.py",
        ("m = _enlist_due(self.head, self.following, day, self.listed, self.members, m)", "pass"),
    ),
    mutant(
        "old_rate_not_booked",
        "when a consumer's hazards change, what accrued at the old rates is not booked first",
        "sim/core/decision.py",
        ("accrued = accrued + gap * scaled(resp, account.pressure[i])", "accrued = accrued"),
    ),
    mutant(
        "threshold_reused_after_hit",
        "a negative hit keeps the spent threshold instead of drawing the next one",
        "sim/core/engine.py",
        ("state.negative_hits[hitters] += 1", "state.negative_hits[hitters] += 0"),
    ),
]


def apply(copy: Path, m: Mutant) -> str | None:
    """Patch the copy; returns the original text, or None if a patch's text is not found exactly once."""
    path = copy / m.file
    original = path.read_text()
    text = original
    for old, new in m.patches:
        if text.count(old) != 1:
            return None
        text = text.replace(old, new)
    path.write_text(text)
    return original


def failed_tests(junit: Path) -> list[str]:
    """Node ids of the tests that failed or errored, from pytest's JUnit XML."""
    if not junit.exists():
        return []
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            module = case.get("classname", "")
            parts = module.split(".")
            if parts and parts[0] == "tests":
                out.append(f"{'/'.join(parts)}.py::{case.get('name')}")
            else:
                out.append(f"{module}::{case.get('name')}")
    return out


def run_tests(copy: Path, tests: list[str], stop_first: bool, tag: str) -> tuple[int, list[str], float, str]:
    junit = copy.parent / f"junit-{tag}.xml"
    junit.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider", f"--junit-xml={junit}"]
    cmd += ["-x"] if stop_first else []
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    done = subprocess.run([*cmd, *tests], cwd=copy, env=env, capture_output=True, text=True)
    return done.returncode, failed_tests(junit), time.perf_counter() - start, done.stdout + done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--all", action="store_true", help="run the whole fast suite, not only model/metrics tests")
    parser.add_argument("-x", action="store_true", help="stop each run at the first failing test")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args()
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:32} {m.file:28} {m.bug}")
        return 0
    unknown = sorted(set(args.names) - {m.name for m in MUTANTS})
    if unknown:
        parser.error(f"unknown mutants: {', '.join(unknown)} (see --list)")
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    tests = [] if args.all else MODEL_TESTS
    with tempfile.TemporaryDirectory(prefix="wom-mutants-") as tmp:
        copy = Path(tmp) / "wom"
        shutil.copytree(ROOT, copy, ignore=NOT_COPIED)
        where = subprocess.run(
            [sys.executable, "-c", "import sim; print(sim.__file__)"],
            cwd=copy,
            env={**os.environ, "PYTHONPATH": str(copy)},
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not where.startswith(str(copy)):
            print(f"the copy's tests would import sim from {where!r}, not the copy", file=sys.stderr)
            return 1
        code, failed, seconds, output = run_tests(copy, tests, False, "clean")
        print(f"unmutated code: {'pass' if code == 0 else 'FAIL'} ({seconds:.0f} s; {' '.join(tests) or 'fast suite'})")
        if code != 0:
            print("the tests must pass on the unmutated code first:", *failed, sep="\n  ", file=sys.stderr)
            print(output[-3000:], file=sys.stderr)
            return 1
        bad = 0
        for m in chosen:
            original = apply(copy, m)
            if original is None:
                print(f"{m.name:32} MISSING   its text is no longer in {m.file}: update the mutant")
                bad += 1
                continue
            try:
                code, failed, seconds, _ = run_tests(copy, tests, args.x, m.name)
            finally:
                (copy / m.file).write_text(original)
            if failed:
                print(f"{m.name:32} killed    by {len(failed)} test(s) in {seconds:.0f} s: {m.bug}")
                for node in failed:
                    print(f"{'':32}   {node}")
            else:
                print(f"{m.name:32} SURVIVED  ({seconds:.0f} s, exit {code}): {m.bug}")
                bad += 1
        print(f"{len(chosen) - bad} of {len(chosen)} mutants killed")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
