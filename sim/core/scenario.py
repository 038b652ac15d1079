"""Scenarios: the whole schema (its tables are in ``sections``), loading, overrides and errors.

A scenario is plain data. ``as_scenario`` is the one validated entry: it turns a TOML file or
a ``Scenario`` (with replications, seed or dotted-key overrides) into a validated ``Scenario``
whose every default is explicit (``resolved()``), and checks the job fits the machine
(``limits``). Any error becomes one ``InputError`` line naming the file, the dotted key, the
bad value and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from sim.core import defaults as cal
from sim.core import files, tomlio
from sim.core.budget import contract_floor, contract_posts
from sim.core.errors import InputError, closest
from sim.core.sections import (
    MAX_VARIANTS,
    Budget,
    Consumers,
    Contracts,
    Hiring,
    Influence,
    Market,
    Marketplace,
    Network,
    PlainName,
    Referral,
    Section,
    Tiers,
    Uncertain,
    WordOfMouth,
    unknown_key,
)
from sim.core.sections import NetworkKind as NetworkKind
from sim.core.sections import Policy as Policy
from sim.core.sections import Tier as Tier

# Sections whose values only steer the dynamics (never the graph, marketplace or roster), so they
# may differ between replications of one world: what ``[uncertain]`` may draw.
DYNAMICS_SECTIONS = ("consumers", "word_of_mouth", "influence")


def check_dynamics_key(scenario: Scenario, key: str, values: tuple[float, ...]) -> None:
    """Refuse (ValueError) a key that is not a number of a dynamics section, or values it cannot take."""
    section, _, field = key.partition(".")
    if section not in DYNAMICS_SECTIONS or "." in field:
        raise ValueError(f"may only name a key of {', '.join(DYNAMICS_SECTIONS)} (the world stays fixed)")
    model = getattr(scenario, section)
    info = type(model).model_fields.get(field)
    if info is None or info.annotation is not float:
        numbers = [k for k, f in type(model).model_fields.items() if f.annotation is float]
        raise ValueError(unknown_key(field, numbers, f"a number of [{section}]"))
    for value in values:
        try:
            type(model).model_validate({**model.model_dump(), field: value})
        except ValidationError as exc:
            raise ValueError(f"{value:g} is out of bounds: {exc.errors()[0]['msg']}") from None


class Scenario(Section):
    name: PlainName = Field("scenario", description="names the results folder: letters, digits, _ . + -")
    description: str = Field("", max_length=10_000)
    seed: int = Field(cal.SEED, ge=0, lt=2**63)
    replications: int = Field(cal.REPLICATIONS, ge=1, le=100_000)
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
    uncertain: Uncertain = Field(default_factory=Uncertain)
    variants: dict[PlainName, dict[str, Any]] = Field(
        default_factory=dict,
        max_length=MAX_VARIANTS,
        description="named partial scenarios merged over this one (wom compare)",
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        names = self.tiers.names
        for section, mapping in (
            ("marketplace.candidates", self.marketplace.candidates),
            ("budget.split", self.budget.split),
        ):
            for key in mapping:
                if key not in names:
                    raise ValueError(
                        unknown_key(key, names, f"a tier of preset {self.tiers.preset!r}") + f" @{section}.{key}"
                    )
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
        posts, floor = contract_posts(self.contracts, self.market.days), self.contract_floor()
        for name, amount in self.tier_allocation().items():
            cheapest = floor[name]
            if 0 < amount < cheapest - 0.005:  # a cent of tolerance for shares like 1 - 0.9
                tier = self.tiers.table[name]
                raise ValueError(
                    f"{amount:,.0f} USD for tier {name} is below one contract's cost there: at least "
                    f"{cheapest:,.0f} USD ({posts} post{'s' if posts != 1 else ''} x {tier.followers_min:,} "
                    f"followers x {tier.cost_per_follower:g} USD per follower) @budget.split.{name}"
                )
        if self.network.kind == "file" and not self.network.path:
            raise ValueError("kind 'file' needs network.path @network.path")
        for key, spec in self.uncertain.parameters.items():
            try:
                check_dynamics_key(self, key, (spec.min, spec.max))
            except ValueError as exc:
                raise ValueError(f"{exc} @uncertain.parameters.{key}") from None
        return self

    def contract_floor(self) -> dict[str, float]:
        """Per tier, the nominal cheapest contract (``sim.core.budget.contract_floor``): less money
        than this cannot buy one whole contract there."""
        c, days = self.contracts, self.market.days
        return {n: contract_floor(t.followers_min, t.cost_per_follower, c, days) for n, t in self.tiers.table.items()}

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
        if self.uncertain.active:
            data["uncertain"] = {k: v for k, v in data["uncertain"].items() if v}
        else:
            del data["uncertain"]
        return data

    def variant(self, name: str, source: str = "<scenario>") -> Scenario:
        """The scenario with variant ``name`` merged over it (tables merge key by key)."""
        if name not in self.variants:
            raise InputError(source, "variants", name, unknown_key(name, list(self.variants), "a variant"))
        if "variants" in self.variants[name]:
            raise InputError(source, f"variants.{name}.variants", "(table)", "a variant cannot have variants")
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
        data.setdefault("uncertain", self.uncertain.model_dump(mode="json"))  # left out of resolved() when empty
        for dotted, value in overrides.items():
            set_dotted(data, dotted, value, source)
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


def set_dotted(data: dict, dotted: str, value: Any, source: str) -> None:
    """Set ``data``'s key path ``dotted`` (which must exist) to ``value``, with a did-you-mean."""
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            raise InputError(source, dotted, value, "no such key path in a scenario")
        node = node[part]
    if parts[-1] not in node:
        guess = closest(parts[-1], list(node))
        hint = f"; did you mean {'.'.join([*parts[:-1], guess])!r}?" if guess else ""
        raise InputError(source, dotted, value, f"no such key path in a scenario{hint}")
    node[parts[-1]] = value


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
    if loc and loc[-1] == "[key]":  # a bad name of a table (a variant's name): show the name itself
        loc = loc[:-2]
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
        return InputError(source, key, err.get("input"), unknown_key(str(loc[-1]), allowed, "a known key"))
    if "ctx" in err and "expected" in err["ctx"]:
        msg = f"must be one of {err['ctx']['expected']}"
    elif err["type"] == "finite_number":
        msg = "must be a finite number (not inf or nan)"
    elif err["type"] in ("int_type", "float_type") and isinstance(err.get("input"), bool):
        msg = f"must be a {'whole ' if err['type'] == 'int_type' else ''}number, not true or false"
    return InputError(source, key, err.get("input"), msg)


def scenario_from_dict(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate plain data as a scenario; the first problem becomes one ``InputError``."""
    if not isinstance(data, dict):
        raise InputError(source, "(top level)", type(data).__name__, "a scenario must be a table of keys")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _error_line(source, data, exc.errors()[0]) from None


EXPERIMENT_TABLE = "experiment"  # a file's design for wom compare / wom sweep (sim.experiments)
# Tables a scenario file may carry for one command, and the command that reads each: that
# command's own module reads the table, ``load_scenario`` sets it aside and ``wom run`` refuses it.
TOOL_TABLES = {
    EXPERIMENT_TABLE: "wom compare or wom sweep",
    "plan": "wom plan",
    "hire": "wom hire",
    "calibrate": "wom calibrate",
}


def read_scenario_data(path: str | Path) -> dict[str, Any]:
    """Parse a scenario file into plain data: name defaults to the file's stem (made a plain
    name), graph paths are made relative to the file. Unreadable, oversized, binary, malformed
    or too deeply nested files raise one ``InputError``."""
    path = Path(path)
    data = tomlio.loads(files.read_text(path, what="scenario", limit=files.SCENARIO_LIMIT), str(path))
    data.setdefault("name", files.plain_name(path.stem))
    variants = data.get("variants")
    for table in (
        [data, *(v for v in variants.values() if isinstance(v, dict))] if isinstance(variants, dict) else [data]
    ):
        for section, key in (("network", "path"), ("uncertain", "posterior")):
            node = table.get(section)
            value = node.get(key) if isinstance(node, dict) else None
            if isinstance(value, str) and value and not Path(value).is_absolute():
                node[key] = str((path.parent / value).resolve())
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario and its variants; command tables (``TOOL_TABLES``,
    such as ``[experiment]``) are set aside for their commands."""
    return as_scenario(path)


def as_scenario(
    source: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: dict[str, Any] | None = None,
    source_name: str | None = None,
    command: str | None = None,
    check_size: bool = True,
) -> Scenario:
    """The one validated entry for a scenario from a file, an object or either with overrides.

    ``replications``, ``seed`` and the dotted-key ``overrides`` apply to the scenario and to
    every variant (they win over a variant's own value), and are validated like the file
    itself, so a bad override is one ``InputError`` line naming it. Every variant is validated,
    and the scenario and each variant must fit the work and memory limits (``sim.core.limits``).
    A file's command tables (``TOOL_TABLES``) are set aside, or refused when ``command`` (the
    command reading the file, e.g. ``"wom run"``) is not the one they are for. ``check_size=False``
    only inspects (``wom scenario show``): nothing will run.
    """
    from sim.core import limits

    if isinstance(source, Scenario):
        name = source_name or "<scenario>"
        data = source.resolved()
    elif isinstance(source, str | Path):
        name = source_name or str(source)
        data = read_scenario_data(source)
        for table, reader in TOOL_TABLES.items():
            if command is not None and table in data:
                raise InputError(
                    name,
                    table,
                    data[table],
                    f"is read by {reader}, not {command}: run {reader.split(' or ')[0]} {source}, "
                    f"or remove the table to {command.removeprefix('wom ')} the scenario alone",
                )
            data.pop(table, None)
    else:
        raise InputError(
            source_name or "scenario", "scenario", type(source).__name__, "must be a Scenario or a scenario file's path"
        )
    scenario = scenario_from_dict(data, name)
    given = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    given.update(overrides or {})
    if given:  # on the resolved data, where every key path exists
        data = scenario.resolved()
        for dotted, value in given.items():
            set_dotted(data, dotted, value, dotted)
            for variant in data.get("variants", {}).values():
                _drop_dotted(variant, dotted)
    try:
        scenario = scenario_from_dict(data, name) if given else scenario
        for variant in scenario.variants:
            checked = scenario.variant(variant, name)
            if check_size:
                limits.check(checked, name, what=f"variant {variant}")
        if check_size:
            limits.check(scenario, name)
    except InputError as err:
        hit = next((k for k in given if err.key == k or err.key.startswith(f"{k}.")), None)
        if hit is None:
            raise
        raise InputError(hit, err.key, err.value, err.allowed) from None
    return scenario


def _drop_dotted(data: Any, dotted: str) -> None:
    """Remove a key path from a variant's table, so an override wins over the variant too."""
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.get(part) if isinstance(data, dict) else None
    if isinstance(data, dict):
        data.pop(last, None)
