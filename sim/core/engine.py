"""The consumers' arrays, the day's sponsored views, and the commit both engines share.

A day is synchronous: every consumer's decision is taken from the state at the start of the
day (``decision.decide_day``), then adoptions, attitudes and exposure counts are applied at once
(``commit``). Who is decided differs by engine: the default engine (``frontier.Frontier``)
decides only the consumers a day can change, the Mesa-agent engine (``agents.Consumer``) every
consumer who has not adopted; both call the same rule and this commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from sim.core import decision, rules
from sim.core.network import SocialGraph
from sim.core.rules import BASELINE, FIRST_TIER, REFERRAL, WORD_OF_MOUTH
from sim.core.scenario import Scenario
from sim.core.streams import Streams


def source_names(tier_names: list[str]) -> list[str]:
    """Adoption sources, indexed by the codes stored in ``ConsumerState.source``."""
    return [*rules.CHANNELS, *tier_names]


class ThresholdLayers:
    """Exp(1) thresholds of negative word-of-mouth hits: a consumer's k-th hit is decided against
    layer k. Layers are drawn whole and in order from the word-of-mouth stream, so the campaign
    and the no-campaign world of a replication hold identical layers whatever their hits."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng, self.n = rng, n
        self.layers = [rng.standard_exponential(n)]

    def take(self, layer: np.ndarray, consumers: np.ndarray) -> np.ndarray:
        """Threshold of each consumer in its ``layer``."""
        while len(self.layers) <= (int(layer.max()) if layer.size else 0):
            self.layers.append(self.rng.standard_exponential(self.n))
        out = np.empty(consumers.size)
        for k in np.unique(layer):
            mine = layer == k
            out[mine] = self.layers[k][consumers[mine]]
        return out


@dataclass
class ConsumerState:
    """Every consumer's traits, thresholds and funnel state, one array per attribute.

    ``aware`` is a recorded funnel state only (seen a post or heard a talking neighbour): it
    does not enter the adoption hazard. ``threshold``, ``negative_threshold`` and ``cause_draw``
    are drawn up front (``decision.Thresholds``); ``pressure`` ... ``since`` are each consumer's
    running account of hazards (``decision.Standing``).
    """

    susceptibility: np.ndarray
    score: np.ndarray  # post-purchase 0-10 score, drawn up front so both worlds share it
    code_draw: np.ndarray  # uniform deciding whether a promoter joins the referral programme
    threshold: np.ndarray
    negative_threshold: np.ndarray
    cause_draw: np.ndarray
    negative_layers: ThresholdLayers
    negative_hits: np.ndarray
    pressure: np.ndarray
    negative_rate: np.ndarray
    accrued: np.ndarray
    negative_accrued: np.ndarray
    since: np.ndarray
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
    def initial(cls, n: int, scenario: Scenario, streams: Streams) -> ConsumerState:
        """Traits from the consumers stream, adoption thresholds and cause draws from the adoption
        stream, negative thresholds from the word-of-mouth stream: all up front, identical in both
        worlds of a replication."""
        c, rng = scenario.consumers, streams.consumers
        layers = ThresholdLayers(streams.word_of_mouth, n)
        return cls(
            susceptibility=rules.susceptibility(rng, n, c.susceptibility_sigma),
            score=rules.draw_scores(rng, n, c.satisfaction),
            code_draw=rng.random(n),
            threshold=streams.adoption.standard_exponential(n),
            negative_threshold=layers.layers[0].copy(),
            cause_draw=streams.adoption.random(n),
            negative_layers=layers,
            negative_hits=np.zeros(n, np.int32),
            pressure=np.full(n, rules.baseline_rate(c.baseline_p)),
            negative_rate=np.zeros(n),
            accrued=np.zeros(n),
            negative_accrued=np.zeros(n),
            since=np.zeros(n, np.int32),
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

    @property
    def standing(self) -> decision.Standing:
        """Every consumer's running account (the arrays themselves, not copies)."""
        return decision.Standing(self.pressure, self.negative_rate, self.accrued, self.negative_accrued, self.since)

    @property
    def thresholds(self) -> decision.Thresholds:
        return decision.Thresholds(self.threshold, self.negative_threshold, self.cause_draw)

    def deciding(self, degree: np.ndarray) -> decision.Consumers:
        """What ``decision.decide_day`` reads of every consumer (the arrays themselves, not copies)."""
        return decision.Consumers(
            self.standing, self.thresholds, self.susceptibility, self.attitude, self.aware, degree
        )

    def talk_codes(self, who, referral_open: bool) -> np.ndarray:
        """``rules.talk_code`` of consumers who talk (adopters)."""
        return rules.talk_code(self.nps[who], self.has_code[who] & referral_open)


def seed_adopters(state: ConsumerState, consumers: np.ndarray) -> None:
    """Mark consumers as having adopted on day 0 (before the run); they count as baseline."""
    state.adopted[consumers] = True
    state.adopt_day[consumers] = 0
    state.source[consumers] = BASELINE
    state.aware[consumers] = True
    state.nps[consumers] = rules.nps_class(state.score[consumers])


class Post(NamedTuple):
    """One post that went out: who posted (roster index, tier, trust, niche), who saw it, who
    engaged, and whether it triggered a backlash."""

    influencer: int
    tier: int
    trust: float
    niche: int
    viewers: np.ndarray
    engaged: np.ndarray
    backlash: bool


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
    def of(cls, posts: list[Post]) -> Exposures:
        """The views of the day's posts, post after post."""
        if not posts:
            return cls.empty()
        sizes = [p.viewers.size for p in posts]
        per_post = [np.repeat(np.array(column), sizes) for column in list(zip(*posts, strict=True))[:4]]
        influencer, tier, trust, niche = per_post
        backlash = np.repeat(np.array([p.backlash for p in posts]), sizes)
        viewers = np.concatenate([p.viewers for p in posts])
        engaged = np.concatenate([p.engaged for p in posts])
        return cls(viewers, influencer, tier, trust.astype(np.float64), niche, engaged, backlash)

    def take(self, rows: np.ndarray) -> Exposures:
        """The given rows, in that order."""
        return Exposures(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return self.consumer.size


@dataclass
class Context:
    """Per-run constants both engines read: the graph, the rules' parameters, and the referral
    programme's money (which commits change)."""

    graph: SocialGraph
    degree: np.ndarray
    day_rules: decision.DayRules
    view_rules: rules.ViewRules
    days: int
    active_days: int
    negative_impact: float
    attribution_window: int
    reward: float  # USD per simulated referred sale (referral.reward x scale)
    code_share: float
    referral_left: float
    referral_open: bool

    @classmethod
    def create(cls, scenario: Scenario, graph: SocialGraph, campaign: bool) -> Context:
        w, r, inf = scenario.word_of_mouth, scenario.referral, scenario.influence
        shares = rules.nps_class_shares(scenario.consumers.satisfaction)
        pos, neg = rules.talk_weights(shares, w.promoter_share, w.negative_ratio, w.mode)
        day_rules = decision.DayRules(
            rules.baseline_rate(scenario.consumers.baseline_p),
            w.mode == "cascade",
            w.q,
            w.tie_prob,
            w.complex_threshold,
            tuple(float(x) for x in pos),
            tuple(float(x) for x in neg),
            float(r.talk_boost),
        )
        view_rules = rules.ViewRules(inf.conversion, inf.engaged_boost, inf.wearout_decay, inf.off_niche_relevance)
        reward = r.reward * scenario.market.population / graph.n  # a simulated referred sale stands for scale real ones
        return cls(
            graph=graph,
            degree=graph.degree,
            day_rules=day_rules,
            view_rules=view_rules,
            days=scenario.market.days,
            active_days=w.active_days,
            negative_impact=w.negative_impact,
            attribution_window=inf.attribution_window,
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


@dataclass
class DayCounts:
    new_adopters: np.ndarray  # consumers who adopted today, ascending
    new_by_source: np.ndarray
    newly_aware: int
    caused: np.ndarray  # per roster influencer: adopters its posts converted
    attributed: np.ndarray  # per roster influencer: promo-code (last-touch) sales
    referral_paid: float
    referral_closed: bool  # the programme ran out of money today


@njit(cache=True)
def _view(consumer, influencer, negative, day, aware, exposures, last_touch, last_touch_day):  # pragma: no cover
    """Count each positive view, keep the day's last positive view per consumer as its last touch,
    mark viewers aware. Returns how many became aware."""
    fresh = 0
    for row in range(consumer.size):
        i = consumer[row]
        if not aware[i]:
            aware[i] = True
            fresh += 1
        if not negative[row]:
            exposures[i] += 1
            last_touch[i] = influencer[row]
            last_touch_day[i] = day
    return fresh


def commit(
    state: ConsumerState,
    ctx: Context,
    day: int,
    exp: Exposures,
    who: np.ndarray,
    dec: decision.Decision,
    n_sources: int,
    n_influencers: int,
) -> DayCounts:
    """Apply the day's decisions of consumers ``who`` (ascending; ``dec.view`` rows index ``exp``)
    and the day's exposures; return what the day counted. Touches only those consumers and viewers."""
    heard = who[dec.heard]  # not aware before: talk reached them
    state.aware[heard] = True
    fresh = heard.size
    hitters = who[dec.hit]
    if hitters.size:  # a fresh threshold for the next hit, from the next layer
        state.negative_hits[hitters] += 1
        state.negative_threshold[hitters] = state.negative_layers.take(state.negative_hits[hitters], hitters)
    if exp.negative.any():  # viewers of a backlash post are hit too
        hitters = np.union1d(hitters, exp.consumer[exp.negative])
    if hitters.size:
        state.attitude[hitters] = rules.attitude_after_negative(state.attitude[hitters], True, ctx.negative_impact)
    if len(exp):
        fresh += _view(
            exp.consumer,
            exp.influencer,
            exp.negative,
            day,
            state.aware,
            state.exposures,
            state.last_touch,
            state.last_touch_day,
        )

    new = who[dec.adopters]
    counts = DayCounts(
        new,
        np.zeros(n_sources, np.int64),
        fresh,
        np.zeros(n_influencers, np.int64),
        np.zeros(n_influencers, np.int64),
        0.0,
        False,
    )
    if not new.size:
        return counts
    view, cause = dec.view, dec.cause.copy()
    by_view = view >= 0
    cause[by_view] = FIRST_TIER + exp.tier[view[by_view]]
    counts.caused = np.bincount(exp.influencer[view[by_view]], minlength=n_influencers)
    referred = np.flatnonzero(cause == REFERRAL)
    if referred.size:
        affordable = int(min(referred.size, ctx.referral_left // max(ctx.reward, 1e-12)))
        cause[referred[affordable:]] = WORD_OF_MOUTH  # codes no longer honoured: plain word of mouth
        counts.referral_paid = affordable * ctx.reward
        ctx.referral_left -= counts.referral_paid
        if ctx.referral_open and ctx.referral_left < ctx.reward:
            ctx.referral_open = False
            counts.referral_closed = True
    counts.newly_aware += int(np.count_nonzero(~state.aware[new]))
    state.aware[new] = True
    state.adopted[new] = True
    state.adopt_day[new] = day
    state.source[new] = cause
    state.nps[new] = rules.nps_class(state.score[new])
    if ctx.referral_open:
        promoters = new[state.nps[new] == rules.PROMOTER]
        state.has_code[promoters[state.code_draw[promoters] < ctx.code_share]] = True
    recent = new[(state.last_touch[new] >= 0) & (state.last_touch_day[new] > day - ctx.attribution_window)]
    counts.new_by_source = np.bincount(cause, minlength=n_sources)
    counts.attributed = np.bincount(state.last_touch[recent], minlength=n_influencers)
    return counts
