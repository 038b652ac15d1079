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
    return head + tomlio.dumps(data, comments)
