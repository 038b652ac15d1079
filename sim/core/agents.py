"""Mesa agents: influencers (both engines) and consumers (the Mesa-agent engine).

``Consumer.decide`` is the readable, per-agent version of ``engine.decide``: the same rules
from ``sim.core.rules``, one agent at a time. Its state lives in the model's arrays, so both
engines share bookkeeping and records.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
from mesa.discrete_space import CellAgent

from sim.core import rules
from sim.core.engine import BASELINE, FIRST_TIER, REFERRAL, WORD_OF_MOUTH, Exposures


@dataclass
class Post:
    """One post's outcome: who saw it, who engaged, and whether it caused a backlash."""

    viewers: np.ndarray
    engaged: np.ndarray
    backlash: bool


class Influencer(mesa.Agent):
    """A hired influencer: on its posting days, a share ``reach_rate`` of its audience sees the post."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        world = model.world
        c, j = world.candidates, int(world.roster.candidate[index])
        self.index = index
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

    def post(self, rng: np.random.Generator) -> Post:
        """Publish: draw viewers, engagement and backlash; pay for the post."""
        saw = rng.random(self.audience.size) < self.reach_rate
        viewers = self.audience[saw]
        engaged = rng.random(viewers.size) < self.engagement_rate / self.reach_rate
        backlash = bool(rng.random() < self.backlash_prob)
        self.seen |= saw
        self.posts += 1
        self.views += viewers.size
        self.engagements += int(engaged.sum())
        self.spend += self.cost_per_post
        return Post(viewers, engaged, backlash)

    def exposures(self, post: Post) -> Exposures:
        n = post.viewers.size
        ex = Exposures(
            post.viewers,
            np.full(n, self.index),
            np.full(n, self.tier),
            np.full(n, self.trust),
            np.full(n, self.niche),
            post.engaged,
            np.full(n, post.backlash),
        )
        if post.backlash:  # a controversy costs the influencer trust for its later posts
            self.backlashes += 1
            self.trust *= 1.0 - self.model.config.influence.backlash_trust_drop
        return ex

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
        s = self.model.state
        return bool(rules.is_talking(s.adopt_day[self.index], day, self.model.config.word_of_mouth.active_days))

    def word_of_mouth(self, day: int) -> tuple[float, float, float, int]:
        """Talk reaching me today: (plain positive, referral-coded positive, negative, talkers)."""
        ctx, s = self.model.context, self.model.state
        boost = self.model.config.referral.talk_boost
        plain = coded = negative = 0.0
        talkers = 0
        for neighbour in self.cell.neighborhood.agents:
            if not neighbour.talking(day):
                continue
            talkers += 1
            cls_ = neighbour.nps
            if ctx.referral_open and s.has_code[neighbour.index]:
                coded += ctx.talk_positive[cls_] * boost
            else:
                plain += ctx.talk_positive[cls_]
            negative += ctx.talk_negative[cls_]
        return plain, coded, negative, talkers

    def decide(
        self,
        day: int,
        exposure_rows: list[tuple[int, float, int, bool]],
        u_adopt: float,
        u_cause: float,
        u_negative: float,
    ) -> tuple[bool, int, int, bool, bool]:
        """(adopt, cause, converting influencer, negative hit, heard) from today's hazards.

        ``exposure_rows``: (influencer, hazard rate, tier, negative) of my views today.
        """
        if self.adopted:
            return False, -1, -1, False, False
        ctx, s, w = self.model.context, self.model.state, self.model.config.word_of_mouth
        plain, coded, negative, talkers = self.word_of_mouth(day)
        degree = ctx.degree[self.index]
        gate = rules.reinforced(talkers, w.complex_threshold) if w.complex_threshold > 1 else True
        wom = float(ctx.wom_rate(np.float64(plain), degree)) * gate if plain else 0.0
        referral = float(ctx.wom_rate(np.float64(coded), degree)) * gate if coded else 0.0
        negative_rate = float(ctx.wom_rate(np.float64(negative), degree)) if negative else 0.0
        hit = negative_rate > 0 and u_negative < float(rules.chance_from_rate(negative_rate))
        heard = wom > 0 or referral > 0 or negative_rate > 0
        hazard = ctx.base_rate + wom + referral + sum(row[1] for row in exposure_rows)
        p = float(rules.adoption_probability(hazard, s.susceptibility[self.index] * s.attitude[self.index]))
        if u_adopt >= p:
            return False, -1, -1, hit, heard
        # Which chance fired: in proportion to each chance's share of the hazard.
        chances = [(BASELINE, -1, ctx.base_rate), (WORD_OF_MOUTH, -1, wom), (REFERRAL, -1, referral)]
        chances += [(FIRST_TIER + tier, influencer, rate) for influencer, rate, tier, _ in exposure_rows]
        v = u_cause * hazard
        for cause, influencer, rate in chances:
            if v < rate:
                return True, cause, influencer, hit, heard
            v -= rate
        cause, influencer, _ = next(c for c in reversed(chances) if c[2] > 0)  # rounding at the top end
        return True, cause, influencer, hit, heard
