"""The fixed part of a scenario: graph, marketplace, hired roster and audiences.

Built once per scenario content and seed, then shared by every replication and by the
no-campaign counterfactual, so differences between runs come from the dynamics alone.
``World.build`` gathers plain arguments from the scenario and calls the generators.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.budget import Roster, hire, hire_exactly, spend_report
from sim.core.errors import InputError
from sim.core.market import Candidates, build_audiences, creators_marketplace, generate_marketplace
from sim.core.network import SocialGraph, build_graph
from sim.core.scenario import Scenario
from sim.core.streams import world_rng


@dataclass(frozen=True)
class World:
    """Graph, candidates, roster and the roster's audiences (``audiences[i]`` for roster member i).

    ``pool`` holds every candidate's audience when the marketplace is an explicit creators
    table (so any roster of them can be hired later with ``with_roster``); else None.
    """

    scenario: Scenario
    graph: SocialGraph
    candidates: Candidates
    roster: Roster
    audiences: list[np.ndarray]
    pool: list[np.ndarray] | None = None

    @property
    def n(self) -> int:
        return self.graph.n

    @property
    def scale(self) -> float:
        """Real people per simulated consumer."""
        return self.scenario.market.population / self.graph.n

    @functools.cached_property
    def spend(self) -> pd.DataFrame:
        """``budget.spend_report``: what hiring did with each tier's money and why any is left.
        Fixed for every replication, so made once (do not modify the frame)."""
        return spend_report(self)

    @classmethod
    def build(
        cls,
        scenario: Scenario,
        source: str = "<scenario>",
        *,
        creators: pd.DataFrame | None = None,
        roster: Sequence[str] | None = None,
    ) -> World:
        """Build the world of a scenario (from its seed).

        ``creators``: an explicit marketplace instead of a generated one, one row per creator
        (``market.creators_marketplace`` lists the columns; missing figures take the tier's).
        Every creator's audience is drawn up front, so the same creators reach the same people
        whoever else is hired. ``roster``: handles to hire exactly, at their fees, bypassing the
        budget split and hiring policy (their total fees must fit ``budget.total`` less
        ``referral.budget``); without it the hiring policy fills the split as usual. Use an
        explicit creators table to compare rosters: then every roster sees the same audiences.

        >>> import pandas as pd
        >>> from sim import Scenario
        >>> sc = Scenario(market={"consumers": 300, "population": 30_000, "days": 10})
        >>> creators = pd.DataFrame({"handle": ["@ann", "@bob", "@cy"], "tier": "micro",
        ...     "followers": [20_000, 30_000, 25_000], "fee_per_post": [200.0, 300.0, 250.0],
        ...     "audience_group": ["food", "food", None]})
        >>> world = World.build(sc, creators=creators, roster=["@ann", "@cy"])
        >>> [str(h) for h in world.candidates.handle[world.roster.candidate]], float(world.roster.cost.sum())
        (['@ann', '@cy'], 450.0)
        """
        rng = world_rng(scenario.seed)
        graph = build_graph(scenario.network, scenario.market.consumers, rng, source)
        niches = int(graph.niche.max()) + 1 if graph.n else 1
        scale = scenario.market.population / graph.n
        tiers = {name: tier.model_dump() for name, tier in scenario.tiers.table.items()}
        pool = None
        if creators is None:
            candidates = generate_marketplace(tiers, scenario.marketplace.candidates, niches, rng)
        else:
            candidates = creators_marketplace(creators, tiers, niches, rng)
            pool = build_audiences(candidates, np.arange(len(candidates)), scale, graph.niche, rng)
        if roster is not None:
            chosen = candidates.index_of(list(roster))
            hired = _exact_roster(scenario, candidates, chosen)
        else:
            hired = hire(
                candidates,
                scenario.tier_allocation(),
                policy=scenario.hiring.policy,
                contracts=scenario.contracts,
                days=scenario.market.days,
                scale=scale,
                rng=rng,
                target_niches=scenario.hiring.niches,
            )
        if pool is None:
            audiences = build_audiences(candidates, hired.candidate, scale, graph.niche, rng)
        else:
            audiences = [pool[j] for j in hired.candidate]
        return cls(scenario, graph, candidates, hired, audiences, pool)

    def with_roster(self, handles: Sequence[str]) -> World:
        """The same world with exactly these creators hired at their fees (cheap: graph and
        audiences are shared). Needs a world built from ``creators=``."""
        if self.pool is None:
            raise ValueError(
                "with_roster needs a world built from an explicit creators table: "
                "World.build(scenario, creators=world.candidates.frame())"
            )
        chosen = self.candidates.index_of(list(handles))
        roster = _exact_roster(self.scenario, self.candidates, chosen)
        return dataclasses.replace(self, roster=roster, audiences=[self.pool[j] for j in chosen])


def _exact_roster(scenario: Scenario, candidates: Candidates, chosen: np.ndarray) -> Roster:
    """``hire_exactly``, refusing a roster whose fees exceed the money for fees."""
    roster = hire_exactly(candidates, chosen, contracts=scenario.contracts, days=scenario.market.days)
    fees = scenario.budget.total - scenario.referral.budget
    if roster.cost.sum() > fees + 1e-6:
        raise InputError(
            "roster",
            "fees",
            round(float(roster.cost.sum()), 2),
            f"more than budget.total less referral.budget ({fees:,.2f} USD); raise the budget or hire fewer",
        )
    return roster
