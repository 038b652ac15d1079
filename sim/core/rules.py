"""Behavioural rules as pure functions on scalars or arrays: the single place both engines read.

Every chance of adoption is handled as a hazard *rate* (log-survival), so independent chances
combine by addition: P = 1 - (1 - a) * prod_e (1 - b_e) becomes P = 1 - exp(-(A + sum_e B_e))
with A = -log(1 - a). Susceptibility scales the summed hazard (Goldenberg, Libai & Muller 2001).
"""

from __future__ import annotations

import math

import numpy as np

DETRACTOR, PASSIVE, PROMOTER = 0, 1, 2
DAYS_PER_YEAR = 365.0


def rate_from_chance(chance):
    """Hazard rate whose one-day probability is ``chance``."""
    return -np.log1p(-np.asarray(chance, dtype=np.float64))


def chance_from_rate(rate):
    """One-day probability of an event with hazard ``rate``."""
    return -np.expm1(-np.asarray(rate, dtype=np.float64))


def combine_chances(chances) -> float:
    """Probability that at least one of several independent chances fires."""
    return float(1.0 - np.prod(1.0 - np.asarray(chances, dtype=np.float64)))


def adoption_probability(hazard, susceptibility):
    """P(adopt today) from the day's summed hazard, scaled by the consumer's susceptibility."""
    return chance_from_rate(np.asarray(susceptibility) * hazard)


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
    """Purchase chance from one sponsored view: trust x relevance x (engaged boost) x wear-out."""
    boost = np.where(engaged, engaged_boost, 1.0)
    return np.minimum(conversion * trust * relevance_ * boost * wearout_weight(k, decay), 1.0)


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


def talk_weights(shares, promoter_share: float, negative_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative talk volume per NPS class.

    Scaled so the average adopter's positive talk is 1 (q keeps its Bass meaning), promoters
    give ``promoter_share`` of it (Reichheld), and detractors' negative talk is
    ``negative_ratio`` times the positive volume (East et al. 2007: 3:1).
    """
    d, pa, pr = (float(x) for x in shares)
    positive = np.zeros(3)
    if pr > 0 and pa > 0:
        positive[PROMOTER], positive[PASSIVE] = promoter_share / pr, (1 - promoter_share) / pa
    elif pr > 0:
        positive[PROMOTER] = 1 / pr
    elif pa > 0:
        positive[PASSIVE] = 1 / pa
    negative = np.zeros(3)
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
    ``cascade``: every talking tie is an independent chance ``tie_prob`` (Independent Cascade).
    """
    if mode == "bass":
        return (q / DAYS_PER_YEAR) * np.divide(talk_sum, degree, out=np.zeros_like(talk_sum), where=degree > 0)
    return rate_from_chance(tie_prob) * talk_sum


def reinforced(talking_neighbours, threshold: int):
    """Complex contagion: word of mouth works only with ``threshold`` or more talking neighbours."""
    return np.asarray(talking_neighbours) >= threshold


def attitude_after_negative(attitude, hit, impact: float):
    """Negative word of mouth or a backlash lowers a consumer's attitude multiplicatively."""
    return np.where(hit, attitude * (1.0 - impact), attitude)


def susceptibility(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Heterogeneous susceptibility, lognormal with mean 1 (sigma 0 = identical consumers)."""
    if sigma == 0:
        return np.ones(n)
    return rng.lognormal(-0.5 * sigma**2, sigma, n)
