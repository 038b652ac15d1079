"""What every validation check shares: the result record, the effort settings, seeds and tolerances."""

from __future__ import annotations

from dataclasses import dataclass

SEED = 2024
Z = 3.0  # standard errors allowed for Monte-Carlo noise


def z_limit(comparisons: int) -> float:
    """The |z| bound for the largest of ``comparisons`` independent z scores at 3 SE's false-alarm rate.

    One comparison: 3. Taking the max over k comparisons at 3 each would raise false alarms
    about k-fold; Sidak's correction keeps the family's rate at that of one 3-SE test.
    """
    from scipy.stats import norm

    alpha = 2 * norm.sf(Z)
    return float(norm.isf((1 - (1 - alpha) ** (1 / comparisons)) / 2)) if comparisons > 1 else Z


@dataclass(frozen=True)
class Check:
    """One validation result: a row of the report's pass/fail table."""

    name: str
    claim: str
    measured: float
    tolerance: float
    criterion: str  # how measured and tolerance compare, e.g. "measured <= tolerance"
    passed: bool
    figure: str  # file name inside the report's figures folder
    source: str
    detail: str
    seed: int = SEED
    scenario_hash: str = ""


@dataclass(frozen=True)
class Effort:
    """How much simulation the checks spend: QUICK for CI, FULL for releases."""

    name: str
    bass_reps: tuple[int, int]  # replications of the (0.03, 0.38) and (0.011, 1.5) curves
    default_reps: int  # the default model on a complete graph, against Bass
    ic_reps: int
    peer_reps: int
    bound_graphs: int
    bound_reps: int
    campaign_reps: int
    fact_reps: int
    engine_reps: int
    recovery: tuple[int, int, int, int, float]  # campaigns, particles, populations, consumers, people per consumer


QUICK = Effort("quick", (4, 8), 4, 400, 100, 5, 20, 8, 10, 10, (4, 40, 3, 5_000, 10.0))
FULL = Effort("full", (24, 120), 16, 2000, 400, 15, 40, 30, 40, 40, (20, 100, 6, 50_000, 1.0))
