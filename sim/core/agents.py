"""Mesa agents: influencers (both engines) and consumers (the Mesa-agent engine).

A ``Consumer`` gathers its own inputs (the talk of its neighbours on the Mesa ``Network``, the
views it got today) and calls ``decision.decide_day`` for itself: the same function the
vectorised engine calls for everyone at once. Its state lives in the model's arrays, so both
engines share bookkeeping and records.
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa.discrete_space import CellAgent

from sim.core import decision, rules
from sim.core.engine import Exposures, Post


class Influencer(mesa.Agent):
    """A hired influencer: on its posting days, a share ``reach_rate`` of its audience sees the post."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        world = model.world
        c, j = world.candidates, int(world.roster.candidate[index])
        self.index = index
        self.handle = str(c.handle[j])
        self.tier = int(c.tier[j])
        self.tier_name = c.tier_names[self.tier]
        self.followers = float(c.followers[j])
        self.engagement_rate = float(c.engagement_rate[j])
        self.reach_rate = float(c.reach_rate[j])
        self.fake_share = float(c.fake_share[j])
        self.in_market = float(c.in_market[j])
        self.trust = float(c.trust[j])
        self.niche = int(c.niche[j])
        self.cost_per_post = float(c.cost_per_post[j])
        self.backlash_prob = float(c.backlash_prob[j])
        self.audience = world.audiences[index]
        self.post_days = world.roster.post_days[index]
        self._posting = frozenset(self.post_days.tolist())
        self.seen = np.zeros(self.audience.size, bool)
        self.posts = self.views = self.engagements = self.backlashes = 0
        self.spend = 0.0

    def posts_on(self, day: int) -> bool:
        return day in self._posting

    def publish(self, rng: np.random.Generator) -> Post:
        """Post now: draw viewers, engagement and backlash, pay for the post, and return the views.

        Side effects: the counters (posts, views, engagements, spend, unique reach) grow, and a
        backlash lowers this influencer's trust for its later posts (the post returned still
        carries the trust it had when posting).
        """
        saw = rng.random(self.audience.size) < self.reach_rate
        viewers = self.audience[saw]
        engaged = rng.random(viewers.size) < self.engagement_rate / self.reach_rate
        backlash = bool(rng.random() < self.backlash_prob)
        post = Post(self.index, self.tier, self.trust, self.niche, viewers, engaged, backlash)
        self.seen |= saw
        self.posts += 1
        self.views += viewers.size
        self.engagements += int(engaged.sum())
        self.spend += self.cost_per_post
        if backlash:
            self.backlashes += 1
            self.trust *= 1.0 - self.model.scenario.influence.backlash_trust_drop
        return post

    def platform_factor(self, scale: float) -> float:
        """Platform-wide views per simulated in-market view (adds fake and out-of-market followers)."""
        return scale / (self.in_market * (1.0 - self.fake_share))


class Consumer(CellAgent):
    """A consumer on the social graph; its funnel state is a view on the model's arrays."""

    def __init__(self, model: mesa.Model, index: int, cell) -> None:
        super().__init__(model)
        self.index = index
        self.cell = cell

    @property
    def adopted(self) -> bool:
        return bool(self.model.state.adopted[self.index])

    @property
    def nps(self) -> int:
        return int(self.model.state.nps[self.index])

    @property
    def aware(self) -> bool:
        return bool(self.model.state.aware[self.index])

    def talking(self, day: int) -> bool:
        adopt_day = self.model.state.adopt_day[self.index]
        return bool(rules.is_talking(adopt_day, day, self.model.context.active_days))

    def talk_heard(self, day: int) -> np.ndarray:
        """How many of my neighbours talk to me today, with each ``rules.talk_code``."""
        ctx, s = self.model.context, self.model.state
        counts = np.zeros(rules.TALK_CODES, np.int64)
        for neighbour in self.cell.neighborhood.agents:
            if neighbour.talking(day):
                counts[s.talk_codes(neighbour.index, ctx.referral_open)] += 1
        return counts

    def decide(self, day: int, views: Exposures) -> decision.Decision:
        """Today's decision for me alone: ``views`` are my views today, in arrival order."""
        ctx, s, i = self.model.context, self.model.state, self.index
        mine = np.zeros(len(views), np.int64)
        rates = np.zeros(0)
        if len(views):
            same = views.niche == ctx.graph.niche[i]
            prior = np.full(len(views), s.exposures[i])
            rates = rules.view_hazards(mine, prior, views.trust, same, views.engaged, views.negative, ctx.view_rules)
        return decision.decide_day(day, [i], s.deciding(ctx.degree), self.talk_heard(day), mine, rates, ctx.day_rules)
