"""Replications of a scenario: each runs the campaign and its no-campaign counterfactual on
the same random streams, and the results are gathered into tidy pandas frames.

The no-campaign run does not depend on anything a campaign changes (budget, split, hiring,
contracts, marketplace, influence, referral), so variants, design points and plan evaluations
of one world share it: ``run_replication`` takes it from a cache (``BASELINES``, one per
process, so each worker process has its own) keyed by everything it does depend on.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from sim import __version__
from sim.core import limits
from sim.core.budget import unspent_words
from sim.core.engine import ConsumerState
from sim.core.errors import InputError
from sim.core.model import ENGINES, Engine, InfluenceModel
from sim.core.network import SocialGraph
from sim.core.records import RunRecords
from sim.core.scenario import Scenario, as_scenario
from sim.core.world import World
from sim.inference.draws import for_replication
from sim.reporting.metrics import kpi_summary, replication_kpis, tier_rows

# Scenario keys only the campaign reads (the no-campaign world has no influencers and no referral
# programme; price and margin only enter the KPIs). Everything else is part of the cache key.
CAMPAIGN_ONLY = ("budget", "hiring", "contracts", "marketplace", "influence", "referral", "tiers", "variants")
NOT_SIMULATED = ("name", "description", "replications")
MARKET_MONEY = ("price", "unit_margin")


def graph_digest(graph: SocialGraph) -> str:
    """Content hash of a graph (ties, niches), computed once per graph object."""
    cached = _digests.get(id(graph))
    if cached is not None and cached[0]() is graph:
        return cached[1]
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{graph.kind}:{graph.n}".encode())
    if graph.adjacency is not None:
        h.update(graph.adjacency.indptr.tobytes())
        h.update(graph.adjacency.indices.tobytes())
    h.update(graph.niche.tobytes())
    digest = h.hexdigest()
    _digests[id(graph)] = (weakref.ref(graph), digest)
    weakref.finalize(graph, _digests.pop, id(graph), None)
    return digest


_digests: dict[int, tuple[weakref.ref, str]] = {}


def baseline_key(scenario: Scenario, world: World, replication: int, engine: str = "vector") -> str:
    """What a no-campaign run depends on: the scenario less its campaign-only sections, the world's
    graph (by content) and tier names (columns of the daily table), seed, replication, engine and
    wom's version."""
    data = scenario.resolved()
    for key in (*CAMPAIGN_ONLY, *NOT_SIMULATED):
        data.pop(key, None)
    data["market"] = {k: v for k, v in data["market"].items() if k not in MARKET_MONEY}
    data.update(
        graph=graph_digest(world.graph),
        tier_names=list(world.candidates.tier_names),
        replication=replication,
        engine=engine,
        version=__version__,
    )
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class BaselineCache:
    """The most recently used no-campaign runs' records (without their consumer arrays).

    Safe to share between threads (a Dask worker may run several batches at once): two threads
    asking for the same missing run may both simulate it, with identical results.
    """

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self.runs: OrderedDict[str, RunRecords] = OrderedDict()
        self.hits = self.misses = 0
        self._lock = threading.Lock()

    def records(self, scenario: Scenario, world: World, replication: int, engine: Engine = "vector") -> RunRecords:
        """The no-campaign run of (scenario, world, replication): from the cache, or simulated."""
        key = baseline_key(scenario, world, replication, engine)
        with self._lock:
            if key in self.runs:
                self.hits += 1
                self.runs.move_to_end(key)
                return self.runs[key]
            self.misses += 1
        model = InfluenceModel(scenario, replication=replication, world=world, engine=engine, campaign=False)
        records = dataclasses.replace(model.run().records(), state=None)
        with self._lock:
            self.runs[key] = records
            while len(self.runs) > self.maxsize:
                self.runs.popitem(last=False)
        return records

    def clear(self) -> None:
        with self._lock:
            self.runs.clear()
            self.hits = self.misses = 0


BASELINES = BaselineCache()

ID_COLUMNS = ["scenario", "scenario_hash", "seed", "replication"]


@dataclass
class Replication:
    """One replication: its campaign and no-campaign records and KPIs. The tables are made when first
    asked for (compare and plan read only the KPIs of hundreds of replications)."""

    campaign: RunRecords
    baseline: RunRecords
    kpis: dict[str, float]
    spend: pd.DataFrame  # the world's spend report (``World.spend``): the same in every replication
    allocation: dict[str, float] = field(repr=False)
    margin: float = field(repr=False)

    @property
    def influencers(self) -> pd.DataFrame:
        return self.campaign.influencers

    @property
    def final_state(self) -> ConsumerState:
        return self.campaign.state

    @functools.cached_property
    def daily(self) -> pd.DataFrame:
        """Both worlds' daily rows, told apart by the ``world`` column (campaign, baseline)."""
        both = [self.campaign.daily.assign(world="campaign"), self.baseline.daily.assign(world="baseline")]
        return pd.concat(both, ignore_index=True)

    @functools.cached_property
    def tiers(self) -> pd.DataFrame:
        """Per-tier totals (``metrics.tier_rows``)."""
        return tier_rows(self.campaign, self.allocation, self.kpis["incremental_adopters"], self.margin, self.spend)

    @property
    def unspent_reason(self) -> str:
        """Where money was left and why, in words (``sim.core.budget.unspent_words``)."""
        return unspent_words(self.spend)


def run_replication(
    scenario: Scenario,
    world: World,
    replication: int,
    engine: Engine = "vector",
    baselines: BaselineCache | None = BASELINES,
) -> Replication:
    """Campaign and counterfactual for one replication, reduced to records and KPIs.

    A scenario with an ``[uncertain]`` table first draws this replication's parameters. The
    counterfactual comes from ``baselines`` (default: this process's cache; ``None`` simulates it
    afresh): identical numbers either way.
    """
    scenario = for_replication(scenario, replication)
    campaign = InfluenceModel(scenario, replication=replication, world=world, engine=engine).run().records()
    if baselines is None:
        baselines = BaselineCache(maxsize=0)
    baseline = baselines.records(scenario, world, replication, engine)
    m = scenario.market
    kpis = replication_kpis(campaign, baseline, m.price, m.unit_margin)
    kpis["unspent"] = scenario.budget.total - kpis["spend"]
    return Replication(campaign, baseline, kpis, world.spend, scenario.tier_allocation(), m.unit_margin)


@dataclass
class Results:
    """Everything a run produced: tidy frames keyed by replication, and the KPI summary."""

    scenario: Scenario
    daily: pd.DataFrame
    kpis: pd.DataFrame
    tiers: pd.DataFrame
    influencers: pd.DataFrame
    world: World = field(repr=False)
    final_state: ConsumerState | None = field(default=None, repr=False)  # replication 0, campaign

    @property
    def summary(self) -> dict:
        """KPI -> estimate (``mean``; a ratio of totals for ratios), 95% CI, 95% range over
        replications, and how the interval was made (``sim.reporting.metrics.kpi_summary``)."""
        return {k: kpi_summary(self.kpis, k) for k in self.kpis.columns if k not in ID_COLUMNS}

    @property
    def spend(self) -> pd.DataFrame:
        """Per tier: allocated, spent, unspent and why (the world's ``spend_report``)."""
        return self.world.spend

    def tier_summary(self) -> pd.DataFrame:
        """Per-tier means over replications (words, the same in every replication, kept as they are)."""
        rest = [c for c in self.tiers.columns if c not in (*ID_COLUMNS, "tier")]
        numbers = [c for c in rest if pd.api.types.is_numeric_dtype(self.tiers[c])]
        how = {c: "mean" if c in numbers else "first" for c in rest}
        return self.tiers.groupby("tier", sort=False).agg(how).reset_index()

    def write(self, out_dir):
        """Write every output file to ``out_dir`` atomically; returns the directory."""
        from sim.reporting.outputs import write_results

        return write_results(self, out_dir)


def _ids(scenario: Scenario, replication: int) -> dict:
    return {
        "scenario": scenario.name,
        "scenario_hash": scenario.content_hash(),
        "seed": scenario.seed,
        "replication": replication,
    }


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: Engine = "vector",
    progress: bool = False,
    world: World | None = None,
) -> Results:
    """Run a scenario (an object or a file's path) and return tidy results.

    ``replications`` and ``seed`` override the scenario's and are validated like it
    (``sim.core.scenario.as_scenario``); bad input raises one ``InputError``.

    >>> from sim import Scenario, run
    >>> res = run(Scenario(market={"consumers": 500, "population": 10_000, "days": 10}), replications=2)
    >>> len(res.kpis)
    2
    """
    if engine not in ENGINES:
        raise InputError("engine", "engine", engine, f"must be one of {', '.join(ENGINES)}")
    source = str(scenario) if isinstance(scenario, str | Path) else "<scenario>"
    scenario = as_scenario(scenario, replications=replications, seed=seed)
    if engine != "vector":
        limits.check(scenario, source, engine=engine)
    world = world or World.build(scenario, source)
    daily, kpis, tiers, infl = [], [], [], []
    final_state = None
    bar = tqdm(range(scenario.replications), desc=f"{scenario.name}", unit="rep", disable=not progress)
    for r in bar:
        rep = run_replication(scenario, world, r, engine)
        ids = _ids(scenario, r)
        daily.append(rep.daily.assign(**ids))
        kpis.append({**ids, **rep.kpis})
        tiers.append(rep.tiers.assign(**ids))
        infl.append(rep.influencers.assign(**ids))
        final_state = final_state or rep.final_state

    def tidy(frames: list[pd.DataFrame]) -> pd.DataFrame:
        frame = pd.concat(frames, ignore_index=True)
        return frame[ID_COLUMNS + [c for c in frame.columns if c not in ID_COLUMNS]]

    daily_frame = tidy(daily)
    lead = ID_COLUMNS + ["world", "day"]
    daily_frame = daily_frame[lead + [c for c in daily_frame.columns if c not in lead]]
    return Results(scenario, daily_frame, pd.DataFrame(kpis), tidy(tiers), tidy(infl), world, final_state)


def run_into(
    file: str | Path,
    out: str | Path | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: Engine = "vector",
    each: Callable[[Scenario, Results], None] | None = None,
) -> tuple[Path, list[str]]:
    """``wom run``: the scenario in ``file`` (or each of its variants) run and written into ``out``
    (default ``results/<scenario>``, one folder per variant); ``each`` sees every variant's results.

    Everything that can be refused (input, size, output folder, worlds) is refused before any
    simulation; the files are moved in only when all are done, so Ctrl-C leaves nothing half-written.
    Returns the folder and the variants' names (none for a scenario without variants).
    """
    from sim.core import files
    from sim.reporting.outputs import RUN_KIND, write_run_files

    source = str(file)
    base = as_scenario(file, replications=replications, seed=seed, command="wom run")
    plans = [(name, base.variant(name, source)) for name in base.variants] or [(None, base)]
    what = f"this run of {len(plans)} variants" if len(plans) > 1 else "this run"
    limits.check([sc for _, sc in plans], source, engine=engine, what=what)
    root = files.output_folder(out, base.name, kind=RUN_KIND)
    worlds = [World.build(sc, source) for _, sc in plans]
    try:
        with files.replace_outputs(root, kind=RUN_KIND, info={"scenario_hash": base.content_hash()}) as staging:
            for (name, scenario), world in zip(plans, worlds, strict=True):
                results = run(scenario, engine=engine, progress=True, world=world)
                write_run_files(results, staging / name if name else staging)
                if each is not None:
                    each(scenario, results)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(
            f"\ninterrupted: nothing was written to {root} (results are moved in only when all are done)"
        ) from None
    return root, [name for name, _ in plans if name]


__all__ = [
    "BASELINES",
    "BaselineCache",
    "Results",
    "baseline_key",
    "run",
    "run_into",
    "run_replication",
    "__version__",
]
