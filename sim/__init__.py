"""wom: simulate word-of-mouth influence to split a marketing budget across influencer tiers.

The public names are imported on first use, so ``wom --help`` does not pay for Mesa, pandas
and SciPy.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "InfluenceModel": "core.model",
    "InputError": "core.errors",
    "Results": "reporting.runner",
    "Scenario": "core.scenario",
    "calibrate": "inference.calibrate",
    "compare": "experiments.compare",
    "hire": "planning.hire",
    "load_scenario": "core.scenario",
    "plan": "planning.plan",
    "run": "reporting.runner",
    "sweep": "experiments.sweep",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
