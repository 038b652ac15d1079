"""InfluenceModel: the Mesa model that wires a world, its influencers and its consumers.

One step is one day: influencers post, consumers decide (vectorised, or one Mesa agent at a
time with ``engine="agents"``), and the day's counts are recorded.
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network

from sim.core import engine as eng
from sim.core.agents import Consumer, Influencer
from sim.core.scenario import Scenario
from sim.core.streams import Streams
from sim.core.world import World

ENGINES = ("vector", "agents")


class InfluenceModel(mesa.Model):
    """Word of mouth and influencer campaigns on a social graph, one day per step.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    replication : int
        Which replication's random streams to use (with ``scenario.seed``).
    campaign : bool
        False simulates the same market with no influencers and no referral programme.
    engine : {"vector", "agents"}
        ``vector`` runs the day over arrays; ``agents`` steps Mesa ``Consumer`` agents.
    world : World, optional
        A prebuilt world (graph, marketplace, roster) to share across runs.
    consumer_agents : bool
        Create ``Consumer`` agents on a Mesa ``Network`` even for the vector engine (inspection).
    initial_adopters : array of int, optional
        Consumers who have adopted before day 1 (seeds of a cascade); they talk from day 1.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        replication: int = 0,
        campaign: bool = True,
        engine: str = "vector",
        world: World | None = None,
        consumer_agents: bool = False,
        initial_adopters=None,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        self.streams = Streams.for_replication(scenario.seed, replication)
        super().__init__(rng=self.streams.mesa_seed)
        self.config = scenario
        self.replication = replication
        self.campaign = campaign
        self.engine = engine
        self.world = world or World.build(scenario)
        self.day = 0
        n = self.world.n
        self.state = eng.ConsumerState.initial(n, scenario, self.streams.consumers)
        self.context = eng.Context.create(scenario, self.world.graph, campaign)
        if initial_adopters is not None:
            eng.seed_adopters(self.state, np.asarray(initial_adopters, dtype=np.int64))
        self.source_names = eng.source_names(self.world.candidates.tier_names)
        self.influencers: list[Influencer] = (
            [Influencer(self, i) for i in range(len(self.world.roster))] if campaign else []
        )
        self.consumers: list[Consumer] = []
        if engine == "agents" or consumer_agents:
            self.grid = Network(self.world.graph.to_networkx(), layout=None, random=self.random)
            self.consumers = [Consumer(self, i, self.grid[i]) for i in range(n)]
        k = len(self.influencers)
        self.caused = np.zeros(k, np.int64)
        self.attributed = np.zeros(k, np.int64)
        self.referral_spend = 0.0
        self.daily: list[dict] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "adopters": lambda m: int(m.state.adopted.sum()),
                "aware": lambda m: int(m.state.aware.sum()),
            }
        )

    @property
    def scale(self) -> float:
        return self.world.scale

    @property
    def days(self) -> int:
        return self.config.market.days

    def step(self) -> None:
        """Simulate one day."""
        self.day += 1
        day = self.day
        posts = []
        for influencer in self.influencers:
            if influencer.posts_on(day):
                post = influencer.post(self.streams.campaign)
                posts.append((influencer, post, influencer.exposures(post)))
        exposures = eng.Exposures.concat([p[2] for p in posts])
        draws = eng.Draws.take(self.streams.adoption, self.streams.word_of_mouth, self.world.n)
        if self.engine == "vector":
            decisions = eng.decide(self.state, self.context, day, exposures, draws)
        else:
            decisions = self._decide_by_agents(day, exposures, draws)
        counts = eng.commit(
            self.state, self.context, day, exposures, decisions, len(self.source_names), len(self.influencers)
        )
        self.caused += counts.caused
        self.attributed += counts.attributed
        self.referral_spend += counts.referral_paid
        self._record(day, posts, counts)
        self.datacollector.collect(self)
        if day >= self.days:
            self.running = False

    def _decide_by_agents(self, day: int, exp: eng.Exposures, draws: eng.Draws) -> eng.Decisions:
        rates, _ = eng.exposure_rates(self.state, self.context, exp)
        rows: dict[int, list] = defaultdict(list)
        for c, i, r, t, neg in zip(exp.consumer, exp.influencer, rates, exp.tier, exp.negative, strict=True):
            rows[int(c)].append((int(i), float(r), int(t), bool(neg)))
        n = self.world.n
        adopt, cause = np.zeros(n, bool), np.full(n, -1, np.int16)
        cause_inf, hit, heard = np.full(n, -1, np.int64), np.zeros(n, bool), np.zeros(n, bool)
        for agent in self.consumers:
            i = agent.index
            adopt[i], cause[i], cause_inf[i], hit[i], heard[i] = agent.decide(
                day, rows.get(i, []), draws.adopt[i], draws.cause[i], draws.negative[i]
            )
        return eng.Decisions(adopt, cause, cause_inf, hit, heard)

    def _record(self, day: int, posts: list, counts: eng.DayCounts) -> None:
        s = self.scale
        row = {"day": day}
        for name, count in zip(self.source_names, counts.new_by_source, strict=True):
            row[f"new_{name}"] = count * s
        row["new_adopters"] = float(counts.new_by_source.sum()) * s
        row["cumulative_adopters"] = float(self.state.adopted.sum()) * s
        row["aware"] = float(self.state.aware.sum()) * s
        row["impressions"] = sum(p[1].viewers.size * p[0].platform_factor(s) for p in posts)
        row["engagements"] = sum(int(p[1].engaged.sum()) * p[0].platform_factor(s) for p in posts)
        row["spend"] = sum(p[0].cost_per_post for p in posts) + counts.referral_paid
        self.daily.append(row)

    def run(self) -> InfluenceModel:
        """Step through every day of the scenario."""
        while self.day < self.days:
            self.step()
        return self

    def daily_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.daily)
        frame["cumulative_spend"] = frame["spend"].cumsum() if len(frame) else []
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


INFLUENCER_COLUMNS = [
    "influencer",
    "tier",
    "followers",
    "niche",
    "engagement_rate",
    "reach_rate",
    "trust",
    "cost_per_post",
    "posts_planned",
    "posts",
    "spend",
    "impressions",
    "engagements",
    "reach",
    "backlashes",
    "converted",
    "attributed_sales",
]
