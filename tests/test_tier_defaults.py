"""Cited tier defaults follow their sources."""

import inspect

import numpy as np
import pytest

from sim.core import defaults
from sim.core.scenario import Scenario


def test_reach_default_follows_minter_bands_flat_from_20k_to_1m():
    reach = {name: tier.reach_rate for name, tier in Scenario().tiers.table.items()}
    assert reach == {"nano": 0.377, "micro": 0.229, "mid": 0.229, "macro": 0.229, "mega": 0.191}
    bands = defaults.REACH_BANDS
    assert defaults.band_value(np.array([19_999, 20_000, 999_999, 1_000_000, 5e7]), bands).tolist() == pytest.approx(
        [0.377, 0.229, 0.229, 0.191, 0.191]
    )


@pytest.mark.parametrize("preset", list(defaults.TIER_PRESETS))
def test_every_preset_tier_gets_a_band_value(preset):
    values = {
        v for v in (defaults.tier_defaults(lo, hi)["reach_rate"] for lo, hi in defaults.TIER_PRESETS[preset].values())
    }
    assert values <= {0.377, 0.229, 0.191}


def test_source_notes_cite_publications_not_files_outside_the_repository():
    text = inspect.getsource(defaults)
    for outside in ("shared/reference", "seed 0", "seeds 0", "GUIDE"):
        assert outside not in text
    for name in dir(defaults):
        if name.endswith("_SOURCE"):
            note = getattr(defaults, name)
            assert note.startswith("ASSUMPTION") or any(ch.isdigit() for ch in note), name  # a dated source
