"""The numbers of the classroom lesson (docs/classroom.md), computed, never typed by hand.

    .venv/bin/python docs/lesson_numbers.py           # print the tables
    .venv/bin/python docs/lesson_numbers.py --write   # put them into docs/classroom.md
    .venv/bin/python docs/lesson_numbers.py --check   # exit 1 if docs/classroom.md is out of date

Every setup of ``sim.classroom.lesson.LESSONS`` is played in the classroom town
(scenarios/classroom.toml) exactly as the page plays it, for runs 0-9; the tables give the mean
and the standard error of the mean over those runs (simulation noise only).
"""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.classroom.lesson import LESSONS, Setup  # noqa: E402
from sim.classroom.model import OTHER_RUNS, Town  # noqa: E402
from sim.classroom.settings import classroom_scenario, town_values  # noqa: E402
from sim.core.scenario import load_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "classroom.toml"
DOC = ROOT / "docs" / "classroom.md"
BEGIN, END = "<!-- lesson numbers: begin (docs/lesson_numbers.py --write) -->", "<!-- lesson numbers: end -->"
DAYS = (20, 60)


@dataclass
class Outcome:
    """One campaign over runs 0..n-1: incremental adopters by day, and tier totals on the last day."""

    label: str
    incremental: np.ndarray  # runs x (days + 1), people
    spend: np.ndarray  # runs, USD
    reach: dict[str, np.ndarray]  # tier -> runs, unique people
    conversions: dict[str, np.ndarray]  # tier -> runs, people
    hired: dict[str, int]


def play(campaign: dict, label: str) -> Outcome:
    return _play(tuple(sorted(campaign.items())), label)


@functools.cache
def _play(campaign_items: tuple, label: str) -> Outcome:
    campaign = dict(campaign_items)
    base = load_scenario(SCENARIO)
    scenario, _ = classroom_scenario(base, town_values(base, SCENARIO.name), campaign)
    curves, spend, reach, conversions = [], [], {}, {}
    for run in range(OTHER_RUNS):
        town = Town(scenario, run)
        while town.step():
            pass
        curves.append(town.incremental())
        spend.append(town.spend())
        for row in town.tier_rows():
            reach.setdefault(row.tier, []).append(row.reach)
            conversions.setdefault(row.tier, []).append(row.conversions)
    hired = {t: town.tiers.count(t) for t in dict.fromkeys(town.tiers)}
    as_arrays = {k: np.array(v) for k, v in reach.items()}, {k: np.array(v) for k, v in conversions.items()}
    return Outcome(label, np.array(curves), np.array(spend), *as_arrays, hired)


def outcomes(setup: Setup) -> list[Outcome]:
    names = [setup.label] if setup.view == "one" else [f"{setup.label}: {'AB'[i]}" for i in range(2)]
    return [play(c, name) for c, name in zip(setup.campaigns, names, strict=True)]


def mean_se(values: np.ndarray) -> str:
    se = values.std(ddof=1) / np.sqrt(values.size)
    return f"{values.mean():+,.0f} ± {se:,.0f}"


def cost(spend: np.ndarray, incremental: np.ndarray) -> str:
    """Mean spend over mean incremental adopters (a ratio of means: runs with none do not divide by 0)."""
    added = incremental.mean()
    return f"{spend.mean() / added:,.2f}" if added > 0 else "none added"


def table(results: list[Outcome]) -> list[str]:
    lines = [
        "| campaign | hired | incremental, day 20 | incremental, day 60 | spend, USD | USD per incremental, "
        "day 20 | unique reach | conversions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in results:
        hired = ", ".join(f"{n} {t}" for t, n in o.hired.items()) or "none"
        reach = ", ".join(f"{t} {v.mean():,.0f}" for t, v in o.reach.items()) or "-"
        conv = ", ".join(f"{t} {v.mean():,.0f}" for t, v in o.conversions.items()) or "-"
        lines.append(
            f"| {o.label} | {hired} | {mean_se(o.incremental[:, 20])} | {mean_se(o.incremental[:, 60])} | "
            f"{o.spend.mean():,.0f} | {cost(o.spend, o.incremental[:, 20])} | {reach} | {conv} |"
        )
    return lines


def lesson_numbers() -> str:
    out = [
        BEGIN,
        "",
        f"Means over runs 0-{OTHER_RUNS - 1} ± one standard error (simulation noise only), in people of the "
        "town of 50,000; reach and conversions are totals on day 60. Written by `docs/lesson_numbers.py`.",
    ]
    for lesson in LESSONS:
        out += ["", f"**{lesson.title}**", ""]
        results = [o for setup in lesson.setups if setup.view == "one" for o in outcomes(setup)]
        out += table(results)
        for setup in (s for s in lesson.setups if s.view == "side"):
            a, b = outcomes(setup)
            gap = b.incremental - a.incremental
            out += [
                "",
                f"Side by side ({setup.label}): B minus A is {mean_se(gap[:, 20])} on day 20 and "
                f"{mean_se(gap[:, 60])} on day 60 (paired: the same runs of the same town).",
            ]
    return "\n".join([*out, "", END])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="replace the numbers in docs/classroom.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if docs/classroom.md is out of date")
    args = parser.parse_args()
    numbers = lesson_numbers()
    if not (args.write or args.check):
        print(numbers)
        return 0
    doc = DOC.read_text(encoding="utf-8")
    before, rest = doc.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    updated = before + numbers + after
    if args.check:
        if updated != doc:
            print("docs/classroom.md: the lesson numbers are out of date; run docs/lesson_numbers.py --write")
            return 1
        return 0
    DOC.write_text(updated, encoding="utf-8")
    print(f"wrote the lesson numbers into {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
