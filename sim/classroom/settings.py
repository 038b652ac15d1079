"""What the classroom page's controls mean: a town (shared) and a campaign (one per town shown).

The town controls (scenario, network, size, word of mouth, run) fix the market and its random
numbers, so every campaign shown on one screen plays in the same town, against the same
no-campaign twin. The campaign controls (budget, micro share, trust, backlash) change only what
the influencers do. ``classroom_scenario`` turns a scenario file plus both into a valid
``Scenario``, with a note for anything it had to adjust.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sim.core.budget import contract_floor
from sim.core.errors import InputError
from sim.core.scenario import Contracts, NetworkKind, Scenario, load_scenario, scenario_from_dict

SCENARIO_ENV = "WOM_APP_SCENARIO"  # how ``wom app`` tells the page's server which scenario to open
DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "classroom.toml"
MAX_CONSUMERS = 10_000
RUNS = 20  # the Run slider: replications 0..RUNS-1
NETWORK_KINDS = [k for k in NetworkKind.__args__ if k != "file"]
CAMPAIGN_SECTIONS = {
    "name",
    "description",
    "budget",
    "tiers",
    "contracts",
    "hiring",
    "referral",
    "influence",
    "marketplace",
}
CAMPAIGN_KEYS = ("budget", "micro_share", "trust", "backlash")


@dataclass(frozen=True)
class Control:
    """One slider or picker: its label, range and how its value is written on the page."""

    key: str
    label: str
    kind: Literal["int", "float", "select"]
    low: float = 0
    high: float = 1
    step: float = 1
    show: Callable[[object], str] = str
    values: tuple[str, ...] = ()


def _people(v) -> str:
    return f"{int(v):,}"


def _times(v) -> str:
    return f"x{float(v):.1f}"


def startup_scenario() -> Path:
    """The scenario ``wom app`` was started with (or the classroom scenario)."""
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


def town_controls(scenario: Scenario, folder_files: list[str]) -> list[Control]:
    """The shared controls, ranged for ``scenario``."""
    kinds = NETWORK_KINDS + (["file"] if scenario.network.kind == "file" else [])
    top = max(MAX_CONSUMERS, scenario.market.consumers)
    return [
        Control("scenario_file", "Scenario", "select", values=tuple(folder_files)),
        Control("network_kind", "Network", "select", values=tuple(kinds)),
        Control("consumers", "Consumers (dots)", "int", 100, top, 100, _people),
        Control("word_of_mouth", "Word of mouth (x scenario)", "float", 0.0, 3.0, 0.1, _times),
        Control("run", "Run (random numbers)", "int", 0, RUNS - 1, 1),
    ]


def campaign_controls(scenario: Scenario) -> list[Control]:
    """One campaign's controls, ranged for ``scenario``."""
    top_budget = int(max(50_000, 2 * round(scenario.budget.total)))
    return [
        Control("budget", "Budget", "int", 0, top_budget, 500, lambda v: f"{int(v):,} USD"),
        Control("micro_share", "Micro share (rest: macro)", "float", 0.0, 1.0, 0.05, lambda v: f"{float(v):.0%}"),
        Control("trust", "Trust in influencers (x scenario)", "float", 0.0, 3.0, 0.1, _times),
        Control("backlash", "Extra backlash chance per post", "float", 0.0, 1.0, 0.05, lambda v: f"+{float(v):.0%}"),
    ]


def town_values(scenario: Scenario, file_name: str, run: int = 0) -> dict:
    """The town controls' values that reproduce ``scenario``."""
    return {
        "scenario_file": file_name,
        "network_kind": scenario.network.kind,
        "consumers": scenario.market.consumers,
        "word_of_mouth": 1.0,
        "run": run,
    }


def campaign_values(scenario: Scenario) -> dict:
    """The campaign controls' values that reproduce ``scenario`` on a micro/macro split."""
    split = scenario.tier_allocation()
    micro, macro = split.get("micro", 0.0), split.get("macro", 0.0)
    return {
        "budget": int(round(scenario.budget.total)),
        "micro_share": round(micro / (micro + macro), 2) if micro + macro > 0 else 0.5,
        "trust": 1.0,
        "backlash": 0.0,
    }


def campaign_labels(a: dict, b: dict) -> tuple[str, str]:
    """Names for two campaigns side by side, from the settings in which they differ."""

    def split(share: float) -> str:
        return "macro only" if share == 0 else "micro only" if share == 1 else f"{share:.0%} micro"

    words = {
        "budget": lambda v: f"{int(v):,} USD",
        "micro_share": split,
        "trust": lambda v: f"trust x{float(v):.1f}",
        "backlash": lambda v: f"backlash +{float(v):.0%}",
    }
    differ = [k for k in CAMPAIGN_KEYS if a[k] != b[k]]
    if not differ:
        return "same settings", "same settings"
    return tuple(", ".join(words[k](c[k]) for k in differ) for c in (a, b))


def scenario_files(folder: Path) -> dict[str, Path]:
    """Valid scenario files in ``folder`` by file name: the page's scenario picker."""
    files = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            load_scenario(path)
        except InputError:
            continue
        files[path.name] = path
    return files


def campaign_bases(scenario: Scenario, source: str) -> tuple[list[tuple[str, Scenario]], list[str]]:
    """The campaigns a scenario file offers side by side: its first two variants, or macro only
    against micro only for its budget; and notes on variant keys that change the town itself."""
    names = list(scenario.variants)[:2]
    if len(names) < 2:
        return [("macro only", scenario), ("micro only", scenario)], []
    notes = []
    for name in names:
        town_keys = sorted(set(scenario.variants[name]) - CAMPAIGN_SECTIONS)
        if town_keys:
            notes.append(f"variant {name} also changes {', '.join(town_keys)}: shown in the shared town instead")
    return [(name, scenario.variant(name, source)) for name in names], notes


def classroom_scenario(
    base: Scenario,
    town: dict,
    campaign: dict,
    *,
    source: str = "<page>",
) -> tuple[Scenario, list[str]]:
    """``base`` with the page's controls applied, and notes on anything adjusted to stay valid.

    ``trust`` and ``word_of_mouth`` multiply the scenario's values, ``backlash`` adds to every
    tier's backlash chance per post, ``micro_share`` splits the budget between micro and macro.
    """
    data = base.resolved()
    data.pop("variants", None)
    notes: list[str] = []
    market, net = data["market"], data["network"]
    consumers = int(town["consumers"])
    market["consumers"] = consumers
    if consumers > market["population"]:
        market["population"] = consumers
        notes.append(f"population raised to {consumers:,} (one simulated consumer per person)")
    net["kind"] = town["network_kind"]
    wom = data["word_of_mouth"]
    wom["q"] = wom["q"] * town["word_of_mouth"]
    wom["tie_prob"] = float(min(0.95, wom["tie_prob"] * town["word_of_mouth"]))
    tiers = {name: t for name, t in data["tiers"].items() if name != "preset"}
    for tier in tiers.values():
        tier["trust"] = float(min(1.0, tier["trust"] * campaign["trust"]))
        tier["backlash_prob"] = float(min(1.0, tier["backlash_prob"] + campaign["backlash"]))
    b = data["budget"]
    others = sorted(t for t, share in b["split"].items() if share > 0 and t not in ("micro", "macro"))
    if others:
        notes.append(f"the page splits the budget between micro and macro only (not {', '.join(others)})")
    b["total"] = float(campaign["budget"])
    data["referral"]["budget"] = min(data["referral"]["budget"], b["total"])
    b["split_unit"] = "share"
    fees = b["total"] - data["referral"]["budget"]
    terms, days = Contracts.model_validate(data["contracts"]), market["days"]
    cheapest = {t: contract_floor(tiers[t]["followers_min"], tiers[t]["cost_per_follower"], terms, days) for t in tiers}
    b["split"] = _affordable_split(cheapest, fees, float(campaign["micro_share"]), notes)
    if not any(b["split"].values()):
        b["total"] = data["referral"]["budget"]
    return scenario_from_dict(data, source), notes


def _affordable_split(cheapest: dict, fees: float, micro_share: float, notes: list[str]) -> dict[str, float]:
    """Micro/macro shares; a tier whose money buys no whole contract (``cheapest``: the nominal
    cheapest contract per tier) gives it to the other tier."""
    share = {"micro": micro_share, "macro": 1.0 - micro_share}
    for tier, other in (("micro", "macro"), ("macro", "micro")):
        amount = share[tier] * fees
        if 0 < amount < cheapest[tier]:
            notes.append(
                f"{amount:,.0f} USD buys no {tier} contract (from {cheapest[tier]:,.0f} USD): moved to {other}"
            )
            share[other] += share[tier]
            share[tier] = 0.0
    for tier in share:
        if 0 < share[tier] * fees < cheapest[tier]:
            notes.append(f"a budget of {fees:,.0f} USD buys no contract: no campaign")
            return {"micro": 0.0, "macro": 0.0}
    return share
