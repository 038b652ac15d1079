"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

import pytest

from sim.core.scenario import scenario_from_dict


def small(**sections) -> dict:
    """A tiny market with micro and macro influencers; sections override key by key."""
    data = {
        "name": "small",
        "seed": 11,
        "replications": 2,
        "market": {"population": 20_000, "consumers": 400, "days": 30},
        "network": {"kind": "niches", "mean_degree": 8, "niches": 4},
        "budget": {"total": 20_000, "split": {"micro": 0.5, "macro": 0.5}},
        "word_of_mouth": {"q": 8.0},
        "influence": {"conversion": 0.05},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


@pytest.fixture
def small_scenario():
    return scenario_from_dict(small(), "small.toml")
