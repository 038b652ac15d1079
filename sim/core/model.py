"""InfluenceModel: the Mesa model that wires a world, its influencers and its consumers.

One step is one day (Mesa's ``model.steps`` counts them): influencers post, consumers decide
(all at once over arrays, or one Mesa agent at a time with ``engine="agents"``), the day is
committed, and the DataCollector records the day's totals. ``records()`` hands the finished
run to metrics and reports.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, get_args

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network
from mesa.experimental.scenarios import Scenario as MesaScenario

from sim.core import decision
from sim.core import engine as eng
from sim.core.agents import Consumer, Influencer
from sim.core.errors import InputError
from sim.core.frontier import Frontier
from sim.core.options import Engine
from sim.core.records import INFLUENCER_COLUMNS, RunRecords, unique_reach
from sim.core.scenario import Scenario, load_scenario
from sim.core.streams import Streams
from sim.core.world import World

ENGINES: tuple[str, ...] = get_args(Engine)
SOURCE = "InfluenceModel"


class ModelScenario(MesaScenario):
    """wom's validated ``Scenario`` in Mesa's scenario slot (``model.scenario``, ``agent.scenario``).

    Mesa 3.5 keeps a model's parameters in a ``mesa.experimental.scenarios.Scenario`` and its
    tools (SolaraViz) expect that type. This one carries wom's scenario: its sections are the
    Mesa parameters (``model.scenario.market.days``), every other attribute reads through
    (``model.scenario.tier_allocation()``), and ``model.scenario.spec`` is the ``Scenario`` itself.
    """

    __slots__ = ("spec",)

    def __init__(self, spec: Scenario, rng: int | None = None) -> None:
        super().__init__(rng=rng, **dict(spec))
        self.spec = spec

    def __getattr__(self, name: str) -> Any:
        if name == "spec" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.spec, name)


def _today(name: str, model: InfluenceModel) -> float:
    """DataCollector reporter: one of the day's totals (a function, not a lambda, so it pickles)."""
    return model.today[name]


class DailyTotals(mesa.DataCollector):
    """Mesa's DataCollector for the day's totals. They are floats, so they are recorded as they
    are, without the deep copy Mesa makes of every reporter's value (a tenth of a day's time)."""

    def collect(self, model: mesa.Model) -> None:
        self._collection_steps.append(model.time)
        for var, reporter in self.model_reporters.items():
            self.model_vars[var].append(reporter(model))


class InfluenceModel(mesa.Model):
    """Word of mouth and influencer campaigns on a social graph, one day per step.

    Parameters
    ----------
    scenario : Scenario or path, optional
        The validated scenario, or a scenario file (default: ``Scenario()``, every default).
    rng, seed : int, optional
        The seed, in Mesa's two spellings (pass one): it replaces ``scenario.seed``, which
        seeds the world (graph, marketplace, hiring, audiences) and, with ``replication``, the
        run's random streams. ``None`` keeps ``scenario.seed``, so the same inputs always give
        identical numbers (unlike Mesa's default of fresh entropy). ``rng`` may also be a
        ``numpy.random.Generator``: one integer drawn from it is the seed.
    replication : int
        Which replication's streams to use under that seed (0, 1, ...).
    campaign : bool
        False simulates the same market with no influencers and no referral programme.
    engine : {"vector", "agents"}
        ``vector`` decides, over arrays, only the consumers a day can change (``frontier``);
        ``agents`` creates a Mesa ``Consumer`` agent per consumer on a
        ``mesa.discrete_space.Network`` and lets each one that has not adopted decide for
        itself every day, with the same rule: both reach identical states. With ``vector``,
        ``model.agents`` holds the influencers only.
    world : World, optional
        A prebuilt world to share across runs (it must come from the same seed).
    initial_adopters : array of int, optional
        Consumers who have adopted before day 1 (seeds of a cascade); they talk from day 1.
    **params
        Scenario keys as flat keywords, ``__`` standing for the dot: ``budget__total=20_000``,
        ``word_of_mouth__q=0.5``, ``tiers__micro__trust=0.7``; validated like a scenario file.
        This is how ``mesa.batch_run`` varies a scenario:
        ``batch_run(InfluenceModel, {"scenario": [sc], "budget__total": [0, 20_000]}, rng=[1, 2])``.

    The day's totals are in ``model.datacollector`` (``daily_frame()``); ``records()`` returns
    a finished run's frames for metrics.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        rng: int | np.random.Generator | None = None,
        seed: int | None = None,
        replication: int = 0,
        campaign: bool = True,
        engine: Engine = "vector",
        world: World | None = None,
        initial_adopters=None,
        **params: Any,
    ) -> None:
        if engine not in ENGINES:
            raise InputError(SOURCE, "engine", engine, f"must be one of {', '.join(ENGINES)}")
        spec = _resolve(scenario, world, rng, seed, params)
        if world is not None and world.scenario.seed != spec.seed:
            raise InputError(SOURCE, "seed", spec.seed, f"the world was built with seed {world.scenario.seed}")
        self.streams = Streams.for_replication(spec.seed, replication)
        super().__init__(scenario=ModelScenario(spec, rng=self.streams.mesa_seed))
        self.replication = replication
        self.campaign = campaign
        self.engine = engine
        self.world = world or World.build(spec)
        n = self.world.n
        self.state = eng.ConsumerState.initial(n, spec, self.streams)
        self.context = eng.Context.create(spec, self.world.graph, campaign)
        if initial_adopters is not None:
            eng.seed_adopters(self.state, np.unique(np.asarray(initial_adopters, dtype=np.int64)))
        self.frontier = Frontier(self.state, self.context) if engine == "vector" else None
        self.adopters = int(self.state.adopted.sum())
        self.aware = int(self.state.aware.sum())
        self.source_names = eng.source_names(self.world.candidates.tier_names)
        self.influencers: list[Influencer] = (
            [Influencer(self, i) for i in range(len(self.world.roster))] if campaign else []
        )
        self.posting: dict[int, list[Influencer]] = {}  # day -> who posts, in roster order
        for influencer in self.influencers:
            for day in influencer.post_days.tolist():
                self.posting.setdefault(day, []).append(influencer)
        self.consumers: list[Consumer] = []
        if engine == "agents":
            self.grid = Network(self.world.graph.to_networkx(), layout=None, random=self.random)
            self.consumers = [Consumer(self, i, self.grid[i]) for i in range(n)]
        k = len(self.influencers)
        self.caused = np.zeros(k, np.int64)
        self.attributed = np.zeros(k, np.int64)
        self.referral_spend = 0.0
        columns = ["day", *(f"new_{s}" for s in self.source_names), "new_adopters", "cumulative_adopters"]
        columns += ["aware", "impressions", "engagements", "spend"]
        self.today: dict[str, float] = {}
        self.datacollector = DailyTotals(model_reporters={c: partial(_today, c) for c in columns})

    @property
    def scale(self) -> float:
        """Real people per simulated consumer."""
        return self.world.scale

    @property
    def days(self) -> int:
        return self.scenario.market.days

    def step(self) -> None:
        """Simulate one day (day ``self.steps``; Mesa counts steps from 1)."""
        day = self.steps
        posts, impressions, engagements, fees = [], 0.0, 0.0, 0.0
        for influencer in self.posting.get(day, ()):
            post = influencer.publish(self.streams.campaign)
            factor = influencer.platform_factor(self.scale)
            impressions += post.viewers.size * factor
            engagements += int(post.engaged.sum()) * factor
            fees += influencer.cost_per_post
            posts.append(post)
        exposures = eng.Exposures.of(posts)
        if self.frontier is not None:
            who, dec = self.frontier.decide(day, self.state, self.context, exposures)
        else:
            who, dec = self._decide_by_agents(day, exposures)
        counts = eng.commit(
            self.state, self.context, day, exposures, who, dec, len(self.source_names), len(self.influencers)
        )
        if self.frontier is not None:
            self.frontier.settle(day, self.state, who, dec, counts.referral_closed)
        self.adopters += counts.new_adopters.size
        self.aware += counts.newly_aware
        self.caused += counts.caused
        self.attributed += counts.attributed
        self.referral_spend += counts.referral_paid
        s = self.scale
        self.today = {"day": day}
        self.today.update({f"new_{n}": c * s for n, c in zip(self.source_names, counts.new_by_source, strict=True)})
        self.today["new_adopters"] = float(counts.new_by_source.sum()) * s
        self.today["cumulative_adopters"] = float(self.adopters) * s
        self.today["aware"] = float(self.aware) * s
        self.today.update(impressions=impressions, engagements=engagements, spend=fees + counts.referral_paid)
        self.datacollector.collect(self)
        if day >= self.days:
            self.running = False

    def _decide_by_agents(self, day: int, exp: eng.Exposures) -> tuple[np.ndarray, decision.Decision]:
        """Each Consumer agent that has not adopted decides for itself; gather their decisions."""
        order = np.argsort(exp.consumer, kind="stable")
        starts = np.searchsorted(exp.consumer[order], np.arange(self.world.n + 1))
        who = np.flatnonzero(~self.state.adopted)
        events: dict[str, list[int]] = {name: [] for name in decision.Decision._fields}
        for k, i in enumerate(who):
            rows = order[starts[i] : starts[i + 1]]
            d = self.consumers[i].decide(day, exp.take(rows))
            if d.adopters.size:
                events["adopters"].append(k)
                events["cause"].append(int(d.cause[0]))
                events["view"].append(int(decision.rows_of(d.view, rows)[0]))
            for name in ("hit", "heard"):
                if getattr(d, name).size:
                    events[name].append(k)
        return who, decision.Decision(*(np.array(events[f], np.int64) for f in decision.Decision._fields))

    def run(self) -> InfluenceModel:
        """Step through every remaining day of the scenario; returns the model."""
        self.run_model()
        return self

    def daily_frame(self) -> pd.DataFrame:
        """One row per simulated day (the DataCollector's records), with cumulative spend."""
        frame = self.datacollector.get_model_vars_dataframe()
        frame["cumulative_spend"] = frame["spend"].cumsum()
        return frame

    def influencer_frame(self) -> pd.DataFrame:
        """The hired roster with what each influencer did, in real-people units."""
        s = self.scale
        rows = []
        for inf in self.influencers:
            f = inf.platform_factor(s)
            rows.append(
                {
                    "influencer": inf.index,
                    "handle": inf.handle,
                    "tier": inf.tier_name,
                    "followers": int(inf.followers),
                    "niche": inf.niche,
                    "engagement_rate": inf.engagement_rate,
                    "reach_rate": inf.reach_rate,
                    "trust": inf.trust,
                    "cost_per_post": inf.cost_per_post,
                    "posts_planned": int(inf.post_days.size),
                    "posts": inf.posts,
                    "spend": inf.spend,
                    "impressions": inf.views * f,
                    "engagements": inf.engagements * f,
                    "reach": float(inf.seen.sum()) * s,
                    "backlashes": inf.backlashes,
                    "converted": float(self.caused[inf.index]) * s,
                    "attributed_sales": float(self.attributed[inf.index]) * s,
                }
            )
        return pd.DataFrame(rows, columns=INFLUENCER_COLUMNS)

    def records(self) -> RunRecords:
        """The run's records (call at the end of a run): what metrics and reports read."""
        names = self.world.candidates.tier_names
        infl = self.influencers
        per_tier, overall = unique_reach(
            [i.audience for i in infl],
            [i.seen for i in infl],
            np.array([i.tier for i in infl]),
            len(names),
            self.world.n,
        )
        s = self.scale
        return RunRecords(
            daily=self.daily_frame(),
            influencers=self.influencer_frame(),
            tier_reach=pd.Series(per_tier * s, index=pd.Index(names, name="tier"), dtype=float),
            reach=overall * s,
            adopters=float(self.state.adopted.sum()) * s,
            referral_spend=self.referral_spend,
            scale=s,
            state=self.state,
        )


def _resolve(scenario, world: World | None, rng, seed, params: dict[str, Any]) -> Scenario:
    """The scenario a model runs: given, loaded from a file, the world's, or every default;
    then the seed and flat ``section__key`` overrides applied and validated."""
    if scenario is None:
        spec = world.scenario if world is not None else Scenario()
    elif isinstance(scenario, str | Path):
        spec = load_scenario(scenario)
    elif isinstance(scenario, Scenario):
        spec = scenario
    else:
        raise InputError(SOURCE, "scenario", type(scenario).__name__, "a Scenario or a scenario file path")
    if rng is not None and seed is not None:
        raise InputError(SOURCE, "rng", rng, "pass rng or seed, not both")
    chosen = seed if seed is not None else rng
    if isinstance(chosen, np.random.Generator):
        chosen = int(chosen.integers(2**63))
    overrides = {key.replace("__", "."): value for key, value in params.items()}
    if chosen is not None:
        if not isinstance(chosen, int | np.integer) or isinstance(chosen, bool):
            raise InputError(SOURCE, "seed", chosen, "an integer or a numpy Generator")
        overrides["seed"] = int(chosen)
    return spec.with_overrides(overrides, SOURCE) if overrides else spec
