"""The model in the limits where the right answer is known, and the loops that run it.

Scenarios for the Bass and Independent Cascade limits, a world on a given graph, and adoption
paths or final adopters over replications. Checks drive the model only through these.
"""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.core.model import InfluenceModel
from sim.core.network import SocialGraph
from sim.core.scenario import Scenario
from sim.core.world import World
from sim.validation.common import SEED


def bass_scenario(p: float, q: float, consumers: int, days: int) -> Scenario:
    """The Bass limit: no influencers, complete mixing, identical consumers who all talk alike."""
    return Scenario(
        name=f"bass_p{p:g}_q{q:g}",
        seed=SEED,
        market={"population": consumers, "consumers": consumers, "days": days},
        network={"kind": "complete"},
        budget={"total": 0},
        consumers={"baseline_p": p, "susceptibility_sigma": 0.0, "satisfaction": 1.0},
        word_of_mouth={"mode": "bass", "q": q, "negative_ratio": 0.0},
    )


def cascade_scenario(
    tie_prob: float,
    consumers: int,
    days: int,
    active_days: int = 1,
    baseline_p: float = 0.0,
    name: str | None = None,
    **wom,
) -> Scenario:
    """The Independent Cascade limit: each new adopter gets one chance per tie, nothing else.

    ``active_days = 0`` (adopters talk for ever) makes it an SI process; ``baseline_p`` adds
    external adoption; further ``word_of_mouth`` keys (``complex_threshold``) pass through.
    """
    return Scenario(
        name=name or f"cascade_p{tie_prob:g}",
        seed=SEED,
        market={"population": max(consumers, 10), "consumers": max(consumers, 10), "days": days},
        network={"kind": "complete"},
        budget={"total": 0},
        consumers={"baseline_p": baseline_p, "susceptibility_sigma": 0.0, "satisfaction": 1.0},
        word_of_mouth={
            "mode": "cascade",
            "tie_prob": tie_prob,
            "active_days": active_days,
            "negative_ratio": 0.0,
            **wom,
        },
    )


def graph_world(scenario: Scenario, g: nx.Graph | sp.csr_array) -> World:
    """A world on a given graph (nodes 0..n-1 in order, one niche) with no influencers."""
    if isinstance(g, nx.Graph):
        g = nx.to_scipy_sparse_array(g, nodelist=list(g), weight=None, format="csr", dtype=np.float64)
    adjacency = sp.csr_array(g, dtype=np.float64)
    n = adjacency.shape[0]
    graph = SocialGraph(n, adjacency, np.zeros(n, dtype=np.int64), "file")
    return dataclasses.replace(World.build(scenario), graph=graph)


def adoption_paths(scenario: Scenario, replications, world: World | None = None, seeds=None) -> np.ndarray:
    """Share of consumers adopted at the end of each day 0..days, one row per replication.

    ``seeds(r)`` optionally gives replication r's initial adopters.
    """
    world = world or World.build(scenario)
    rows = []
    for r in replications:
        m = InfluenceModel(
            scenario, replication=r, campaign=False, world=world, initial_adopters=seeds(r) if seeds else None
        )
        path = [m.state.adopted.mean()]
        for _ in range(scenario.market.days):
            m.step()
            path.append(m.state.adopted.mean())
        rows.append(path)
    return np.array(rows)


def final_adopters(scenario: Scenario, world: World, seeds, replications) -> np.ndarray:
    """Adopters (seeds included) at the end of each replication of a seeded run."""
    out = []
    for r in replications:
        m = InfluenceModel(scenario, replication=r, campaign=False, world=world, initial_adopters=seeds).run()
        if (m.state.adopt_day == scenario.market.days).any():
            raise RuntimeError(f"cascade still spreading on day {scenario.market.days}: lengthen the horizon")
        out.append(int(m.state.adopted.sum()))
    return np.array(out, dtype=np.float64)
