"""Scenario files: the TOML schema (pydantic), loading, tier presets and precise errors.

A scenario is plain data. ``load_scenario`` turns a TOML file into a validated ``Scenario``
whose every default is explicit (``resolved()``); any error becomes one ``InputError`` line
naming the file, the dotted key, the bad value and what is allowed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.core import defaults as cal
from sim.core.errors import InputError, did_you_mean


class Section(BaseModel):
    """Base for every table: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Market(Section):
    population: int = Field(2_000_000, gt=0, description="real people in the market")
    consumers: int = Field(100_000, ge=10, le=2_000_000, description="simulated consumers")
    days: int = Field(90, ge=1, le=36_500, description="simulated days")
    price: float = Field(60.0, gt=0, description="USD per unit")
    unit_margin: float = Field(25.0, ge=0, description="USD contribution per unit sold")

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
    mean_degree: float = Field(10.0, gt=0, le=1000)
    niches: int = Field(8, ge=1, le=1000, description="communities / market segments")
    homophily: float = Field(0.8, ge=0, le=1, description="share of ties inside one's niche")
    degree_exponent: float = Field(2.5, gt=2, le=10, description="power-law tail of 'niches'")
    clustering: float = Field(0.3, ge=0, le=1, description="triangle probability, powerlaw_cluster")
    rewiring: float = Field(0.1, ge=0, le=1, description="rewiring probability, watts_strogatz")
    path: str | None = Field(None, description="edge list (.txt/.csv/.edgelist) or GraphML file")


class Tier(Section):
    followers_min: int | None = Field(None, gt=0)
    followers_max: int | None = Field(None, gt=0)
    engagement_rate: float | None = Field(None, gt=0, le=1)
    reach_rate: float | None = Field(None, gt=0, le=1)
    fake_share: float | None = Field(None, ge=0, lt=1)
    trust: float | None = Field(None, ge=0, le=1)
    cost_per_follower: float | None = Field(None, gt=0)
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
        known = cal.TIER_PRESETS.get(preset, {})
        table = dict(data.pop("table", {}) or {})
        for key in [k for k in data if k != "preset"]:
            if isinstance(data[key], dict) and key in known:
                table[key] = data.pop(key)
            elif isinstance(data[key], dict):
                allowed = ["preset", *known]
                raise ValueError(_unknown(key, allowed, f"a tier of preset {preset!r}") + f" @tiers.{key}")
        data["table"] = table
        return data

    @model_validator(mode="after")
    def _fill_defaults(self) -> Tiers:
        bounds = cal.TIER_PRESETS[self.preset]
        for name in list(self.table):
            if name not in bounds:
                raise ValueError(_unknown(name, list(bounds), f"a tier of preset {self.preset!r}"))
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


class Marketplace(Section):
    candidates: dict[str, int] = Field(default_factory=dict, description="candidates per tier")


class Budget(Section):
    total: float = Field(50_000.0, ge=0, description="USD, influencer fees plus referral rewards")
    split: dict[str, float] = Field(default_factory=dict)
    split_unit: Literal["share", "usd"] = "share"


class Hiring(Section):
    policy: Literal["engagement_per_cost", "reach_per_cost", "niche_fit", "random"] = "engagement_per_cost"
    niches: list[int] = Field(default_factory=lambda: [0], description="target niches, niche_fit")


class Contracts(Section):
    kind: Literal["one_off", "ambassador"] = "one_off"
    posts: int = Field(1, ge=1, le=1000, description="posts per influencer (one_off)")
    start_day: int = Field(1, ge=1)
    interval_days: int = Field(7, ge=1, description="days between an influencer's posts")


class Consumers(Section):
    baseline_p: float = Field(cal.BASS_P, ge=0, le=50, description="Bass p per year")
    susceptibility_sigma: float = Field(0.5, ge=0, le=3, description="lognormal spread")
    satisfaction: float = Field(0.8, ge=0, le=1, description="mean NPS score / 10")


class WordOfMouth(Section):
    mode: Literal["bass", "cascade"] = "bass"
    q: float = Field(cal.BASS_Q, ge=0, le=100, description="Bass q per year (mode bass)")
    tie_prob: float = Field(0.05, ge=0, lt=1, description="per tie per talking day (cascade)")
    active_days: int = Field(0, ge=0, description="days an adopter talks; 0 = for ever")
    negative_ratio: float = Field(cal.NEGATIVE_TO_POSITIVE, ge=0, le=10)
    negative_impact: float = Field(0.3, ge=0, le=1, description="attitude lost per NWOM hit")
    promoter_share: float = Field(cal.PROMOTER_REFERRAL_SHARE, ge=0, le=1)
    complex_threshold: int = Field(1, ge=1, le=50, description="talking neighbours needed")


class Influence(Section):
    conversion: float = Field(0.01, ge=0, le=1, description="purchase chance per full-trust view")
    engaged_boost: float = Field(3.0, ge=1, le=100)
    wearout_decay: float = Field(0.6, gt=0, le=1)
    off_niche_relevance: float = Field(0.3, ge=0, le=1)
    backlash_trust_drop: float = Field(0.5, ge=0, le=1)
    attribution_window: int = Field(7, ge=1, description="days a promo-code touch counts")


class Referral(Section):
    enabled: bool = False
    budget: float = Field(0.0, ge=0, description="USD reserved from budget.total for rewards")
    reward: float = Field(10.0, ge=0, description="USD per referred sale")
    code_share: float = Field(0.5, ge=0, le=1, description="share of promoters given a code")
    talk_boost: float = Field(1.5, ge=1, le=20)


class Scenario(Section):
    name: str = "scenario"
    description: str = ""
    seed: int = Field(12345, ge=0, lt=2**63)
    replications: int = Field(10, ge=1, le=100_000)
    market: Market = Field(default_factory=Market)
    network: Network = Field(default_factory=Network)
    tiers: Tiers = Field(default_factory=Tiers)
    marketplace: Marketplace = Field(default_factory=Marketplace)
    budget: Budget = Field(default_factory=Budget)
    hiring: Hiring = Field(default_factory=Hiring)
    contracts: Contracts = Field(default_factory=Contracts)
    consumers: Consumers = Field(default_factory=Consumers)
    word_of_mouth: WordOfMouth = Field(default_factory=WordOfMouth)
    influence: Influence = Field(default_factory=Influence)
    referral: Referral = Field(default_factory=Referral)
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="named partial scenarios merged over this one (wom compare)"
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        names = self.tiers.names
        for section, mapping in (
            ("marketplace.candidates", self.marketplace.candidates),
            ("budget.split", self.budget.split),
        ):
            for key, value in mapping.items():
                if key not in names:
                    raise ValueError(
                        _unknown(key, names, f"a tier of preset {self.tiers.preset!r}") + f" @{section}.{key}"
                    )
                if value < 0:
                    raise ValueError(f"must be >= 0 @{section}.{key}")
        if not self.marketplace.candidates:
            object.__setattr__(
                self.marketplace,
                "candidates",
                {n: cal.DEFAULT_CANDIDATES.get(n, cal.FALLBACK_CANDIDATES) for n in names},
            )
        else:
            filled = {n: self.marketplace.candidates.get(n, 0) for n in names}
            object.__setattr__(self.marketplace, "candidates", filled)
        if self.referral.budget > self.budget.total:
            raise ValueError("exceeds budget.total @referral.budget")
        split = {n: float(self.budget.split.get(n, 0.0)) for n in names}
        if self.budget.total > 0 and not any(split.values()) and not self.budget.split:
            split = {n: 1.0 / len(names) for n in names}
        total_split = sum(split.values())
        if self.budget.split_unit == "share" and self.budget.total > 0 and abs(total_split - 1) > 1e-6:
            raise ValueError(f"shares sum to {total_split:g}; they must sum to 1 @budget.split")
        if self.budget.split_unit == "usd" and total_split > self.budget.total - self.referral.budget + 1e-6:
            raise ValueError(
                f"amounts sum to {total_split:g} USD, more than budget.total less referral.budget @budget.split"
            )
        object.__setattr__(self.budget, "split", split)
        for name, amount in self.tier_allocation().items():
            tier = self.tiers.table[name]
            cheapest = tier.followers_min * tier.cost_per_follower
            if 0 < amount < cheapest - 0.005:  # a cent of tolerance for shares like 1 - 0.9
                raise ValueError(
                    f"{amount:,.0f} USD for tier {name} is below one post's cost there "
                    f"(at least {cheapest:,.0f} USD) @budget.split.{name}"
                )
        if self.network.kind == "file" and not self.network.path:
            raise ValueError("kind 'file' needs network.path @network.path")
        return self

    def tier_allocation(self) -> dict[str, float]:
        """USD available to each tier for influencer fees."""
        fees = self.budget.total - self.referral.budget
        if self.budget.split_unit == "usd":
            return dict(self.budget.split)
        return {n: share * fees for n, share in self.budget.split.items()}

    def resolved(self) -> dict[str, Any]:
        """Every value, defaults included, as plain data (what ``wom scenario show`` prints)."""
        data = self.model_dump(mode="json")
        data["tiers"] = {"preset": self.tiers.preset, **data["tiers"]["table"]}
        if not data["variants"]:
            del data["variants"]
        return data

    def variant(self, name: str, source: str = "<scenario>") -> Scenario:
        """The scenario with variant ``name`` merged over it (tables merge key by key)."""
        if name not in self.variants:
            raise InputError(source, "variants", name, _unknown(name, list(self.variants), "a variant"))
        base = self.resolved()
        base["name"] = f"{self.name}.{name}"
        try:
            return scenario_from_dict(deep_merge(base, self.variants[name]), source)
        except InputError as err:
            raise InputError(source, f"variants.{name}.{err.key}", err.value, err.allowed) from None

    def content_hash(self) -> str:
        """Hash of what determines results apart from seed and replications (12 hex digits)."""
        data = self.resolved()
        for key in ("name", "description", "seed", "replications"):
            data.pop(key)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def with_overrides(self, overrides: dict[str, Any], source: str = "<overrides>") -> Scenario:
        """A copy with dotted-key overrides applied, e.g. ``{"tiers.micro.trust": 0.7}``."""
        data = self.resolved()
        for dotted, value in overrides.items():
            node = data
            parts = dotted.split(".")
            for part in parts[:-1]:
                if not isinstance(node.get(part), dict):
                    raise InputError(source, dotted, value, "no such key path in a scenario")
                node = node[part]
            if parts[-1] not in node:
                options = difflib.get_close_matches(parts[-1], list(node), n=1)
                hint = f"; did you mean {'.'.join([*parts[:-1], options[0]])!r}?" if options else ""
                raise InputError(source, dotted, value, f"no such key path in a scenario{hint}")
            node[parts[-1]] = value
        return scenario_from_dict(data, source)


# Tables whose entries are read together (shares summing to 1): an override replaces them whole.
WHOLE_TABLES = {("budget", "split"), ("marketplace", "candidates")}


def deep_merge(base: dict, update: dict, path: tuple = ()) -> dict:
    """``update`` over ``base``: nested tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in update.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(out.get(key), dict) and here not in WHOLE_TABLES:
            out[key] = deep_merge(out[key], value, here)
        else:
            out[key] = value
    return out


def _unknown(key: str, allowed: list[str], what: str) -> str:
    return "unknown key, " + did_you_mean(key, allowed, what)


def _field_names(model: type[BaseModel], path: tuple) -> list[str]:
    """The allowed keys at a location, for did-you-mean hints."""
    for part in path:
        field = model.model_fields.get(str(part))
        if field is None or not isinstance(field.annotation, type):
            return []
        if not issubclass(field.annotation, BaseModel):
            return []
        model = field.annotation
    return list(model.model_fields)


def _error_line(source: str, data: dict, err: dict) -> InputError:
    loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
    if loc[:2] == ("tiers", "table"):
        loc = ("tiers", *loc[2:])
    msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    if "@" in msg:  # model-level check that names its own key
        msg, key = msg.rsplit(" @", 1)
        value: Any = data
        for part in key.split("."):
            value = value.get(part, "(missing)") if isinstance(value, dict) else "(missing)"
        return InputError(source, key, value, msg)
    key = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = _field_names(Scenario, loc[:-1])
        return InputError(source, key, err.get("input"), _unknown(str(loc[-1]), allowed, "a known key"))
    if "ctx" in err and "expected" in err["ctx"]:
        msg = f"must be one of {err['ctx']['expected']}"
    return InputError(source, key, err.get("input"), msg)


def scenario_from_dict(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate plain data as a scenario; the first problem becomes one ``InputError``."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _error_line(source, data, exc.errors()[0]) from None


EXPERIMENT_TABLE = "experiment"  # a file's design for wom compare / wom sweep (sim.experiments)
# Tables a scenario file may carry for one command; each is read by that command's own module,
# and ``load_scenario`` sets them aside.
TOOL_TABLES = (EXPERIMENT_TABLE, "plan", "hire", "calibrate")


def read_scenario_data(path: str | Path) -> dict[str, Any]:
    """Parse a scenario file into plain data: name defaults to the file's stem, graph paths are
    made relative to the file. Unreadable or malformed files raise one ``InputError``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "(file)", str(path), "no such scenario file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), "(syntax)", str(exc), "the file must be valid TOML") from None
    data.setdefault("name", path.stem)
    for table in [data, *(v for v in (data.get("variants") or {}).values() if isinstance(v, dict))]:
        network = table.get("network")
        if isinstance(network, dict) and isinstance(network.get("path"), str):
            graph = Path(network["path"])
            if not graph.is_absolute():
                network["path"] = str((path.parent / graph).resolve())
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario and its variants; an ``[experiment]`` table is left to
    ``wom compare`` / ``wom sweep``."""
    data = read_scenario_data(path)
    for table in TOOL_TABLES:
        data.pop(table, None)
    scenario = scenario_from_dict(data, str(path))
    for name in scenario.variants:
        scenario.variant(name, str(path))  # every variant must validate too
    return scenario
