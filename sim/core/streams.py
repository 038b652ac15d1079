"""Independent random streams per mechanism, so a campaign run and its no-campaign
counterfactual consume identical numbers for everything they share (common random numbers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WORLD, REPLICATION, PARAMETERS = 0, 1, 2


def world_rng(seed: int) -> np.random.Generator:
    """Graph, marketplace, hiring and audiences: one draw per scenario seed, shared by replications."""
    return np.random.default_rng(np.random.SeedSequence([seed, WORLD]))


def parameter_rng(seed: int, replication: int) -> np.random.Generator:
    """A replication's draw of uncertain parameters (``[uncertain]``): apart from the dynamics'
    streams, so drawing parameters leaves the simulation's own random numbers unchanged."""
    return np.random.default_rng(np.random.SeedSequence([seed, PARAMETERS, replication]))


@dataclass
class Streams:
    """The per-replication streams: consumers' traits, daily adoption draws, word of mouth, posts."""

    consumers: np.random.Generator
    adoption: np.random.Generator
    word_of_mouth: np.random.Generator
    campaign: np.random.Generator
    mesa_seed: int

    @classmethod
    def for_replication(cls, seed: int, replication: int) -> Streams:
        children = np.random.SeedSequence([seed, REPLICATION, replication]).spawn(5)
        gens = [np.random.default_rng(c) for c in children[:4]]
        return cls(*gens, mesa_seed=int(children[4].generate_state(1)[0]))
