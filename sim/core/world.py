"""The fixed part of a scenario: graph, marketplace, hired roster and audiences.

Built once per scenario content and seed, then shared by every replication and by the
no-campaign counterfactual, so differences between runs come from the dynamics alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.budget import Roster, hire
from sim.core.market import Candidates, build_audience, generate_marketplace
from sim.core.network import SocialGraph, build_graph
from sim.core.scenario import Scenario
from sim.core.streams import world_rng


@dataclass(frozen=True)
class World:
    scenario: Scenario
    graph: SocialGraph
    candidates: Candidates
    roster: Roster
    audiences: list[np.ndarray]

    @property
    def n(self) -> int:
        return self.graph.n

    @property
    def scale(self) -> float:
        """Real people per simulated consumer."""
        return self.scenario.market.population / self.graph.n

    @classmethod
    def build(cls, scenario: Scenario, source: str = "<scenario>") -> World:
        rng = world_rng(scenario.seed)
        graph = build_graph(scenario.network, scenario.market.consumers, rng, source)
        niches = int(graph.niche.max()) + 1 if graph.n else 1
        candidates = generate_marketplace(scenario, niches, rng)
        scale = scenario.market.population / graph.n
        roster = hire(scenario, candidates, rng, scale)
        sizes = candidates.expected_audience(scale)
        audiences = [
            build_audience(sizes[j], int(candidates.niche[j]), float(candidates.niche_focus[j]), graph.niche, rng)
            for j in roster.candidate
        ]
        return cls(scenario, graph, candidates, roster, audiences)
