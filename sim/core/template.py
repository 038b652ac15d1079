"""The commented scenario template written by ``wom scenario new``."""

from __future__ import annotations

from pydantic import BaseModel

from sim.core import defaults as cal
from sim.core import tomlio
from sim.core.scenario import Scenario

SECTION_HELP = {
    "market": "The market: real size, how many consumers simulate it, horizon and unit economics.",
    "network": "Social graph. kind: niches | barabasi_albert | powerlaw_cluster | watts_strogatz | "
    "erdos_renyi | complete | file (set path to an edge list or GraphML file).",
    "tiers": "Influencer tiers. preset: stim | later_fohr | viral_nation_2019 | insights_atlas. "
    "Override any value in a [tiers.<name>] table.",
    "marketplace": "How many candidate influencers of each tier the brand can choose from.",
    "budget": "Total USD (influencer fees + referral rewards) and its split by tier "
    "(split_unit = share, summing to 1, or usd).",
    "hiring": "Policy: engagement_per_cost | reach_per_cost | niche_fit | random.",
    "contracts": "one_off: `posts` posts per influencer; ambassador: a post every interval_days to the end.",
    "consumers": "Baseline adoption (Bass p per year), heterogeneity and satisfaction.",
    "word_of_mouth": "mode bass: q per year x talking share of neighbours; cascade: tie_prob per talking tie.",
    "influence": "How a sponsored view converts: trust x relevance x engaged boost x wear-out.",
    "referral": "Promoters get codes; each referred sale pays `reward` from referral.budget.",
}


def _descriptions(model: type[BaseModel], prefix: str, out: dict[str, str]) -> None:
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            _descriptions(field.annotation, key, out)
        elif field.description:
            out[key] = field.description


def template(name: str) -> str:
    """A complete scenario with every default, each section and key explained."""
    comments: dict[str, str] = dict(SECTION_HELP)
    _descriptions(Scenario, "", comments)
    comments["consumers.baseline_p"] = f"Bass p per year; default: {cal.BASS_SOURCE}"
    comments["word_of_mouth.q"] = f"Bass q per year (mode bass); default: {cal.BASS_SOURCE}"
    comments["word_of_mouth.negative_ratio"] = f"negative : positive talk volume; {cal.NEGATIVE_SOURCE}"
    comments["word_of_mouth.promoter_share"] = f"share of positive talk by promoters; {cal.PROMOTER_SOURCE}"
    comments["influence.wearout_decay"] = f"weight of each further sponsored view; {cal.WEAROUT_SOURCE}"
    for tier in cal.TIER_PRESETS["stim"]:
        comments[f"tiers.{tier}"] = "defaults: " + "; ".join(
            f"{k}: {v}" for k, v in cal.TIER_PARAM_SOURCES.items() if k in ("engagement_rate", "reach_rate", "trust")
        )
    data = Scenario(name=name).resolved()
    data["description"] = "What this scenario asks, in one line."
    head = f"# wom scenario: {name}\n# Every key is shown with its default; delete what you do not change.\n\n"
    return head + tomlio.dumps(data, comments) + OPTIONAL_TABLES


# Optional tables, commented out: remove the leading "# " of a block to use it.
OPTIONAL_TABLES = """
# Parameter uncertainty: each replication draws these from their ranges, so every band covers
# assumptions too, not only simulation noise (docs/calibration.md).
# [uncertain.parameters]
# influence.conversion = { min = 0.003, max = 0.03, log = true }   # uniform in log10
# word_of_mouth.q = { min = 0.2, max = 0.8 }                         # uniform

# Calibration on a past campaign, read by `wom calibrate` only (docs/calibration.md): it writes
# <name>.calibrated.toml, whose runs draw each replication's parameters from the posterior.
# [calibrate]
# data = "past_campaign.csv"   # per creator: handle, tier or followers, fee, posts, impressions, engagements, orders
# sales = "past_sales.csv"     # optional: daily total sales over the campaign's window
# start_day = 15               # the row of the sales file on which the first posts went out
# [calibrate.priors]           # what the data should pin down, with prior ranges
# influence.conversion = { min = 0.001, max = 0.05, log = true }
# consumers.baseline_p = { min = 0.003, max = 0.3, log = true }
"""
