"""How experiment results are shown: the one number formatter of the text summaries, and the
plumbing every experiment figure shares (headless matplotlib, axis labels with units, saving)."""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any

from sim.core.files import atomic_write
from sim.reporting.metrics import KPI_UNITS

PNG = {"compress_level": 1}  # fast PNG compression: a few % larger files, written in about half the time


def fmt_number(value: Any) -> str:
    """Thousands with separators, small numbers with three significant digits, others as text."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"


def label(metric: str) -> str:
    """Axis label of a KPI: its name and unit."""
    return f"{metric.replace('_', ' ')} ({KPI_UNITS.get(metric, '')})"


def pyplot():
    """matplotlib's pyplot on the headless Agg backend (figures are files, never windows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> Path:
    """Save a matplotlib figure atomically as PNG and free it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120, pil_kwargs=PNG))
    plt.close(fig)
    return path
