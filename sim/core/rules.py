"""Behavioural rules: the per-row formulas, and where every other rule lives.

Every chance of adoption is handled as a hazard *rate* (log-survival), so independent chances
combine by addition: P = 1 - (1 - a) * prod_e (1 - b_e) becomes P = 1 - exp(-(A + sum_e B_e))
with A = -log(1 - a). Susceptibility scales the summed hazard (Goldenberg, Libai & Muller 2001).
A chance of exactly 1 is a rate of +inf: certain, and handled exactly (never divided).

Where each rule lives (all under ``sim/core/``):

- here (numpy, per row): the hazard algebra (``rate_from_chance``, ``adoption_probability``,
  ``baseline_rate``); a sponsored view's chance (``view_hazards``: trust x relevance x engaged
  boost x wear-out); post-purchase scores and NPS classes (``draw_scores``, ``nps_class``); talk
  per NPS class (``talk_weights``) and who talks (``is_talking``, ``talk_code``); the attitude
  lost to negative talk (``attitude_after_negative``); susceptibility (``susceptibility``).
- ``decision.py`` (compiled, one consumer's arithmetic): the day's decision both engines call,
  ``decide_day``: word of mouth heard (``talk_hazards``: Bass or cascade, complex contagion), the
  Exp(1) thresholds that decide adoption and negative hits, and which chance caused an adoption
  (``attribute``); ``next_event_day`` (the default engine's calendar); ``day_hazards``.
- ``agents.py``: a post (``Influencer.publish``: who sees it, who engages, backlash and the trust
  it costs). ``engine.py``: applying the day (``commit``: adoption, NPS, referral codes and
  rewards, attitudes, last-touch attribution).
- ``budget.py``: hiring under a budget split and a policy; ``market.py``: candidates and their
  in-market audiences. Defaults and their sources: ``defaults.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DETRACTOR, PASSIVE, PROMOTER = 0, 1, 2
# Adoption sources: the channels, then one code per influencer tier (FIRST_TIER + tier index).
BASELINE, WORD_OF_MOUTH, REFERRAL, FIRST_TIER = 0, 1, 2, 3
CHANNELS = ("baseline", "word_of_mouth", "referral")
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


def score_pmf(satisfaction: float) -> np.ndarray:
    """P(score = 0..10) under Binomial(10, satisfaction)."""
    return np.array([math.comb(10, k) * satisfaction**k * (1 - satisfaction) ** (10 - k) for k in range(11)])


def draw_scores(rng: np.random.Generator, n: int, satisfaction: float) -> np.ndarray:
    """Post-purchase 0-10 scores: Binomial(10, satisfaction), by inverting its distribution
    function at one uniform each."""
    return np.searchsorted(np.cumsum(score_pmf(satisfaction))[:-1], rng.random(n), side="right").astype(np.int8)


def nps_class_shares(satisfaction: float) -> np.ndarray:
    """Exact (detractor, passive, promoter) shares under Binomial(10, satisfaction) scores."""
    pmf = score_pmf(satisfaction)
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


def attitude_after_negative(attitude, hit, impact: float):
    """Negative word of mouth or a backlash lowers a consumer's attitude multiplicatively."""
    return np.where(hit, attitude * (1.0 - impact), attitude)


def susceptibility(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Heterogeneous susceptibility, lognormal with mean 1 (sigma 0 = identical consumers)."""
    if sigma == 0:
        return np.ones(n)
    return rng.lognormal(-0.5 * sigma**2, sigma, n)


TALK_CODES = 6  # what a talking neighbour says: 2 x NPS class + 1 if its talk carries a referral code


def talk_code(nps, coded):
    """Talk code of a talking adopter: 2 x NPS class + 1 if its talk carries a referral code."""
    return 2 * np.asarray(nps, np.int64) + np.asarray(coded, np.int64)
