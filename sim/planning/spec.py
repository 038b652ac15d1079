"""The ``[plan]`` table: what to optimise, which splits are allowed, and how hard to look.

A scenario file may carry a ``[plan]`` table (``load_scenario`` sets it aside); ``load_plan``
reads the scenario and the table together. Every bad value becomes one ``InputError`` line
naming the file, the key (``plan.tiers.macro.max``), the value and what is allowed. Amounts are
USD unless ``unit = "share"``, in which case tier bounds are shares of the money for influencer
fees (``total`` less ``referral.budget``), like ``budget.split``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.core.errors import InputError, did_you_mean
from sim.core.scenario import Scenario, as_scenario, read_scenario_data

PLAN_TABLE = "plan"
Objective = Literal["profit", "adopters", "reach"]
OBJECTIVE_METRIC = {"profit": "incremental_profit", "adopters": "incremental_adopters", "reach": "reach"}
MAX_USD = 1e10  # bounds every amount: a typo of ten zeros is an error, not a week of simulation

# One-at-a-time sensitivity: parameters marked ASSUMPTION in docs/model.md, halved and doubled.
DEFAULT_SENSITIVITY: dict[str, list[float]] = {
    "influence.conversion": [0.005, 0.02],
    "influence.engaged_boost": [1.5, 6.0],
    "influence.off_niche_relevance": [0.15, 0.6],
    "consumers.susceptibility_sigma": [0.25, 1.0],
    "word_of_mouth.negative_impact": [0.15, 0.6],
}
LowHigh = Annotated[list[float], Field(min_length=2, max_length=2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class TierBounds(_Strict):
    """``[plan.tiers.<name>]``: the tier's allowed money, or the amount it is held at."""

    min: float | None = Field(None, ge=0, le=MAX_USD)
    max: float | None = Field(None, ge=0, le=MAX_USD)
    fixed: float | Literal["current"] | None = Field(None, description="amount held, or 'current'")

    @model_validator(mode="after")
    def _consistent(self) -> TierBounds:
        if isinstance(self.fixed, float) and not 0 <= self.fixed <= MAX_USD:
            raise ValueError(f"must be 'current' or an amount in [0, {MAX_USD:g}] @fixed")
        if self.fixed is not None and (self.min is not None or self.max is not None):
            raise ValueError("a fixed tier takes no min or max @fixed")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"must be >= min ({self.min:g}) @max")
        return self


class PlanSpec(_Strict):
    """The ``[plan]`` table. Defaults: see docs/planning.md (cited or marked ASSUMPTION)."""

    objective: Objective = "profit"
    total: float | None = Field(None, ge=0, le=MAX_USD, description="USD to allocate [budget.total]")
    total_max: float | None = Field(None, gt=0, le=MAX_USD, description="choose the total in [0, total_max]")
    unit: Literal["usd", "share"] = "usd"
    tiers: dict[str, TierBounds] = Field(default_factory=dict)
    min_roi: float | None = Field(None, ge=-1, le=1000, description="marginal ROI the last USD must earn")
    max_cpa: float | None = Field(None, gt=0, le=MAX_USD, description="USD the last adopter may cost")
    replications: int = Field(8, ge=2, le=10_000, description="search seeds per evaluation")
    verify_replications: int = Field(20, ge=2, le=10_000, description="fresh seeds for verification")
    verify_from: int = Field(1000, ge=1, le=2**31, description="first replication number of the fresh seeds")
    levels: int = Field(8, ge=8, le=200, description="spend levels per response curve, 0 included")
    evaluations: int = Field(12, ge=1, le=100_000, description="simulated candidate splits in the search")
    totals: int = Field(8, ge=3, le=200, description="totals on the budget frontier (total_max)")
    sensitivity: dict[str, LowHigh] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_SENSITIVITY.items()}
    )
    sensitivity_replications: int = Field(4, ge=2, le=10_000)

    @model_validator(mode="after")
    def _consistent(self) -> PlanSpec:
        if self.total is not None and self.total_max is not None:
            raise ValueError("give total (a fixed budget) or total_max (wom chooses the total), not both @total_max")
        if self.min_roi is not None and self.max_cpa is not None:
            raise ValueError("give one target: min_roi or max_cpa @max_cpa")
        for key in ("min_roi", "max_cpa"):
            if getattr(self, key) is not None and self.total_max is None:
                raise ValueError(f"a target decides how much to spend: it needs total_max @{key}")
        if self.verify_from < self.replications:
            raise ValueError(
                f"must be >= replications ({self.replications}) so verification seeds are fresh @verify_from"
            )
        if self.unit == "share":
            for name, tier in self.tiers.items():
                for key in ("min", "max", "fixed"):
                    value = getattr(tier, key)
                    if isinstance(value, float) and value > 1:
                        raise ValueError(f"a share must be in [0, 1] (unit = 'share') @tiers.{name}.{key}")
        for key, pair in self.sensitivity.items():
            if not pair[0] < pair[1]:
                raise ValueError(f"needs [low, high] with low < high @sensitivity.{key}")
        return self

    @property
    def metric(self) -> str:
        return OBJECTIVE_METRIC[self.objective]


def _error(source: str, data: dict, err: dict) -> InputError:
    loc = [str(p) for p in err["loc"] if not str(p).startswith(("function-", "float", "literal", "tuple"))]
    msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    if "@" in msg:
        msg, key = msg.rsplit(" @", 1)
        key = ".".join([*loc, key]) if loc else key
        value: Any = data
        for part in key.split("."):
            value = value.get(part, "(missing)") if isinstance(value, dict) else value
        return InputError(source, f"{PLAN_TABLE}.{key}", value, msg)
    key = ".".join([PLAN_TABLE, *loc])
    if err["type"] == "extra_forbidden":
        owner = TierBounds if loc[:1] == ["tiers"] and len(loc) == 3 else PlanSpec
        msg = did_you_mean(loc[-1], list(owner.model_fields), "a known key").replace("not a known key", "unknown key")
    if err["type"] == "finite_number":
        msg = "must be a finite number"
    elif loc[-1:] == ["fixed"]:
        msg = "must be 'current' or an amount"
    elif loc[:1] == ["sensitivity"]:
        msg = "must be [low, high]: two numbers"
    elif err["type"] == "model_type":
        msg = "must be a table (min, max or fixed)"
    return InputError(source, key, err.get("input"), msg)


def parse_plan(table: Any, source: str = "<plan>") -> PlanSpec:
    """Validate a ``[plan]`` table (a dict); the first problem becomes one ``InputError``.

    >>> spec = parse_plan({"objective": "adopters", "tiers": {"macro": {"max": 20_000}}})
    >>> spec.metric, spec.tiers["macro"].max, spec.replications
    ('incremental_adopters', 20000.0, 8)
    >>> parse_plan({"levels": 4}, "launch.toml")
    Traceback (most recent call last):
    ...
    sim.core.errors.InputError: launch.toml: plan.levels = 4: must be greater than or equal to 8
    """
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise InputError(source, PLAN_TABLE, table, "must be a table: [plan]")
    try:
        return PlanSpec.model_validate(table)
    except ValidationError as exc:
        raise _error(source, table, exc.errors()[0]) from None


def load_plan(path: str | Path) -> tuple[Scenario, PlanSpec]:
    """A scenario file and its ``[plan]`` table, both validated (the other commands' tables are
    set aside)."""
    scenario = as_scenario(path)
    spec = parse_plan(read_scenario_data(path).get(PLAN_TABLE), str(path))
    check_against(spec, scenario, str(path))
    return scenario, spec


def with_options(spec: PlanSpec, source: str, **options: Any) -> PlanSpec:
    """The spec with command-line overrides (``--replications`` ...), validated like the file."""
    given = {k: v for k, v in options.items() if v is not None}
    if not given:
        return spec
    merged = {**spec.model_dump(exclude_unset=True), **given}
    try:
        return PlanSpec.model_validate(merged)
    except ValidationError as exc:
        err = _error(source, merged, exc.errors()[0])
        name = err.key.removeprefix(f"{PLAN_TABLE}.")
        if name in given:
            option = f"--{name.replace('_', '-')}"
            raise InputError(option, option, given[name], err.allowed) from None
        raise err from None


# --- constraints in USD ------------------------------------------------------------------------


@dataclass(frozen=True)
class Constraints:
    """Allowed money per tier, in USD, for one amount of influencer fees.

    A tier may hold 0 or at least ``floor`` (its nominal cheapest contract, ``Scenario.contract_floor``:
    less than that cannot buy anything and the scenario refuses it).
    """

    tiers: list[str]
    fees: float
    lo: dict[str, float]
    hi: dict[str, float]
    fixed: dict[str, float]
    floor: dict[str, float]

    @property
    def free(self) -> list[str]:
        """Tiers the optimiser moves."""
        return [t for t in self.tiers if t not in self.fixed and self.hi[t] > 0]

    def holds(self, split: dict[str, float], tol: float = 1e-6) -> bool:
        """True if ``split`` spends exactly ``fees`` within every bound."""
        if abs(sum(split.values()) - self.fees) > tol * max(1.0, self.fees):
            return False
        for t in self.tiers:
            x = split.get(t, 0.0)
            if t in self.fixed:
                if abs(x - self.fixed[t]) > tol * max(1.0, self.fixed[t]):
                    return False
            elif not self.lo[t] - tol <= x <= self.hi[t] + tol or 0 < x < self.floor[t] - tol:
                return False
        return True


def fees_of(scenario: Scenario, total: float) -> float:
    """Money for influencer fees out of a total budget (the referral reserve comes first)."""
    return max(0.0, total - scenario.referral.budget)


def plan_total(spec: PlanSpec, scenario: Scenario) -> float:
    """The fixed total, or the largest one considered (``total_max``)."""
    if spec.total_max is not None:
        return spec.total_max
    return scenario.budget.total if spec.total is None else spec.total


def _check_contract_floor(amount: float, floor: float, source: str, tier: str, key: str, value) -> None:
    """A tier's bound ``key`` (given as ``value``) that is some money but less than one contract is refused."""
    if 0 < amount < floor - 1e-9:
        raise InputError(
            source,
            f"{PLAN_TABLE}.tiers.{tier}.{key}",
            value,
            f"{amount:,.0f} USD is below one contract's cost in tier {tier} ({floor:,.0f} USD); use 0 or more",
        )


def constraints(spec: PlanSpec, scenario: Scenario, fees: float, source: str = "<plan>") -> Constraints:
    """Bounds of every tier for ``fees`` USD of influencer fees; infeasible bounds are an ``InputError``."""
    names = scenario.tiers.names
    current = scenario.tier_allocation()
    scale = fees if spec.unit == "share" else 1.0
    lo, hi, fixed, floor = {}, {}, {}, scenario.contract_floor()
    for t in names:
        b = spec.tiers.get(t, TierBounds())
        if scenario.marketplace.candidates.get(t, 0) == 0:
            if b.fixed not in (None, 0.0, "current") or (b.min or 0) > 0:
                raise InputError(
                    source, f"{PLAN_TABLE}.tiers.{t}", b.model_dump(exclude_none=True), "tier has no candidates"
                )
            lo[t], hi[t] = 0.0, 0.0
            continue
        if b.fixed is not None:
            fixed[t] = current.get(t, 0.0) if b.fixed == "current" else float(b.fixed) * scale
            _check_contract_floor(fixed[t], floor[t], source, t, "fixed", b.fixed)
            lo[t] = hi[t] = fixed[t]
            continue
        lo[t] = (b.min or 0.0) * scale
        hi[t] = min(fees, b.max * scale) if b.max is not None else fees
        _check_contract_floor(lo[t], floor[t], source, t, "min", b.min)
    for t in spec.tiers:
        if t not in names:
            raise InputError(source, f"{PLAN_TABLE}.tiers.{t}", t, did_you_mean(t, names, "a tier of this scenario"))
    need = sum(lo.values())
    for t in names:  # no tier can take money the others' minimums and fixed amounts hold
        if t not in fixed and hi[t] > 0:
            hi[t] = max(0.0, min(hi[t], fees - (need - lo[t])))
    if need > fees + 1e-6:
        raise InputError(
            source,
            f"{PLAN_TABLE}.tiers",
            f"{need:,.0f} USD",
            f"fixed amounts and minimums exceed the {fees:,.0f} USD for influencer fees",
        )
    room = sum(hi.values())
    if spec.total_max is None and room < fees - 1e-6:
        raise InputError(
            source,
            f"{PLAN_TABLE}.tiers",
            f"{room:,.0f} USD",
            f"tier maximums cannot take the {fees:,.0f} USD to allocate: raise a max or lower total",
        )
    return Constraints(list(names), fees, lo, hi, fixed, floor)


def check_against(spec: PlanSpec, scenario: Scenario, source: str) -> None:
    """Everything that needs the scenario: tier names, feasible bounds, sensitivity keys."""
    total = plan_total(spec, scenario)
    if total < scenario.referral.budget:
        key = "total_max" if spec.total_max is not None else "total"
        raise InputError(source, f"{PLAN_TABLE}.{key}", total, "must be at least referral.budget")
    constraints(spec, scenario, fees_of(scenario, total), source)
    for key, (low, high) in spec.sensitivity.items():
        for value in (low, high):
            try:
                scenario.with_overrides({key: value}, source)
            except InputError as err:
                raise InputError(source, f"{PLAN_TABLE}.sensitivity.{key}", value, err.allowed) from None
