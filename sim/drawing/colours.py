"""Colours, markers and state codes shared by every picture of a run (report, page, animation).

Colours are fixed so that a tier or a funnel state looks the same in every figure, frame and
theme; only the background and text colours change between the light and the dark theme.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Funnel states, in the order of the codes returned by ``state_codes``.
STATES = ("unaware", "aware", "adopted", "promoter", "detractor")
STATE_LABELS = ("unaware", "aware, not bought", "adopted (passive)", "adopted, promoter", "adopted, detractor")
STATE_COLOURS = np.array(
    [
        [0.83, 0.83, 0.83, 1.0],
        [0.65, 0.81, 0.89, 1.0],
        [0.12, 0.47, 0.71, 1.0],
        [0.2, 0.63, 0.17, 1.0],
        [0.89, 0.1, 0.11, 1.0],
    ]
)
TIER_MARKERS = {"nano": "o", "micro": "^", "mid": "s", "macro": "*", "mega": "P"}
TIER_ORDER = list(TIER_MARKERS)  # small to large: larger tiers sit further out
TIER_COLOURS = {"nano": "#fdae6b", "micro": "#f16913", "mid": "#a63603", "macro": "#6a51a3", "mega": "#3f007d"}
OTHER_TIER_COLOUR = "#525252"
SOURCE_COLOURS = {"baseline": "#bdbdbd", "word_of_mouth": "#33a02c", "referral": "#b15928"}
BACKLASH_COLOUR = "#e31a1c"
POSTING_COLOUR = "#ffbf00"  # the glow around an influencer posting today
NICHE_CMAP = "Greens"


@dataclass(frozen=True)
class Theme:
    """Background and text colours of a figure; everything else keeps its fixed colour."""

    name: str
    background: str
    text: str
    ties: str
    grid: str
    no_campaign: str  # the no-campaign line: must stand out from every source colour


LIGHT = Theme("light", background="#ffffff", text="#212121", ties="#9e9e9e", grid="#bdbdbd", no_campaign="#000000")
DARK = Theme("dark", background="#1e1e1e", text="#eeeeee", ties="#757575", grid="#616161", no_campaign="#ffffff")


def fixed_colours() -> list[str]:
    """Every fixed colour of the pictures (an animation's palette starts from these)."""
    states = ["#{:02x}{:02x}{:02x}".format(*(round(255 * v) for v in c[:3])) for c in STATE_COLOURS]
    return [
        *states,
        *TIER_COLOURS.values(),
        OTHER_TIER_COLOUR,
        *SOURCE_COLOURS.values(),
        BACKLASH_COLOUR,
        POSTING_COLOUR,
        *(c for t in (LIGHT, DARK) for c in (t.background, t.text, t.ties, t.grid, t.no_campaign)),
    ]


def tier_colour(name: str) -> str:
    return TIER_COLOURS.get(name, OTHER_TIER_COLOUR)


def tier_marker(name: str) -> str:
    return TIER_MARKERS.get(name, "D")


def source_colour(name: str) -> str:
    return SOURCE_COLOURS.get(name) or tier_colour(name)


def state_codes(adopted: np.ndarray, aware: np.ndarray, nps: np.ndarray) -> np.ndarray:
    """Each consumer's funnel state as an index into ``STATES``.

    ``nps`` is 2 promoter, 1 passive, 0 detractor, -1 not adopted (``engine.ConsumerState``).
    """
    bought = np.select([nps == 2, nps == 0], [3, 4], 2)
    return np.where(adopted, bought, np.where(aware, 1, 0)).astype(np.int8)
