"""What one machine can take: the work and memory a run needs, checked before anything runs.

Every field of a scenario has its own bound, but sizes multiply: 2 million consumers x 1,000
ties x 100 years x 100,000 replications passes each bound and could never finish. A run is
estimated here from the scenario alone and refused, in one line naming the limit and how to
raise it, when it exceeds what a 24 GB, 2-core machine finishes in about half a day.

Work units: replications x days x consumers x (ties per consumer + 20), plus 20 per sponsored
view. One simulated day costs about as much per consumer as 20 ties (the hazards, draws and
commit), then about one unit per tie (the neighbour sums). The frontier engine touches only
consumers whose hazard changed, so large runs cost less than that: measured 0.4 ns per unit on
scenarios/baseline.toml and 0.7-2 ns at a million consumers with the graph built (both worlds,
2 cores); ``NS_PER_UNIT`` = 1 keeps the estimate on the safe side, and ``WORK_LIMIT`` = 4e13 is
about 11 hours. The Mesa-agent engine costs about ``AGENTS_FACTOR`` times more. Memory: one world's graph
while it is built (bytes per tie measured on the generators) plus the audiences, plus the
tables ``sim.run`` keeps (every day of every replication).

Raise the limits for a bigger machine or a longer wait with the environment variables
``WOM_WORK_LIMIT`` (work units) and ``WOM_MEMORY_GB``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from sim.core.errors import InputError
from sim.core.scenario import Scenario

WORK_LIMIT = 4e13
WORK_ENV = "WOM_WORK_LIMIT"
MEMORY_GB = 12.0  # half of a 24 GB machine: room for the OS, a second worker and pandas copies
MEMORY_ENV = "WOM_MEMORY_GB"
NS_PER_UNIT = 1.0  # measured on the frontier engine: 0.4 (baseline.toml) to 2 (1M consumers, graph included)
DAY_COST_IN_TIES = 20  # a consumer's day costs about as much as 20 ties
VIEW_COST = 20  # a sponsored view costs about as much as 20 ties (gathering, trust, attribution)
AGENTS_FACTOR = 1000  # measured: engine="agents" vs "vector", 10,000 consumers (benchmarks/core.py: ~1,900x)
# Peak bytes per edge while a world is built (measured with ru_maxrss, 100,000 consumers): the
# array generators, and the networkx ones (barabasi_albert, powerlaw_cluster) that build a Python
# graph first.
BYTES_PER_EDGE = {"barabasi_albert": 650, "powerlaw_cluster": 650}
BYTES_PER_EDGE_ARRAYS = 140
BYTES_PER_ROW = 400  # a row of sim.run's tables, with the copy pandas makes when concatenating


@dataclass(frozen=True)
class Estimate:
    """What one scenario (all its replications) needs."""

    work: float  # work units
    memory: float  # bytes at the peak


def ties_per_consumer(scenario: Scenario) -> float:
    """Ties a consumer's neighbour sum visits each day (0 for the complete graph's mean field)."""
    net = scenario.network
    return 0.0 if net.kind in ("complete", "file") else float(net.mean_degree)


def sponsored_views(scenario: Scenario) -> float:
    """An upper bound on a replication's sponsored views: every candidate hired, posting to the
    largest audience its tier allows."""
    m, c = scenario.market, scenario.contracts
    posts = c.posts if c.kind == "one_off" else math.ceil(m.days / c.interval_days)
    views = 0.0
    for name, count in scenario.marketplace.candidates.items():
        tier = scenario.tiers.table[name]
        genuine = tier.followers_max * (1 - tier.fake_share) * tier.in_market
        views += count * min(m.consumers, genuine * m.consumers / m.population) * posts
    return views


def estimate(scenario: Scenario, engine: str = "vector", tables: bool = True) -> Estimate:
    """Work and peak memory of all of a scenario's replications; ``tables=False`` for callers
    that stream each replication's rows to disk instead of keeping them."""
    m = scenario.market
    ties = ties_per_consumer(scenario)
    day = day_units(m.consumers, ties, m.days) + VIEW_COST * sponsored_views(scenario)
    work = scenario.replications * day * (AGENTS_FACTOR if engine == "agents" else 1)
    graph = m.consumers * ties / 2 * BYTES_PER_EDGE.get(scenario.network.kind, BYTES_PER_EDGE_ARRAYS)
    audiences = 8 * sponsored_views(scenario)
    candidates = sum(scenario.marketplace.candidates.values())
    rows = scenario.replications * (2 * m.days + candidates + len(scenario.tiers.names)) if tables else 0
    return Estimate(work, graph + audiences + rows * BYTES_PER_ROW)


def _limit(env: str, default: float) -> float:
    text = os.environ.get(env)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(env, env, text, "must be a positive number (an environment variable)")
    return value


def check(
    scenarios: Scenario | Sequence[Scenario],
    source: str,
    *,
    runs: int = 1,
    engine: str = "vector",
    tables: bool = True,
    what: str = "this run",
) -> None:
    """Refuse a job that would exceed the work or memory limit: one ``InputError`` line naming
    the limit and how to raise it. The job runs each scenario (all its replications) ``runs``
    times, one after another; experiments pass their number of design points as ``runs``. Each
    scenario's world is kept while the job runs (``wom run`` builds every variant's first)."""
    estimates = [estimate(sc, engine, tables) for sc in ([scenarios] if isinstance(scenarios, Scenario) else scenarios)]
    refuse_work(sum(e.work for e in estimates) * runs, source, what)
    memory = sum(e.memory for e in estimates)
    memory_gb = _limit(MEMORY_ENV, MEMORY_GB)
    if memory > memory_gb * 1e9:
        raise InputError(
            source,
            "(size)",
            f"{memory / 1e9:,.0f} GB",
            f"{what} would need about {memory / 1e9:,.0f} GB of memory (the graph's ties, the audiences and the "
            f"daily tables), over the limit of {memory_gb:g} GB; use fewer consumers, ties, candidates, days or "
            f"replications, or set {MEMORY_ENV}={_next(memory / 1e9)} on a machine with that much memory",
        )


def day_units(consumers: float, ties: float, days: float) -> float:
    """Work units of one replication's days (both worlds), sponsored views left out."""
    return days * consumers * (ties + DAY_COST_IN_TIES)


def refuse_work(total: float, source: str, what: str = "this run") -> None:
    """One ``InputError`` line when ``total`` work units exceed the limit (``WOM_WORK_LIMIT``)."""
    work_limit = _limit(WORK_ENV, WORK_LIMIT)
    if total > work_limit:
        raise InputError(
            source,
            "(size)",
            f"{total:.2g} work units",
            f"{what} would take about {total * NS_PER_UNIT * 1e-9 / 3600:,.0f} hours: over the limit of "
            f"{work_limit:.2g} units (replications x days x consumers x (mean_degree + {DAY_COST_IN_TIES}), plus "
            f"sponsored views); make it smaller, or set {WORK_ENV}={_next(total)} to run it anyway",
        )


def _next(x: float) -> str:
    """A round number just above ``x`` for the message (2.3e13 -> 3e13)."""
    exp = math.floor(math.log10(x))
    return f"{math.ceil(x / 10**exp)}e{exp}" if exp > 3 else str(math.ceil(x))
