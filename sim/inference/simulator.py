"""The past campaign as a simulator: parameters in, summary statistics out.

Every simulation goes through ``CampaignSimulator.run`` (one ``InfluenceModel`` run on the
campaign's own world: the real roster, audiences drawn once per seed), so a faster engine
speeds calibration up with no change here. The world is rebuilt at most once per process and
never pickled, so parallel workers receive only the scenario and the data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.core.model import InfluenceModel
from sim.core.records import RunRecords
from sim.core.scenario import Scenario, scenario_from_dict
from sim.core.world import World
from sim.inference.campaign import Campaign

LATE_DAYS = 7  # "late" sales: the last week of the window, where word of mouth has built up
_WORLDS: dict[str, World] = {}  # per process: token -> world


def past_campaign_scenario(
    scenario: Scenario, campaign: Campaign, start_day: int | None = None, consumers: int | None = None
) -> Scenario:
    """The scenario of the past campaign: the window of the sales data (or the scenario's days),
    its first posts on ``start_day``, a budget that pays the real fees, no referral programme, and
    ``consumers`` simulated consumers if given (more make simulated orders finer, as real ones are)."""
    start = start_day or scenario.contracts.start_day
    days = len(campaign.sales) if campaign.sales is not None else scenario.market.days
    where = campaign.sales_source or "market.days"
    if start > days:
        raise InputError(where, "start_day", start, f"must fall within the {days} days of the window")
    fees = campaign.fees
    interval = scenario.contracts.interval_days
    for k, (handle, posts) in enumerate(zip(campaign.creators["handle"], campaign.creators["posts"], strict=True)):
        last = start + k % interval + interval * (int(posts) - 1)
        if last > days:
            raise InputError(
                where,
                "days",
                days,
                f"too short for creator {handle}'s {posts} posts every {interval} days from day {start} "
                f"(last on day {last}); give more days of sales (or market.days) or a smaller contracts.interval_days",
            )
    overrides = {
        "market.days": days,
        "contracts.kind": "one_off",
        "contracts.start_day": start,
        "budget.total": max(scenario.budget.total, fees * (1 + 1e-9) + 0.01),
        "referral.enabled": False,
        "referral.budget": 0.0,
    }
    if consumers is not None:
        overrides["market.consumers"] = consumers
    plain = {k: v for k, v in scenario.resolved().items() if k not in ("uncertain", "variants")}
    return scenario_from_dict(plain, "calibrate").with_overrides(overrides, "calibrate")


@dataclass(frozen=True)
class Layout:
    """How observations become statistics, fixed by the data: tiers present, which creators
    engage their viewers most, and the campaign's first day."""

    tiers: tuple[str, ...]
    tier_index: np.ndarray
    engaged_high: np.ndarray
    start_day: int
    with_sales: bool

    @classmethod
    def of(cls, campaign: Campaign, start_day: int) -> Layout:
        obs = campaign.observed
        order = [t for t in pd.unique(obs["tier"])]
        rate = (obs["engagements"] / obs["impressions"]).to_numpy()
        return cls(
            tuple(order),
            np.array([order.index(t) for t in obs["tier"]]),
            rate > np.median(rate),
            start_day,
            campaign.sales is not None,
        )


def statistics(
    layout: Layout, impressions: np.ndarray, orders: np.ndarray, sales: np.ndarray | None
) -> dict[str, float]:
    """Summary statistics, the same for data and simulation: promo-code orders per tier; the gap
    in orders per 1,000 impressions between creators who engage their viewers more and the rest
    (what separates ``engaged_boost`` from ``conversion``); and, with daily sales, their mean
    before the campaign, from its first day on, and over the last week."""
    out = {f"orders.{t}": float(orders[layout.tier_index == i].sum()) for i, t in enumerate(layout.tiers)}
    hi, lo = layout.engaged_high, ~layout.engaged_high
    if hi.sum() >= 2 and lo.sum() >= 2:
        out["engaged_contrast"] = 1000 * (
            orders[hi].sum() / impressions[hi].sum() - orders[lo].sum() / impressions[lo].sum()
        )
    if layout.with_sales and sales is not None:
        start = layout.start_day - 1
        if start > 0:
            out["sales.before"] = float(sales[:start].mean())
        out["sales.during"] = float(sales[start:].mean())
        out["sales.late"] = float(sales[-LATE_DAYS:].mean())
    return out


def observed_statistics(campaign: Campaign, layout: Layout) -> dict[str, float]:
    obs = campaign.observed
    return statistics(layout, obs["impressions"].to_numpy(float), obs["orders"].to_numpy(float), campaign.sales)


@dataclass(frozen=True)
class Simulation:
    """What one simulation of the past campaign shows, per creator (in the data's order) and per day."""

    impressions: np.ndarray
    engagements: np.ndarray
    orders: np.ndarray
    sales: np.ndarray


class CampaignSimulator:
    """Simulate the past campaign under given parameter values (dotted scenario keys)."""

    def __init__(
        self, scenario: Scenario, campaign: Campaign, start_day: int | None = None, consumers: int | None = None
    ) -> None:
        self.scenario = past_campaign_scenario(scenario, campaign, start_day, consumers)
        self.campaign = campaign
        creators = int(pd.util.hash_pandas_object(campaign.creators, index=False).sum())
        self.token = f"{self.scenario.content_hash()}:{self.scenario.seed}:{creators}"

    @functools.cached_property
    def layout(self) -> Layout:
        return Layout.of(self.campaign, self.scenario.contracts.start_day)

    @property
    def world(self) -> World:
        if self.token not in _WORLDS:
            _WORLDS.clear()
            _WORLDS[self.token] = World.build(
                self.scenario, self.campaign.source, creators=self.campaign.creators, roster=self.campaign.handles
            )
        return _WORLDS[self.token]

    def run(self, values: dict[str, float], replication: int) -> RunRecords:
        """One run of the past campaign: the one function every simulation goes through."""
        scenario = self.scenario.with_overrides(values, "calibrate") if values else self.scenario
        return InfluenceModel(scenario, replication=replication, world=self.world).run().records()

    def simulate(self, values: dict[str, float], replication: int) -> Simulation:
        rec = self.run(values, replication)
        infl = rec.influencers
        return Simulation(
            infl["impressions"].to_numpy(float),
            infl["engagements"].to_numpy(float),
            infl["attributed_sales"].to_numpy(float),
            rec.daily["new_adopters"].to_numpy(float),
        )

    def statistics(self, values: dict[str, float], replication: int) -> dict[str, float]:
        sim = self.simulate(values, replication)
        return statistics(self.layout, sim.impressions, sim.orders, sim.sales)
