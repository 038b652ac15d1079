"""One simulated day over arrays: the fast default engine, and the commit both engines share.

A day is synchronous: every consumer's decision is taken from the state at the start of the
day, then adoptions, attitudes and exposure counts are applied at once (``commit``). This
module only *gathers* the decision's inputs for all consumers at once (views, neighbour talk)
and calls ``rules.decide_day``; the Mesa-agent engine (``agents.Consumer.decide``) gathers the
same inputs one agent at a time and calls the same function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core import rules
from sim.core.network import SocialGraph
from sim.core.rules import BASELINE, FIRST_TIER, REFERRAL, WORD_OF_MOUTH
from sim.core.scenario import Scenario


def source_names(tier_names: list[str]) -> list[str]:
    """Adoption sources, indexed by the codes stored in ``ConsumerState.source``."""
    return [*rules.CHANNELS, *tier_names]


@dataclass
class ConsumerState:
    """Every consumer's traits and funnel state, one array per attribute.

    ``aware`` is a recorded funnel state only (seen a post or heard a talking neighbour): it
    does not enter the adoption hazard.
    """

    susceptibility: np.ndarray
    score: np.ndarray  # post-purchase 0-10 score, drawn up front so both worlds share it
    code_draw: np.ndarray  # uniform deciding whether a promoter joins the referral programme
    adopted: np.ndarray
    adopt_day: np.ndarray
    source: np.ndarray
    nps: np.ndarray
    aware: np.ndarray
    exposures: np.ndarray
    attitude: np.ndarray
    last_touch: np.ndarray
    last_touch_day: np.ndarray
    has_code: np.ndarray

    @classmethod
    def initial(cls, n: int, susceptibility_sigma: float, satisfaction: float, rng: np.random.Generator):
        return cls(
            susceptibility=rules.susceptibility(rng, n, susceptibility_sigma),
            score=rules.draw_scores(rng, n, satisfaction),
            code_draw=rng.random(n),
            adopted=np.zeros(n, bool),
            adopt_day=np.full(n, -1, np.int32),
            source=np.full(n, -1, np.int16),
            nps=np.full(n, -1, np.int8),
            aware=np.zeros(n, bool),
            exposures=np.zeros(n, np.int32),
            attitude=np.ones(n),
            last_touch=np.full(n, -1, np.int32),
            last_touch_day=np.full(n, -1, np.int32),
            has_code=np.zeros(n, bool),
        )


def seed_adopters(state: ConsumerState, consumers: np.ndarray) -> None:
    """Mark consumers as having adopted on day 0 (before the run); they count as baseline."""
    state.adopted[consumers] = True
    state.adopt_day[consumers] = 0
    state.source[consumers] = BASELINE
    state.aware[consumers] = True
    state.nps[consumers] = rules.nps_class(state.score[consumers])


@dataclass
class Exposures:
    """The day's sponsored views, one row per (viewer, post), in order of arrival."""

    consumer: np.ndarray
    influencer: np.ndarray
    tier: np.ndarray
    trust: np.ndarray
    niche: np.ndarray
    engaged: np.ndarray
    negative: np.ndarray  # the post triggered a backlash: a negative exposure

    @classmethod
    def empty(cls) -> Exposures:
        z = np.zeros(0, np.int64)
        return cls(z, z, z, np.zeros(0), z, np.zeros(0, bool), np.zeros(0, bool))

    @classmethod
    def concat(cls, parts: list[Exposures]) -> Exposures:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def take(self, rows: np.ndarray) -> Exposures:
        """The given rows, in that order."""
        return Exposures(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return self.consumer.size


@dataclass
class Draws:
    """The day's uniforms from the adoption and word-of-mouth streams (same in both worlds)."""

    adopt: np.ndarray
    cause: np.ndarray
    negative: np.ndarray

    @classmethod
    def take(cls, adoption: np.random.Generator, wom: np.random.Generator, n: int) -> Draws:
        both = adoption.random((2, n))
        return cls(both[0], both[1], wom.random(n))


@dataclass
class Context:
    """Per-run constants both engines read: the graph, the rules' parameters, talk weights,
    and the referral programme's money (which commits change)."""

    graph: SocialGraph
    degree: np.ndarray
    day_rules: rules.DayRules
    view_rules: rules.ViewRules
    talk_positive: np.ndarray
    talk_negative: np.ndarray
    active_days: int
    negative_impact: float
    attribution_window: int
    talk_boost: float
    reward: float  # USD per simulated referred sale (referral.reward x scale)
    code_share: float
    referral_left: float
    referral_open: bool

    @classmethod
    def create(cls, scenario: Scenario, graph: SocialGraph, campaign: bool) -> Context:
        w, r, inf = scenario.word_of_mouth, scenario.referral, scenario.influence
        shares = rules.nps_class_shares(scenario.consumers.satisfaction)
        pos, neg = rules.talk_weights(shares, w.promoter_share, w.negative_ratio, w.mode)
        day_rules = rules.DayRules(
            rules.baseline_rate(scenario.consumers.baseline_p), w.mode, w.q, w.tie_prob, w.complex_threshold
        )
        view_rules = rules.ViewRules(inf.conversion, inf.engaged_boost, inf.wearout_decay, inf.off_niche_relevance)
        reward = r.reward * scenario.market.population / graph.n  # a simulated referred sale stands for scale real ones
        return cls(
            graph=graph,
            degree=graph.degree,
            day_rules=day_rules,
            view_rules=view_rules,
            talk_positive=pos,
            talk_negative=neg,
            active_days=w.active_days,
            negative_impact=w.negative_impact,
            attribution_window=inf.attribution_window,
            talk_boost=r.talk_boost,
            reward=reward,
            code_share=r.code_share,
            referral_left=r.budget if campaign else 0.0,
            referral_open=campaign and r.enabled and r.budget >= reward,
        )


def view_rates(state: ConsumerState, ctx: Context, exp: Exposures) -> np.ndarray:
    """Hazard of each of the day's views (``rules.view_hazards``), for every viewer at once."""
    same = ctx.graph.niche[exp.consumer] == exp.niche
    return rules.view_hazards(
        exp.consumer, state.exposures[exp.consumer], exp.trust, same, exp.engaged, exp.negative, ctx.view_rules
    )


def neighbour_talk(state: ConsumerState, ctx: Context, talking: np.ndarray) -> rules.Talk:
    """Summed talk each consumer hears from talking neighbours, in one sparse pass."""
    n = talking.size
    cls_ = np.maximum(state.nps, 0)
    volume = np.where(talking, ctx.talk_positive[cls_], 0.0)
    coded = talking & state.has_code & ctx.referral_open
    columns = {
        "plain": np.where(coded, 0.0, volume),
        "coded": np.where(coded, volume * ctx.talk_boost, 0.0),
        "negative": np.where(talking, ctx.talk_negative[cls_], 0.0),
    }
    if ctx.day_rules.threshold > 1:  # only complex contagion counts positive talkers
        columns["positive_talkers"] = (volume > 0).astype(np.float64)
    senders = np.flatnonzero(talking)
    needed = [k for k, v in columns.items() if senders.size and v[senders].any()]
    sums = dict.fromkeys(rules.Talk._fields, np.zeros(n))
    if needed:
        summed = ctx.graph.neighbour_sum(np.column_stack([columns[k] for k in needed]), senders)
        sums.update(zip(needed, summed.T, strict=True))
    return rules.Talk(**sums)


def decide(state: ConsumerState, ctx: Context, day: int, exp: Exposures, draws: Draws) -> rules.Decision:
    """The vectorised day: gather every consumer's inputs, then ``rules.decide_day``."""
    talking = rules.is_talking(state.adopt_day, day, ctx.active_days)
    return rules.decide_day(
        state.adopted,
        state.susceptibility * state.attitude,
        ctx.degree,
        neighbour_talk(state, ctx, talking),
        exp.consumer,
        view_rates(state, ctx, exp),
        draws.adopt,
        draws.cause,
        draws.negative,
        ctx.day_rules,
    )


@dataclass
class DayCounts:
    new_by_source: np.ndarray
    caused: np.ndarray  # per roster influencer: adopters its posts converted
    attributed: np.ndarray  # per roster influencer: promo-code (last-touch) sales
    referral_paid: float


def commit(
    state: ConsumerState,
    ctx: Context,
    day: int,
    exp: Exposures,
    dec: rules.Decision,
    n_sources: int,
    n_influencers: int,
) -> DayCounts:
    """Apply the day's decisions and exposures; return what the day counted."""
    state.aware[exp.consumer] = True
    state.aware |= dec.heard
    hit = dec.negative_hit.copy()
    hit[exp.consumer[exp.negative]] = True  # viewers of a backlash post
    state.attitude = rules.attitude_after_negative(state.attitude, hit, ctx.negative_impact)
    positive = ~exp.negative
    state.exposures += np.bincount(exp.consumer[positive], minlength=state.exposures.size).astype(np.int32)
    # last touch: the last positive view of the day per consumer
    touched = exp.consumer[positive]
    if touched.size:
        rev = slice(None, None, -1)
        uniq, first_rev = np.unique(touched[rev], return_index=True)
        state.last_touch[uniq] = exp.influencer[positive][rev][first_rev]
        state.last_touch_day[uniq] = day

    new = np.flatnonzero(dec.adopt)
    view = dec.view[new]
    by_view = view >= 0
    cause = dec.cause[new].copy()
    cause[by_view] = FIRST_TIER + exp.tier[view[by_view]]
    converter = exp.influencer[view[by_view]]
    paid = 0.0
    referred = np.flatnonzero(cause == REFERRAL)
    if referred.size:
        affordable = int(min(referred.size, ctx.referral_left // max(ctx.reward, 1e-12)))
        cause[referred[affordable:]] = WORD_OF_MOUTH  # codes no longer honoured: plain word of mouth
        paid = affordable * ctx.reward
        ctx.referral_left -= paid
        if ctx.referral_left < ctx.reward:
            ctx.referral_open = False
    state.adopted[new] = True
    state.adopt_day[new] = day
    state.source[new] = cause
    state.aware[new] = True
    state.nps[new] = rules.nps_class(state.score[new])
    if ctx.referral_open:
        promoters = new[state.nps[new] == rules.PROMOTER]
        state.has_code[promoters[state.code_draw[promoters] < ctx.code_share]] = True

    recent = new[(state.last_touch[new] >= 0) & (state.last_touch_day[new] > day - ctx.attribution_window)]
    return DayCounts(
        new_by_source=np.bincount(cause, minlength=n_sources),
        caused=np.bincount(converter, minlength=n_influencers),
        attributed=np.bincount(state.last_touch[recent], minlength=n_influencers),
        referral_paid=paid,
    )
