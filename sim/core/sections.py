"""The tables of a scenario file (pydantic models) and the bounds of every value.

Each bound is one a 24 GB machine can honour and a real market does not exceed; the reason is
written beside it. Sizes that multiply (consumers x ties x days x replications) are guarded
as a whole by ``sim.core.limits``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sim.core import defaults as cal
from sim.core import files
from sim.core.errors import InputError, did_you_mean

MAX_PEOPLE = 10_000_000_000  # more than the world's 8.1 billion people
MAX_CONSUMERS = 2_000_000  # the engines keep ~15 arrays per consumer; more ties are guarded by sim.core.limits
MAX_DAYS = 36_500  # a century of days
MAX_FOLLOWERS = 1_000_000_000  # the largest accounts have about 650 million followers
MAX_UNIT_USD = 1_000_000.0  # price, margin or reward of one unit: a house is not bought on word of mouth
MAX_BUDGET_USD = 1e12  # over 100x the largest advertiser's yearly budget
MAX_COST_PER_FOLLOWER = 10.0  # USD: 1,000x the cited 0.01 rule of thumb
MAX_CANDIDATES = 100_000  # per tier: hiring walks them in Python (~1 s) and keeps 12 numbers each
MAX_NICHES = 1_000  # segments a report can still name
MAX_VARIANTS = 1_000  # each variant is a full run
MAX_RANGE = 1e6  # ends of an [uncertain] range: every dynamics parameter is bounded far below (q <= 100)


def _plain_name(name: str) -> str:
    try:
        return files.check_name(name, "", "")
    except InputError as err:
        raise ValueError(err.allowed) from None


PlainName = Annotated[str, AfterValidator(_plain_name)]
Day = Annotated[int, Field(ge=1, le=MAX_DAYS)]


class Section(BaseModel):
    """Base for every table: unknown keys are errors, assignments are validated, numbers are
    finite and a boolean is never read as a number (``days = true`` is an error, not 1)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False)


class Market(Section):
    population: int = Field(cal.MARKET_POPULATION, gt=0, le=MAX_PEOPLE, description="real people in the market")
    consumers: int = Field(cal.MARKET_CONSUMERS, ge=10, le=MAX_CONSUMERS, description="simulated consumers")
    days: Day = Field(cal.MARKET_DAYS, description="simulated days")
    price: float = Field(cal.MARKET_PRICE, gt=0, le=MAX_UNIT_USD, description="USD per unit")
    unit_margin: float = Field(
        cal.MARKET_UNIT_MARGIN, ge=0, le=MAX_UNIT_USD, description="USD contribution per unit sold"
    )

    @model_validator(mode="after")
    def _consumers_fit(self) -> Market:
        if self.consumers > self.population:
            raise ValueError("consumers must not exceed population")
        return self


NetworkKind = Literal[
    "niches",
    "barabasi_albert",
    "powerlaw_cluster",
    "watts_strogatz",
    "erdos_renyi",
    "complete",
    "file",
]


class Network(Section):
    kind: NetworkKind = "niches"
    mean_degree: float = Field(cal.NETWORK_MEAN_DEGREE, gt=0, le=1000)
    niches: int = Field(cal.NETWORK_NICHES, ge=1, le=MAX_NICHES, description="communities / market segments")
    homophily: float = Field(cal.NETWORK_HOMOPHILY, ge=0, le=1, description="share of ties inside one's niche")
    degree_exponent: float = Field(cal.NETWORK_DEGREE_EXPONENT, gt=2, le=10, description="power-law tail of 'niches'")
    clustering: float = Field(cal.NETWORK_CLUSTERING, ge=0, le=1, description="triangle probability, powerlaw_cluster")
    rewiring: float = Field(cal.NETWORK_REWIRING, ge=0, le=1, description="rewiring probability, watts_strogatz")
    path: str | None = Field(None, max_length=4096, description="edge list (.txt/.csv/.edgelist) or GraphML file")


class Tier(Section):
    followers_min: int | None = Field(None, gt=0, le=MAX_FOLLOWERS)
    followers_max: int | None = Field(None, gt=0, le=MAX_FOLLOWERS)
    engagement_rate: float | None = Field(None, gt=0, le=1)
    reach_rate: float | None = Field(None, gt=0, le=1)
    fake_share: float | None = Field(None, ge=0, lt=1)
    trust: float | None = Field(None, ge=0, le=1)
    cost_per_follower: float | None = Field(None, gt=0, le=MAX_COST_PER_FOLLOWER)
    backlash_prob: float | None = Field(None, ge=0, le=1)
    niche_focus: float | None = Field(None, ge=0, le=1)
    in_market: float | None = Field(None, gt=0, le=1)


class Tiers(Section):
    """A tier preset plus per-tier overrides written as ``[tiers.<name>]`` tables."""

    preset: Literal["stim", "later_fohr", "viral_nation_2019", "insights_atlas"] = "stim"
    table: dict[str, Tier] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_tier_tables(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        preset = data.get("preset", "stim")
        if not isinstance(preset, str) or preset not in cal.TIER_PRESETS:
            return {"preset": preset}  # the preset's own error first: its tiers cannot be known
        known = cal.TIER_PRESETS[preset]
        table = dict(data.pop("table", {}) or {})
        for key in [k for k in data if k != "preset"]:
            if isinstance(data[key], dict) and key in known:
                table[key] = data.pop(key)
            elif isinstance(data[key], dict):
                allowed = ["preset", *known]
                raise ValueError(unknown_key(key, allowed, f"a tier of preset {preset!r}") + f" @tiers.{key}")
        data["table"] = table
        return data

    @model_validator(mode="after")
    def _fill_defaults(self) -> Tiers:
        bounds = cal.TIER_PRESETS[self.preset]
        for name in list(self.table):
            if name not in bounds:
                raise ValueError(unknown_key(name, list(bounds), f"a tier of preset {self.preset!r}"))
        full: dict[str, Tier] = {}
        for name, (lo, hi) in bounds.items():
            given = self.table.get(name, Tier()).model_dump(exclude_none=True)
            lo, hi = given.get("followers_min", lo), given.get("followers_max", hi)
            if hi <= lo:
                raise ValueError(f"tiers.{name}.followers_max must exceed followers_min ({lo})")
            full[name] = Tier(**{**cal.tier_defaults(lo, hi), **given})
        object.__setattr__(self, "table", full)
        return self

    @property
    def names(self) -> list[str]:
        return list(self.table)

    def tier_of(self, followers: float) -> str:
        """The tier whose follower range holds ``followers`` (the nearest end outside them)."""
        table = self.table
        for name, t in table.items():
            if t.followers_min <= followers < t.followers_max:
                return name
        lowest = min(table, key=lambda n: table[n].followers_min)
        return lowest if followers < table[lowest].followers_min else max(table, key=lambda n: table[n].followers_max)


class Marketplace(Section):
    candidates: dict[str, Annotated[int, Field(ge=0, le=MAX_CANDIDATES)]] = Field(
        default_factory=dict, description="candidates per tier"
    )


class Budget(Section):
    total: float = Field(
        cal.BUDGET_TOTAL, ge=0, le=MAX_BUDGET_USD, description="USD, influencer fees plus referral rewards"
    )
    split: dict[str, Annotated[float, Field(ge=0, le=MAX_BUDGET_USD)]] = Field(default_factory=dict)
    split_unit: Literal["share", "usd"] = "share"


Policy = Literal["engagement_per_cost", "reach_per_cost", "niche_fit", "random"]


class Hiring(Section):
    policy: Policy = "engagement_per_cost"
    niches: list[Annotated[int, Field(ge=0, lt=MAX_NICHES)]] = Field(
        default_factory=lambda: [0], max_length=MAX_NICHES, description="target niches, niche_fit"
    )


class Contracts(Section):
    kind: Literal["one_off", "ambassador"] = "one_off"
    posts: int = Field(cal.CONTRACT_POSTS, ge=1, le=1000, description="posts per influencer (one_off)")
    start_day: Day = cal.CONTRACT_START_DAY
    interval_days: Day = Field(cal.CONTRACT_INTERVAL_DAYS, description="days between an influencer's posts")


class Consumers(Section):
    baseline_p: float = Field(cal.BASS_P, ge=0, le=50, description="Bass p per year")
    susceptibility_sigma: float = Field(cal.SUSCEPTIBILITY_SIGMA, ge=0, le=3, description="lognormal spread")
    satisfaction: float = Field(cal.SATISFACTION, ge=0, le=1, description="mean NPS score / 10")


class WordOfMouth(Section):
    mode: Literal["bass", "cascade"] = "bass"
    q: float = Field(cal.BASS_Q, ge=0, le=100, description="Bass q per year (mode bass)")
    tie_prob: float = Field(cal.TIE_PROB, ge=0, lt=1, description="per tie per talking day (cascade)")
    active_days: int = Field(cal.ACTIVE_DAYS, ge=0, le=MAX_DAYS, description="days an adopter talks; 0 = for ever")
    negative_ratio: float = Field(cal.NEGATIVE_TO_POSITIVE, ge=0, le=10)
    negative_impact: float = Field(cal.NEGATIVE_IMPACT, ge=0, le=1, description="attitude lost per NWOM hit")
    promoter_share: float = Field(cal.PROMOTER_REFERRAL_SHARE, ge=0, le=1)
    complex_threshold: int = Field(cal.COMPLEX_THRESHOLD, ge=1, le=50, description="talking neighbours needed")


class Influence(Section):
    conversion: float = Field(cal.CONVERSION, ge=0, le=1, description="purchase chance per full-trust view")
    engaged_boost: float = Field(cal.ENGAGED_BOOST, ge=1, le=100)
    wearout_decay: float = Field(cal.WEAROUT_DECAY, gt=0, le=1)
    off_niche_relevance: float = Field(cal.OFF_NICHE_RELEVANCE, ge=0, le=1)
    backlash_trust_drop: float = Field(cal.BACKLASH_TRUST_DROP, ge=0, le=1)
    attribution_window: Day = Field(cal.ATTRIBUTION_WINDOW, description="days a promo-code touch counts")


class Referral(Section):
    enabled: bool = False
    budget: float = Field(
        cal.REFERRAL_BUDGET, ge=0, le=MAX_BUDGET_USD, description="USD reserved from budget.total for rewards"
    )
    reward: float = Field(cal.REFERRAL_REWARD, ge=0, le=MAX_UNIT_USD, description="USD per referred sale")
    code_share: float = Field(cal.REFERRAL_CODE_SHARE, ge=0, le=1, description="share of promoters given a code")
    talk_boost: float = Field(cal.REFERRAL_TALK_BOOST, ge=1, le=20)


class Range(Section):
    """A uniform range of a parameter (uniform in its logarithm with ``log = true``)."""

    min: float = Field(ge=-MAX_RANGE, le=MAX_RANGE)
    max: float = Field(ge=-MAX_RANGE, le=MAX_RANGE)
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.max > self.min:
            raise ValueError(f"empty range: max ({self.max:g}) must exceed min ({self.min:g})")
        if self.log and self.min <= 0:
            raise ValueError("a log range needs min > 0")
        return self


class Uncertain(Section):
    """Parameters drawn afresh for every replication (``sim.inference.draws``), so bands include
    parameter uncertainty: a weighted posterior sample written by ``wom calibrate``, and/or ranges
    keyed by dotted scenario key (``influence.conversion = { min = 0.005, max = 0.02, log = true }``)."""

    posterior: str | None = Field(None, description="posterior.parquet of wom calibrate")
    posterior_sha256: str | None = Field(None, description="checked on reading: the file is the one calibrated")
    parameters: dict[str, Range] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("parameters"), dict):
            data = {**data, "parameters": flat_ranges(data["parameters"])}
        return data

    @property
    def active(self) -> bool:
        return bool(self.posterior or self.parameters)


def flat_ranges(tree: dict, prefix: str = "") -> dict[str, Any]:
    """``{influence = {conversion = {min = 0, max = 1}}}`` -> ``{"influence.conversion": {...}}``."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value and not set(value) & set(Range.model_fields):
            flat.update(flat_ranges(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def unknown_key(key: str, allowed: list[str], what: str) -> str:
    """The message for a key that is not ``allowed``, with the nearest allowed one."""
    return "unknown key, " + did_you_mean(key, allowed, what)
