"""The three lessons of the classroom page: what to set up, what to try, what to notice.

The setups are data, used twice: by the page's lesson panel (a button loads a setup into the
controls) and by ``docs/lesson_numbers.py``, which runs each setup and writes the numbers
the lesson sheet in docs/classroom.md quotes. Texts here say what to look for, not how much:
the page shows the amounts live, for every run and as the mean of runs 0-9.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setup:
    """Control values for one step of a lesson: one campaign, or campaigns A and B side by side."""

    label: str
    campaigns: tuple[dict, ...]  # one dict: the one-town view; two: side by side

    @property
    def view(self) -> str:
        return "one" if len(self.campaigns) == 1 else "side"


@dataclass(frozen=True)
class Lesson:
    title: str
    question: str
    setups: tuple[Setup, ...]
    try_: tuple[str, ...]
    notice: tuple[str, ...]


MACRO = {"budget": 6_000, "micro_share": 0.0, "trust": 1.0, "backlash": 0.0}
MICRO = {**MACRO, "micro_share": 1.0}
SCENARIO_BUDGET = {"budget": 16_000, "micro_share": 0.5, "trust": 1.0, "backlash": 0.0}

LESSONS = (
    Lesson(
        "1. One macro or many micro influencers, for the same money",
        "Is one big influencer better than thirty small ones?",
        (
            Setup("Macro only, 6,000 USD", (MACRO,)),
            Setup("Micro only, 6,000 USD", (MICRO,)),
            Setup("Macro vs micro, side by side", (MACRO, MICRO)),
        ),
        (
            "Play macro only, then micro only, then both side by side.",
            "Highlight the audience of the macro influencer, then of all micro influencers.",
            "Change the Run slider: each run is another roll of the dice for the same town.",
        ),
        (
            "Reach: the macro audience is spread over the whole town; the micro audiences sit in their "
            "niches but together cover more people (tier table: unique reach).",
            "Conversions: people who bought right after a post. The micro posts convert many more.",
            "Incremental adopters: the green curve. On average micro adds more in the first weeks; then "
            "the no-campaign town catches up, and by day 60 the two campaigns end close together: here a "
            "campaign mostly brings adoption forward.",
            "Cost per incremental adopter: a little lower for micro in the first weeks.",
            "One run can contradict the lesson (a macro post can fall flat). The faint lines are runs "
            "0-9 and the dashed line their mean: judge by the mean, not by one run.",
        ),
    ),
    Lesson(
        "2. The effect of trust",
        "Does paying for reach buy sales if people do not trust the influencer?",
        (
            Setup("Trust x0.3", ({**SCENARIO_BUDGET, "trust": 0.3},)),
            Setup("Trust x1", (SCENARIO_BUDGET,)),
            Setup("Trust x2", ({**SCENARIO_BUDGET, "trust": 2.0},)),
            Setup("Trust x0.3 vs x2", ({**SCENARIO_BUDGET, "trust": 0.3}, {**SCENARIO_BUDGET, "trust": 2.0})),
        ),
        ("Play the scenario's budget with trust x0.3, x1 and x2.",),
        (
            "Reach does not change: the same posts reach the same people (same unique reach).",
            "Conversions and the influencer bands of the chart grow with trust.",
            "Incremental adopters grow with trust, but less from x1 to x2 than from x0.3 to x1: trust is "
            "capped at 1, and word of mouth does most of the work.",
        ),
    ),
    Lesson(
        "3. What a backlash does",
        "Can a campaign do harm?",
        (
            Setup("Backlash +100%", ({**SCENARIO_BUDGET, "backlash": 1.0},)),
            Setup("Backlash +50%", ({**SCENARIO_BUDGET, "backlash": 0.5},)),
            Setup("No extra backlash vs +100%", (SCENARIO_BUDGET, {**SCENARIO_BUDGET, "backlash": 1.0})),
        ),
        ("Set every post to cause a controversy (+100%), then half of them (+50%).",),
        (
            "Influencers get a red edge once a post of theirs has caused a backlash.",
            "The stack falls below the dashed no-campaign line and incremental adopters go below zero: "
            "people who saw a controversy are less willing to buy, and tell their neighbours.",
            "The influencer bands vanish, yet the budget is spent.",
            "At +50% the campaign helps at first, then ends near or below the no-campaign town.",
        ),
    ),
)
