"""One simulated day over arrays: the fast default engine, and the commit both engines share.

A day is synchronous: every consumer's hazard is computed from the state at the start of the
day (``decide``), then adoptions, attitudes and exposure counts are applied at once (``commit``).
The Mesa-agent engine (``agents.Consumer.decide``) replaces ``decide`` with a per-agent loop
over the same rules; ``commit`` is common to both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core import rules
from sim.core.network import SocialGraph
from sim.core.scenario import Scenario

BASELINE, WORD_OF_MOUTH, REFERRAL, FIRST_TIER = 0, 1, 2, 3
SOURCES = ("baseline", "word_of_mouth", "referral")


def source_names(tier_names: list[str]) -> list[str]:
    """Adoption sources, indexed by the codes stored in ``ConsumerState.source``."""
    return [*SOURCES, *tier_names]


@dataclass
class ConsumerState:
    """Every consumer's traits and funnel state, one array per attribute."""

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
    def initial(cls, n: int, scenario: Scenario, rng: np.random.Generator) -> ConsumerState:
        c = scenario.consumers
        return cls(
            susceptibility=rules.susceptibility(rng, n, c.susceptibility_sigma),
            score=rules.draw_scores(rng, n, c.satisfaction),
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
    """The day's sponsored views, one row per (viewer, post)."""

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
class Decisions:
    """What the day's hazards decided, before anything is applied."""

    adopt: np.ndarray
    cause: np.ndarray  # source code per consumer (meaningful where adopt)
    cause_influencer: np.ndarray  # roster index of the converting post, else -1
    negative_hit: np.ndarray
    heard: np.ndarray  # a talking neighbour reached the consumer: it is now aware


@dataclass
class Context:
    """Per-run constants both engines read: the graph, the rules' parameters, talk weights."""

    scenario: Scenario
    graph: SocialGraph
    degree: np.ndarray
    talk_positive: np.ndarray
    talk_negative: np.ndarray
    base_rate: float
    referral_left: float
    referral_open: bool = field(default=False)

    @classmethod
    def create(cls, scenario: Scenario, graph: SocialGraph, campaign: bool) -> Context:
        w = scenario.word_of_mouth
        shares = rules.nps_class_shares(scenario.consumers.satisfaction)
        pos, neg = rules.talk_weights(shares, w.promoter_share, w.negative_ratio)
        open_ = campaign and scenario.referral.enabled and scenario.referral.budget >= scenario.referral.reward
        return cls(
            scenario,
            graph,
            graph.degree,
            pos,
            neg,
            rules.baseline_rate(scenario.consumers.baseline_p),
            scenario.referral.budget if campaign else 0.0,
            open_,
        )

    def wom_rate(self, talk_sum, degree=None):
        """Word-of-mouth hazard for summed talk (all consumers, or one with ``degree``)."""
        w = self.scenario.word_of_mouth
        return rules.wom_rate(talk_sum, self.degree if degree is None else degree, w.mode, w.q, w.tie_prob)


def exposure_rates(state: ConsumerState, ctx: Context, exp: Exposures) -> tuple[np.ndarray, np.ndarray]:
    """Hazard of each positive exposure (0 for backlash posts), with wear-out by order of arrival."""
    inf = ctx.scenario.influence
    order = np.argsort(exp.consumer, kind="stable")
    sorted_c = exp.consumer[order]
    first = np.searchsorted(sorted_c, sorted_c, side="left")
    positive_sorted = (~exp.negative[order]).astype(np.int64)
    # rank among the consumer's positive exposures today (0-based), in order of arrival
    cum = np.cumsum(positive_sorted)
    rank_sorted = cum - positive_sorted - (cum[first] - positive_sorted[first])
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    k = state.exposures[exp.consumer] + rank + 1
    same = ctx.graph.niche[exp.consumer] == exp.niche
    chance = rules.sponsored_chance(
        inf.conversion,
        exp.trust,
        rules.relevance(same, inf.off_niche_relevance),
        exp.engaged,
        inf.engaged_boost,
        k,
        inf.wearout_decay,
    )
    rate = np.where(exp.negative, 0.0, rules.rate_from_chance(chance))
    return rate, order


def neighbour_talk(state: ConsumerState, ctx: Context, talking: np.ndarray) -> dict[str, np.ndarray]:
    """Summed talk each consumer hears from talking neighbours, in one sparse pass.

    plain: positive talk; coded: positive talk carrying a referral code; negative: detractors'
    talk; talkers: how many neighbours talk (for complex contagion).
    """
    n = talking.size
    cls_ = np.maximum(state.nps, 0)
    volume = np.where(talking, ctx.talk_positive[cls_], 0.0)
    coded = talking & state.has_code & ctx.referral_open
    columns = {
        "plain": np.where(coded, 0.0, volume),
        "coded": np.where(coded, volume * ctx.scenario.referral.talk_boost, 0.0),
        "negative": np.where(talking, ctx.talk_negative[cls_], 0.0),
    }
    if ctx.scenario.word_of_mouth.complex_threshold > 1:
        columns["talkers"] = talking.astype(np.float64)  # only complex contagion counts them
    senders = np.flatnonzero(talking)
    needed = [k for k, v in columns.items() if senders.size and v[senders].any()]
    sums = dict.fromkeys(columns, np.zeros(n))
    if needed:
        summed = ctx.graph.neighbour_sum(np.column_stack([columns[k] for k in needed]), senders)
        sums.update(zip(needed, summed.T, strict=True))
    return sums


def decide(state: ConsumerState, ctx: Context, day: int, exp: Exposures, draws: Draws) -> Decisions:
    """The vectorised day: every consumer's hazard from the start-of-day state."""
    n, sc = state.adopted.size, ctx.scenario
    w = sc.word_of_mouth
    rate_e, order = exposure_rates(state, ctx, exp)
    sponsored = np.bincount(exp.consumer, rate_e, minlength=n)

    talking = rules.is_talking(state.adopt_day, day, w.active_days)
    heard_from = neighbour_talk(state, ctx, talking)
    wom, referral = ctx.wom_rate(heard_from["plain"]), ctx.wom_rate(heard_from["coded"])
    if w.complex_threshold > 1:
        gate = rules.reinforced(heard_from["talkers"], w.complex_threshold)
        wom, referral = wom * gate, referral * gate
    negative = ctx.wom_rate(heard_from["negative"])
    heard = (wom > 0) | (referral > 0) | (negative > 0)
    negative_hit = ~state.adopted & (negative > 0) & (draws.negative < rules.chance_from_rate(negative))

    hazard = ctx.base_rate + wom + referral + sponsored
    p = rules.adoption_probability(hazard, state.susceptibility * state.attitude)
    adopt = ~state.adopted & (draws.adopt < p)

    # Which chance fired: drawn in proportion to each chance's share of the hazard.
    v = draws.cause * hazard
    c1 = ctx.base_rate
    c2 = c1 + wom
    c3 = c2 + referral
    cause = np.where(v < c1, BASELINE, np.where(v < c2, WORD_OF_MOUTH, np.where(v < c3, REFERRAL, -1)))
    cause_influencer = np.full(n, -1, np.int64)
    pick = np.flatnonzero(adopt & (cause == -1))
    if pick.size:
        cum = np.cumsum(rate_e[order])
        sorted_c = exp.consumer[order]
        start = np.searchsorted(sorted_c, pick, side="left")
        before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
        pos = np.searchsorted(cum, before + (v[pick] - c3[pick]), side="right")
        pos = np.minimum(pos, np.searchsorted(sorted_c, pick, side="right") - 1)
        chosen = order[pos]
        cause_influencer[pick] = exp.influencer[chosen]
        cause[pick] = FIRST_TIER + exp.tier[chosen]
    return Decisions(adopt, cause.astype(np.int16), cause_influencer, negative_hit, heard)


@dataclass
class DayCounts:
    new_by_source: np.ndarray
    caused: np.ndarray  # per roster influencer: adopters its posts converted
    attributed: np.ndarray  # per roster influencer: promo-code (last-touch) sales
    referral_paid: float


def commit(
    state: ConsumerState, ctx: Context, day: int, exp: Exposures, dec: Decisions, n_sources: int, n_influencers: int
) -> DayCounts:
    """Apply the day's decisions and exposures; return what the day counted."""
    sc = ctx.scenario
    state.aware[exp.consumer] = True
    state.aware |= dec.heard
    backlash_viewers = exp.consumer[exp.negative]
    hit = dec.negative_hit.copy()
    hit[backlash_viewers] = True
    state.attitude = rules.attitude_after_negative(state.attitude, hit, sc.word_of_mouth.negative_impact)
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
    cause = dec.cause[new].copy()
    paid = 0.0
    referred = np.flatnonzero(cause == REFERRAL)
    if referred.size:
        affordable = int(min(referred.size, ctx.referral_left // max(sc.referral.reward, 1e-12)))
        cause[referred[affordable:]] = WORD_OF_MOUTH  # codes no longer honoured: plain word of mouth
        paid = affordable * sc.referral.reward
        ctx.referral_left -= paid
        if ctx.referral_left < sc.referral.reward:
            ctx.referral_open = False
    state.adopted[new] = True
    state.adopt_day[new] = day
    state.source[new] = cause
    state.aware[new] = True
    state.nps[new] = rules.nps_class(state.score[new])
    if ctx.referral_open:
        promoters = new[state.nps[new] == rules.PROMOTER]
        state.has_code[promoters[state.code_draw[promoters] < sc.referral.code_share]] = True

    window = sc.influence.attribution_window
    recent = new[(state.last_touch[new] >= 0) & (state.last_touch_day[new] > day - window)]
    return DayCounts(
        new_by_source=np.bincount(cause, minlength=n_sources),
        caused=np.bincount(dec.cause_influencer[new][dec.cause_influencer[new] >= 0], minlength=n_influencers),
        attributed=np.bincount(state.last_touch[recent], minlength=n_influencers),
        referral_paid=paid,
    )
