"""Behavioural rules as pure functions on arrays: the single place both engines read.

Every chance of adoption is handled as a hazard *rate* (log-survival), so independent chances
combine by addition: P = 1 - (1 - a) * prod_e (1 - b_e) becomes P = 1 - exp(-(A + sum_e B_e))
with A = -log(1 - a). Susceptibility scales the summed hazard (Goldenberg, Libai & Muller 2001).
A chance of exactly 1 is a rate of +inf: certain, and handled exactly (never divided).

The day's decision is ``decide_day``: both engines gather its inputs (the talk each consumer
hears, the views it got) and call it, the vectorised engine for every consumer at once, each
Mesa ``Consumer`` agent for itself. Its parts (``day_hazards``, ``attribute_cause``, ...) are
public so they can be tested against closed forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

DETRACTOR, PASSIVE, PROMOTER = 0, 1, 2
# Adoption sources: the channels, then one code per influencer tier (FIRST_TIER + tier index).
BASELINE, WORD_OF_MOUTH, REFERRAL, FIRST_TIER = 0, 1, 2, 3
CHANNELS = ("baseline", "word_of_mouth", "referral")
VIEW = -1  # ``Decision.cause`` of an adoption a sponsored view caused (``Decision.view`` says which)
DAYS_PER_YEAR = 365.0


def rate_from_chance(chance):
    """Hazard rate whose one-day probability is ``chance`` (a chance of 1 is an infinite rate)."""
    with np.errstate(divide="ignore"):
        return -np.log1p(-np.asarray(chance, dtype=np.float64))


def chance_from_rate(rate):
    """One-day probability of an event with hazard ``rate``."""
    return -np.expm1(-np.asarray(rate, dtype=np.float64))


def adoption_probability(hazard, responsiveness):
    """P(adopt today) from the day's summed hazard, scaled by susceptibility x attitude.

    A certain chance (infinite hazard) gives 1, except for a consumer with responsiveness 0,
    who never adopts (0 x inf is taken as 0, not NaN).
    """
    hazard, responsiveness = np.broadcast_arrays(np.asarray(hazard, np.float64), np.asarray(responsiveness, np.float64))
    scaled = np.multiply(responsiveness, hazard, out=np.zeros(hazard.shape), where=responsiveness > 0)
    return chance_from_rate(scaled)


def baseline_rate(p_per_year: float) -> float:
    """Daily hazard of the Bass innovation coefficient p (other channels)."""
    return p_per_year / DAYS_PER_YEAR


def wearout_weight(k, decay: float):
    """Weight of a consumer's k-th sponsored exposure (k = 1, 2, ...): geometric wear-out."""
    return decay ** (np.asarray(k, dtype=np.float64) - 1.0)


def relevance(same_niche, off_niche_relevance: float):
    """How relevant a post is to a viewer: 1 in the influencer's niche, less outside it."""
    return np.where(same_niche, 1.0, off_niche_relevance)


def sponsored_chance(conversion, trust, relevance_, engaged, engaged_boost, k, decay):
    """Purchase chance from one sponsored view: trust x relevance x (engaged boost) x wear-out, at most 1."""
    boost = np.where(engaged, engaged_boost, 1.0)
    return np.minimum(conversion * trust * relevance_ * boost * wearout_weight(k, decay), 1.0)


def arrival_rank(owner, counted):
    """Per row, how many earlier rows of the same owner are ``counted`` (rows are in arrival order)."""
    owner = np.asarray(owner)
    counted = np.asarray(counted, dtype=np.int64)
    order = np.argsort(owner, kind="stable")
    sorted_owner = owner[order]
    first = np.searchsorted(sorted_owner, sorted_owner, side="left")
    cum = np.cumsum(counted[order])
    before = cum - counted[order] - (cum[first] - counted[order][first])
    rank = np.empty_like(before)
    rank[order] = before
    return rank


@dataclass(frozen=True)
class ViewRules:
    """Parameters that turn a sponsored view into a purchase hazard (``influence`` in a scenario)."""

    conversion: float
    engaged_boost: float
    wearout_decay: float
    off_niche_relevance: float


def view_hazards(owner, prior_views, trust, same_niche, engaged, backlash, params: ViewRules) -> np.ndarray:
    """Hazard of each of the day's sponsored views (rows in arrival order; ``owner`` is the viewer).

    A viewer's k-th positive view ever (``prior_views`` before today, then today's in order)
    weighs decay^(k-1); a backlash post converts no one (its hazard is 0).
    """
    positive = ~np.asarray(backlash, bool)
    k = np.asarray(prior_views) + arrival_rank(owner, positive) + 1
    rel = relevance(same_niche, params.off_niche_relevance)
    chance = sponsored_chance(params.conversion, trust, rel, engaged, params.engaged_boost, k, params.wearout_decay)
    return np.where(positive, rate_from_chance(chance), 0.0)


def nps_class(score):
    """NPS class of a 0-10 score: promoter 9-10, passive 7-8, detractor 0-6 (Reichheld 2003)."""
    score = np.asarray(score)
    return np.where(score >= 9, PROMOTER, np.where(score >= 7, PASSIVE, DETRACTOR)).astype(np.int8)


def draw_scores(rng: np.random.Generator, n: int, satisfaction: float) -> np.ndarray:
    """Post-purchase 0-10 scores: Binomial(10, satisfaction)."""
    return rng.binomial(10, satisfaction, n).astype(np.int8)


def nps_class_shares(satisfaction: float) -> np.ndarray:
    """Exact (detractor, passive, promoter) shares under Binomial(10, satisfaction) scores."""
    pmf = np.array([math.comb(10, k) * satisfaction**k * (1 - satisfaction) ** (10 - k) for k in range(11)])
    return np.array([pmf[:7].sum(), pmf[7:9].sum(), pmf[9:].sum()])


def talk_weights(
    shares, promoter_share: float, negative_ratio: float, mode: str = "bass"
) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative talk per NPS class: what one talking adopter of each class sends a tie.

    ``bass``: volumes. The average adopter's positive talk is 1 (so in the Bass limit q keeps its
    meaning), promoters give ``promoter_share`` of it (Reichheld), and detractors' negative talk
    is ``negative_ratio`` times the positive volume (East et al. 2007: 3:1).
    ``cascade``: a tie is a tie (Independent Cascade). Promoters' and passives' ties carry positive
    word of mouth, detractors' ties negative word of mouth (none if ``negative_ratio`` is 0), each
    with weight 1, so every talking tie is one chance ``tie_prob``.
    """
    negative = np.zeros(3)
    if mode == "cascade":
        negative[DETRACTOR] = 1.0 if negative_ratio > 0 else 0.0
        return np.array([0.0, 1.0, 1.0]), negative
    d, pa, pr = (float(x) for x in shares)
    positive = np.zeros(3)
    if pr > 0 and pa > 0:
        positive[PROMOTER], positive[PASSIVE] = promoter_share / pr, (1 - promoter_share) / pa
    elif pr > 0:
        positive[PROMOTER] = 1 / pr
    elif pa > 0:
        positive[PASSIVE] = 1 / pa
    if d > 0:
        negative[DETRACTOR] = negative_ratio * (pr * positive[PROMOTER] + pa * positive[PASSIVE]) / d
    return positive, negative


def is_talking(adopt_day, day: int, active_days: int):
    """Adopters talk from the day after adoption, for ``active_days`` days (0 = for ever)."""
    adopt_day = np.asarray(adopt_day)
    started = (adopt_day >= 0) & (adopt_day < day)
    if active_days == 0:
        return started
    return started & (day - adopt_day <= active_days)


def wom_rate(talk_sum, degree, mode: str, q: float, tie_prob: float):
    """Word-of-mouth hazard from the summed talk weight of a consumer's talking neighbours.

    ``bass``: q per year times the talking share of one's neighbours (network Bass model).
    ``cascade``: every unit of talk is an independent chance ``tie_prob`` (Independent Cascade).
    """
    talk_sum = np.asarray(talk_sum, dtype=np.float64)
    if mode == "bass":
        degree = np.asarray(degree, dtype=np.float64)
        share = np.divide(
            talk_sum, degree, out=np.zeros(np.broadcast_shapes(talk_sum.shape, degree.shape)), where=degree > 0
        )
        return (q / DAYS_PER_YEAR) * share
    return rate_from_chance(tie_prob) * talk_sum


def reinforced(positive_talkers, threshold: int):
    """Complex contagion: word of mouth works only from ``threshold`` or more positive talkers.

    Only neighbours whose talk is positive count (detractors' negative talk is no social proof
    for adopting, Centola 2010); a threshold of 1 never gates.
    """
    talkers = np.asarray(positive_talkers)
    if threshold <= 1:
        return np.ones(talkers.shape, bool)
    return talkers >= threshold


def attitude_after_negative(attitude, hit, impact: float):
    """Negative word of mouth or a backlash lowers a consumer's attitude multiplicatively."""
    return np.where(hit, attitude * (1.0 - impact), attitude)


def susceptibility(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Heterogeneous susceptibility, lognormal with mean 1 (sigma 0 = identical consumers)."""
    if sigma == 0:
        return np.ones(n)
    return rng.lognormal(-0.5 * sigma**2, sigma, n)


# --- the day's decision ---------------------------------------------------------------------


@dataclass(frozen=True)
class DayRules:
    """Parameters of the day's decision (from ``consumers`` and ``word_of_mouth`` in a scenario)."""

    base_rate: float
    mode: str = "bass"
    q: float = 0.0
    tie_prob: float = 0.0
    threshold: int = 1


class Talk(NamedTuple):
    """What each consumer hears today from its talking neighbours (summed talk weights)."""

    plain: np.ndarray  # positive talk
    coded: np.ndarray  # positive talk carrying a referral code (already boosted)
    negative: np.ndarray  # detractors' talk
    positive_talkers: np.ndarray  # neighbours whose talk is positive (complex contagion)


class Hazards(NamedTuple):
    """The day's hazards per consumer; ``channels`` columns are baseline, word of mouth, referral."""

    channels: np.ndarray
    sponsored: np.ndarray
    negative: np.ndarray
    total: np.ndarray


class Decision(NamedTuple):
    """What the day's hazards decided, before anything is applied."""

    adopt: np.ndarray
    cause: np.ndarray  # channel code (BASELINE, WORD_OF_MOUTH, REFERRAL) or VIEW; -1 where no adoption
    view: np.ndarray  # index of the view row that converted, else -1
    negative_hit: np.ndarray
    heard: np.ndarray  # a talking neighbour reached the consumer: it is now aware


def day_hazards(talk: Talk, degree, view_owner, view_rate, params: DayRules) -> Hazards:
    """Every chance of the day as a hazard: baseline, word of mouth and referral (gated by complex
    contagion), sponsored views (summed per viewer, in arrival order) and negative word of mouth."""
    n = np.asarray(talk.plain).size
    wom, referral, negative = wom_rate(
        np.stack([talk.plain, talk.coded, talk.negative]), degree, params.mode, params.q, params.tie_prob
    )
    channels = np.empty((n, len(CHANNELS)))
    channels[:, BASELINE] = params.base_rate
    channels[:, WORD_OF_MOUTH] = wom
    channels[:, REFERRAL] = referral
    if params.threshold > 1:
        channels[~reinforced(talk.positive_talkers, params.threshold), WORD_OF_MOUTH:] = 0.0
    sponsored = np.bincount(view_owner, view_rate, minlength=n)
    total = channels[:, 0] + channels[:, 1] + channels[:, 2] + sponsored
    return Hazards(channels, sponsored, negative, total)


def attribute_cause(u, channels, view_owner, view_rate) -> tuple[np.ndarray, np.ndarray]:
    """Which chance made each adopter adopt: drawn in proportion to each chance's share of its hazard.

    ``u``: one uniform per adopter; ``channels``: (adopters, 3) hazards; ``view_owner`` /
    ``view_rate``: the adopters' views as rows (owner = position in ``u``, rows in arrival order).
    Chances are laid end to end (channels, then views in order) and the first whose running sum
    exceeds u x total is chosen. A certain chance (infinite hazard) wins outright; among several,
    u picks one uniformly. Returns (cause code or VIEW, view row or -1) per adopter.
    """
    u = np.asarray(u, dtype=np.float64)
    k = u.size
    view_owner = np.asarray(view_owner, dtype=np.int64)
    per_owner = np.bincount(view_owner, minlength=k)
    width = len(CHANNELS) + (int(per_owner.max()) if k else 0)
    table = np.zeros((k, width))
    row_of = np.full((k, width), -1, np.int64)
    table[:, : len(CHANNELS)] = channels
    column = len(CHANNELS) + arrival_rank(view_owner, np.ones(view_owner.size, bool))
    table[view_owner, column] = view_rate
    row_of[view_owner, column] = np.arange(view_owner.size)
    certain = np.isinf(table)
    n_certain = certain.sum(axis=1)
    cum = np.cumsum(np.where(certain, 0.0, table), axis=1)
    above = cum > (u * cum[:, -1])[:, None]
    positive = table > 0
    last_positive = width - 1 - np.argmax(positive[:, ::-1], axis=1)  # rounding at the top end
    pick = np.where(above.any(axis=1), np.argmax(above, axis=1), last_positive)
    if n_certain.any():
        nth = np.minimum((u * n_certain).astype(np.int64), np.maximum(n_certain - 1, 0))
        nth_certain = np.argmax(np.cumsum(certain, axis=1) > nth[:, None], axis=1)
        pick = np.where(n_certain > 0, nth_certain, pick)
    rows = np.arange(k)
    cause = np.where(pick < len(CHANNELS), pick, VIEW)
    return cause, row_of[rows, pick]


def decide_day(
    adopted,
    responsiveness,
    degree,
    talk: Talk,
    view_owner,
    view_rate,
    u_adopt,
    u_cause,
    u_negative,
    params: DayRules,
) -> Decision:
    """The day's decision for consumers who have not adopted yet, from the start-of-day state.

    ``responsiveness`` is susceptibility x attitude; ``view_owner``/``view_rate`` are the day's
    sponsored views (owner = consumer position, rows in arrival order); the three uniforms per
    consumer decide adoption, its cause, and a negative word-of-mouth hit.
    """
    adopted = np.asarray(adopted, bool)
    view_owner = np.asarray(view_owner, dtype=np.int64)
    view_rate = np.asarray(view_rate, dtype=np.float64)
    h = day_hazards(talk, degree, view_owner, view_rate, params)
    undecided = ~adopted
    adopt = undecided & (np.asarray(u_adopt) < adoption_probability(h.total, responsiveness))
    negative_hit = undecided & (h.negative > 0) & (np.asarray(u_negative) < chance_from_rate(h.negative))
    heard = (np.asarray(talk.plain) > 0) | (np.asarray(talk.coded) > 0) | (np.asarray(talk.negative) > 0)
    n = adopted.size
    cause = np.full(n, -1, np.int64)
    view = np.full(n, -1, np.int64)
    who = np.flatnonzero(adopt)
    if who.size:
        mine = adopt[view_owner]
        rows = np.flatnonzero(mine)
        local = np.searchsorted(who, view_owner[rows])
        c, r = attribute_cause(np.asarray(u_cause)[who], h.channels[who], local, view_rate[rows])
        cause[who] = c
        view[who[r >= 0]] = rows[r[r >= 0]]
    return Decision(adopt, cause, view, negative_hit, heard)
