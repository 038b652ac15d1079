"""The influencer marketplace: candidate influencers per tier and their in-market audiences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.scenario import Scenario

# Spread of individual influencers around their tier's typical value (lognormal sigma).
SPREAD = {"engagement_rate": 0.3, "reach_rate": 0.15, "trust": 0.1, "cost": 0.3}


@dataclass(frozen=True)
class Candidates:
    """One row per candidate influencer (column arrays); ``tier`` indexes ``tier_names``."""

    tier_names: list[str]
    tier: np.ndarray
    followers: np.ndarray
    engagement_rate: np.ndarray
    reach_rate: np.ndarray
    fake_share: np.ndarray
    trust: np.ndarray
    cost_per_post: np.ndarray
    backlash_prob: np.ndarray
    niche_focus: np.ndarray
    in_market: np.ndarray
    niche: np.ndarray

    def __len__(self) -> int:
        return self.tier.size

    def expected_audience(self, scale: float) -> np.ndarray:
        """Genuine in-market followers, in simulated consumers."""
        return self.followers * (1 - self.fake_share) * self.in_market / scale


def generate_marketplace(scenario: Scenario, niches: int, rng: np.random.Generator) -> Candidates:
    """Candidates per tier: followers log-uniform in the tier's range, rates spread around the tier's."""
    names = scenario.tiers.names
    cols: dict[str, list[np.ndarray]] = {k: [] for k in Candidates.__dataclass_fields__ if k != "tier_names"}
    for t, name in enumerate(names):
        tier = scenario.tiers.table[name]
        n = scenario.marketplace.candidates.get(name, 0)
        followers = np.exp(rng.uniform(np.log(tier.followers_min), np.log(tier.followers_max), n)).round()

        def spread(value: float, key: str, cap: float = np.inf, n: int = n) -> np.ndarray:
            sigma = SPREAD[key]
            return np.minimum(value * rng.lognormal(-0.5 * sigma**2, sigma, n), cap)

        cols["tier"].append(np.full(n, t))
        cols["followers"].append(followers)
        cols["engagement_rate"].append(spread(tier.engagement_rate, "engagement_rate", 1.0))
        cols["reach_rate"].append(spread(tier.reach_rate, "reach_rate", 0.95))
        cols["fake_share"].append(np.full(n, tier.fake_share))
        cols["trust"].append(spread(tier.trust, "trust", 1.0))
        cols["cost_per_post"].append(spread(tier.cost_per_follower, "cost") * followers)
        cols["backlash_prob"].append(np.full(n, tier.backlash_prob))
        cols["niche_focus"].append(np.full(n, tier.niche_focus))
        cols["in_market"].append(np.full(n, tier.in_market))
        cols["niche"].append(rng.integers(0, niches, n))
    arrays = {k: np.concatenate(v) if v else np.zeros(0) for k, v in cols.items()}
    # Engagement among those reached cannot exceed 1: clip the rate to the reach.
    arrays["engagement_rate"] = np.minimum(arrays["engagement_rate"], arrays["reach_rate"])
    arrays["tier"] = arrays["tier"].astype(np.int64)
    arrays["niche"] = arrays["niche"].astype(np.int64)
    return Candidates(tier_names=names, **arrays)


def build_audience(
    size: float, niche: int, niche_focus: float, consumer_niche: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Simulated followers of one influencer: a share ``niche_focus`` from its niche, the rest anywhere.

    ``size`` is rounded stochastically; audiences of different influencers overlap by chance.
    """
    n = consumer_niche.size
    k = min(n, int(np.floor(size + rng.random())))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    in_niche = np.flatnonzero(consumer_niche == niche)
    k_niche = min(in_niche.size, int(rng.binomial(k, niche_focus)))
    focused = rng.choice(in_niche, k_niche, replace=False) if k_niche else np.zeros(0, dtype=np.int64)
    rest = rng.choice(n, k - k_niche, replace=False)
    return np.unique(np.concatenate([focused, rest])).astype(np.int64)
