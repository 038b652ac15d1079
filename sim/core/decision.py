"""The day's decision, written once: both engines gather its inputs and call ``decide_day``.

The inputs are how many talking neighbours of each ``rules.talk_code`` a consumer has and the
views it got (``rules.view_hazards``); the vectorised engine calls it for the consumers a day can
change, each Mesa ``Consumer`` agent for itself, so they reach identical states. Its parts
(``talk_hazards``, ``attribute``, ``next_event_day``; ``day_hazards`` lists a day's hazards) are
public so they can be tested against closed forms.

Adoption is decided against a threshold drawn once per consumer, E ~ Exp(1): a consumer adopts
on the first day its accrued hazard (susceptibility x attitude x the day's hazards, summed over
days) exceeds E. Given no adoption before day t, E minus the hazard accrued so far is again
Exp(1) (memorylessness), so P(adopt on day t | not before) = 1 - exp(-h_t): the daily-draw law
exactly (inverse-transform sampling of the adoption day; the "modified next reaction method" of
Anderson 2007, J. Chem. Phys. 127:214107, in days). Hazards that persist from day to day
(baseline, word of mouth, referral: the *pressure*; negative word of mouth) accrue lazily, so a
consumer whose hazards did not change needs no attention until the day a threshold is crossed
(``next_event_day``). A negative word-of-mouth hit works the same way, with a fresh Exp(1)
threshold after each hit. The decision is one consumer's arithmetic, compiled (numba, cached).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from sim.core.rules import DAYS_PER_YEAR, TALK_CODES

VIEW = -1  # ``Decision.cause`` of an adoption a sponsored view caused (``Decision.view`` says which)


class DayRules(NamedTuple):
    """Parameters of the day's decision (``consumers``, ``word_of_mouth``, ``referral.talk_boost``)."""

    base_rate: float
    cascade: bool = False  # word_of_mouth.mode: "cascade" (Independent Cascade) or "bass"
    q: float = 0.0
    tie_prob: float = 0.0
    threshold: int = 1
    talk_positive: tuple[float, float, float] = (0.0, 1.0, 1.0)  # per NPS class (``talk_weights``)
    talk_negative: tuple[float, float, float] = (0.0, 0.0, 0.0)
    talk_boost: float = 1.0  # referral-coded talk


@njit(cache=True)
def talk_hazards(counts, degree, params):  # pragma: no cover (compiled)
    """Word of mouth one consumer hears, from how many talking neighbours it has of each talk code.

    Returns hazards (word of mouth, referral, negative), the number of positive talkers, and
    whether any talk reached the consumer (it is then aware).
    ``bass``: q per year times the talk weight of talking neighbours over one's degree (network
    Bass model). ``cascade``: every unit of talk is an independent chance ``tie_prob``
    (Independent Cascade). Complex contagion: positive word of mouth works only from
    ``threshold`` or more *positive* talkers (detractors' negative talk is no social proof,
    Centola 2010); negative word of mouth is never gated. Counts are integers, so the sums do
    not depend on the order neighbours are visited in.
    """
    plain = coded = negative = 0.0
    talkers = 0
    for cls_ in range(3):
        bare, with_code = counts[2 * cls_], counts[2 * cls_ + 1]
        pos, neg = params.talk_positive[cls_], params.talk_negative[cls_]
        plain += bare * pos
        coded += with_code * (pos * params.talk_boost)
        negative += (bare + with_code) * neg
        if pos > 0:
            talkers += bare + with_code
    if params.cascade:
        per_unit = -math.log1p(-params.tie_prob)
        wom, referral, negative = per_unit * plain, per_unit * coded, per_unit * negative
    elif degree > 0:
        per_share = params.q / DAYS_PER_YEAR
        wom, referral, negative = (
            per_share * (plain / degree),
            per_share * (coded / degree),
            per_share * (negative / degree),
        )
    else:
        wom = referral = negative = 0.0
    heard = plain > 0 or coded > 0 or negative > 0
    if params.threshold > 1 and talkers < params.threshold:
        wom = referral = 0.0
    return wom, referral, negative, talkers, heard


@njit(cache=True)
def scaled(responsiveness, hazard):  # pragma: no cover (compiled)
    """Susceptibility x attitude x hazard; a responsiveness of 0 stays 0 even against a certain
    (infinite) hazard."""
    return responsiveness * hazard if responsiveness > 0 else 0.0


@njit(cache=True)
def attribute(u, channels, rates):  # pragma: no cover (compiled)
    """Which chance made an adopter adopt: drawn in proportion to each chance's share of its hazard.

    Chances are laid end to end (the channels baseline, word of mouth, referral, then the day's
    views in arrival order) and the first whose running sum exceeds u x total is chosen. A
    certain chance (infinite hazard) wins outright; among several, u picks one uniformly.
    Returns the channel code, or ``VIEW`` and the view's position in ``rates``.
    """
    k = channels.size + rates.size
    certain = 0
    total = 0.0
    for j in range(k):
        h = channels[j] if j < channels.size else rates[j - channels.size]
        if math.isinf(h):
            certain += 1
        else:
            total += h
    pick, last_positive, nth = -1, -1, 0
    if certain:
        nth = min(int(u * certain), certain - 1)
    target, running = u * total, 0.0
    for j in range(k):
        h = channels[j] if j < channels.size else rates[j - channels.size]
        if certain:
            if math.isinf(h):
                if nth == 0:
                    pick = j
                    break
                nth -= 1
            continue
        if h > 0:
            last_positive = j
        running += h
        if running > target:
            pick = j
            break
    if pick < 0:
        pick = last_positive  # rounding at the top end
    if pick < channels.size:
        return pick, -1
    return VIEW, pick - channels.size


class Thresholds(NamedTuple):
    """Drawn once per consumer: Exp(1) thresholds of adoption and of the next negative hit, and the
    uniform that picks an adoption's cause."""

    adopt: np.ndarray
    negative: np.ndarray
    cause: np.ndarray


class Standing(NamedTuple):
    """Each consumer's running account of hazards (the lazy part of the threshold scheme), one
    array per field.

    ``pressure`` (baseline + word of mouth + referral, before susceptibility x attitude) and
    ``negative_rate`` hold from day ``since`` + 1 until they change; ``accrued`` (scaled by
    susceptibility x attitude) and ``negative_accrued`` are the hazards summed through day
    ``since`` (the negative one since the last hit).
    """

    pressure: np.ndarray
    negative_rate: np.ndarray
    accrued: np.ndarray
    negative_accrued: np.ndarray
    since: np.ndarray


class Consumers(NamedTuple):
    """What the decision reads of every consumer (the arrays themselves: ``account`` is updated in place)."""

    account: Standing
    thresholds: Thresholds
    susceptibility: np.ndarray
    attitude: np.ndarray
    aware: np.ndarray
    degree: np.ndarray


class Decision(NamedTuple):
    """What the day decided, before it is applied; positions index the consumers decided."""

    adopters: np.ndarray  # positions of the consumers who adopt today, ascending
    cause: np.ndarray  # per adopter: channel code (BASELINE, WORD_OF_MOUTH, REFERRAL) or VIEW
    view: np.ndarray  # per adopter: the view row that converted it, else -1
    hit: np.ndarray  # positions of the consumers hit by negative word of mouth
    heard: np.ndarray  # positions of consumers not aware yet whom talk reached (now aware)


@njit(cache=True)
def _decide(day, who, consumers, counts, count_row, view_start, view_rate, params):  # pragma: no cover (compiled)
    """``decide_day`` for consumers who[k], k = 0, 1, ...: its talk is counts[count_row[k]], its
    views are rows view_start[k]:view_start[k + 1]. Event lists are filled as they happen; their
    buffers are touched only where written, so a day costs memory in proportion to its events."""
    n = who.size
    account, thresholds, susceptibility, attitude, aware, degree = consumers
    adopters, cause, view = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    hits, heard = np.empty(n, np.int64), np.empty(n, np.int64)
    n_adopt = n_hit = n_heard = 0
    channels = np.empty(3)
    talk_row, talk_degree = -1, -1.0
    wom = referral = negative = 0.0
    said = False
    for k in range(n):
        i = who[k]
        resp = susceptibility[i] * attitude[i]
        if count_row[k] != talk_row or degree[i] != talk_degree:  # equal talk (mean field): computed once
            talk_row, talk_degree = count_row[k], degree[i]
            wom, referral, negative, _, said = talk_hazards(counts[talk_row], talk_degree, params)
        if said and not aware[i]:
            heard[n_heard] = k
            n_heard += 1
        pressure = params.base_rate + wom + referral
        sponsored = 0.0
        for r in range(view_start[k], view_start[k + 1]):
            sponsored += view_rate[r]
        accrued, negative_accrued, since = account.accrued[i], account.negative_accrued[i], account.since[i]
        changed = pressure != account.pressure[i] or negative != account.negative_rate[i]
        if changed:  # book what accrued at the old rates through yesterday
            gap = day - 1 - since
            accrued = accrued + gap * scaled(resp, account.pressure[i])
            negative_accrued = negative_accrued + gap * account.negative_rate[i]
            since = day - 1
        accrued = accrued + (day - since) * scaled(resp, pressure) + scaled(resp, sponsored)
        negative_accrued = negative_accrued + (day - since) * negative
        if thresholds.adopt[i] < accrued:
            channels[0], channels[1], channels[2] = params.base_rate, wom, referral
            first = view_start[k]
            c, j = attribute(thresholds.cause[i], channels, view_rate[first : view_start[k + 1]])
            adopters[n_adopt], cause[n_adopt] = k, c
            view[n_adopt] = first + j if j >= 0 else -1
            n_adopt += 1
            continue
        hit = thresholds.negative[i] < negative_accrued
        if hit:
            hits[n_hit] = k
            n_hit += 1
        if changed or view_start[k + 1] > view_start[k] or hit:  # book today; else it accrues lazily
            account.pressure[i], account.negative_rate[i] = pressure, negative
            account.accrued[i], account.since[i] = accrued, day
            account.negative_accrued[i] = 0.0 if hit else negative_accrued
    return (
        adopters[:n_adopt].copy(),
        cause[:n_adopt].copy(),
        view[:n_adopt].copy(),
        hits[:n_hit].copy(),
        heard[:n_heard].copy(),
    )


def decide_day(
    day: int, who, consumers: Consumers, counts, view_owner, view_rate, params: DayRules, count_row=None
) -> Decision:
    """The day's decision for consumers ``who`` (not adopted yet), from the start-of-day state.

    ``consumers`` holds every consumer (indexed by ``who``); ``counts`` rows: talking neighbours of each talk code,
    row ``count_row[k]`` (default k) for consumer ``who[k]``; ``view_owner``/``view_rate`` are
    the day's sponsored views (owner = position in ``who``, rows in arrival order).

    If the pressure or the negative rate changed, what accrued at the old rates through
    yesterday is booked first; then today's hazards are added and compared with the thresholds.
    Each consumer who does not adopt keeps its own running ``account`` (updated here, in place:
    a consumer's decision reads no one else's row, so the order of decisions does not matter); one
    whose hazards did not change, with no view and no hit, is left as it was (it accrues lazily).
    """
    who = np.asarray(who, np.int64)
    n = who.size
    counts = np.asarray(counts).reshape(-1, TALK_CODES)
    count_row = np.arange(n) if count_row is None else np.asarray(count_row, np.int64)
    view_owner = np.asarray(view_owner, np.int64)
    if view_owner.size:
        order = np.argsort(view_owner, kind="stable")  # each consumer's views together, in arrival order
        view_start = np.searchsorted(view_owner[order], np.arange(n + 1))
        view_rate = np.asarray(view_rate, np.float64)[order]
    else:
        order, view_start, view_rate = view_owner, np.zeros(n + 1, np.int64), np.zeros(0)
    adopters, cause, view, hit, heard = _decide(day, who, consumers, counts, count_row, view_start, view_rate, params)
    if view_owner.size:
        view = rows_of(view, order)
    return Decision(adopters, cause, view, hit, heard)


def rows_of(view, rows) -> np.ndarray:
    """A decision's view indices (-1: none) mapped through ``rows`` (a subset's rows -> all rows)."""
    out = np.full(np.shape(view), -1, np.int64)
    some = np.asarray(view) >= 0
    out[some] = np.asarray(rows)[np.asarray(view)[some]]
    return out


@njit(cache=True)
def _first_day(accrued, rate, threshold, since, never):  # pragma: no cover (compiled)
    """Smallest day t in (since, never) with accrued + (t - since) x rate > threshold, else never."""
    if not rate > 0 or since >= never:
        return never
    guess = np.floor((threshold - accrued) / rate) + 1.0
    k = int(guess) if guess < never - since else never - since  # also when the quotient is inf
    k = max(k, 1)
    while k > 1 and accrued + (k - 1) * rate > threshold:  # the quotient is off by rounding at most
        k -= 1
    while k < never - since and not accrued + k * rate > threshold:
        k += 1
    return since + k if accrued + k * rate > threshold else never


@njit(cache=True)
def _next_event_days(who, standing, thresholds, susceptibility, attitude, never, out):  # pragma: no cover
    for k in range(who.size):
        i = who[k]
        rate = scaled(susceptibility[i] * attitude[i], standing.pressure[i])
        adopt = _first_day(standing.accrued[i], rate, thresholds.adopt[i], standing.since[i], never)
        hit = _first_day(
            standing.negative_accrued[i], standing.negative_rate[i], thresholds.negative[i], standing.since[i], never
        )
        out[k] = min(adopt, hit)


def next_event_day(who, standing: Standing, thresholds: Thresholds, susceptibility, attitude, never: int) -> np.ndarray:
    """The first day after ``since`` on which consumers ``who`` adopt or are hit if their hazards
    stay as they are (``never`` if not before): the day ``decide_day`` would decide them, exactly
    (the same arithmetic, searched from the quotient's guess). Arrays as in ``decide_day``."""
    who = np.asarray(who, np.int64)
    out = np.empty(who.size, np.int64)
    _next_event_days(who, standing, thresholds, susceptibility, attitude, never, out)
    return out


class Hazards(NamedTuple):
    """The day's hazards per consumer; ``channels`` columns are baseline, word of mouth, referral."""

    channels: np.ndarray
    sponsored: np.ndarray
    negative: np.ndarray
    total: np.ndarray
    positive_talkers: np.ndarray


def day_hazards(counts, degree, view_owner, view_rate, params: DayRules) -> Hazards:
    """Every chance of the day as a hazard (what ``decide_day`` weighs), for inspection and tests."""
    counts = np.asarray(counts, np.int64).reshape(-1, TALK_CODES)
    degree = np.broadcast_to(np.asarray(degree, np.float64), counts.shape[:1])
    heard = np.array([talk_hazards(c, d, params)[:4] for c, d in zip(counts, degree, strict=True)]).reshape(-1, 4)
    channels = np.column_stack([np.full(counts.shape[0], params.base_rate), heard[:, 0], heard[:, 1]])
    sponsored = np.bincount(np.asarray(view_owner, np.int64), view_rate, minlength=counts.shape[0])
    total = channels[:, 0] + channels[:, 1] + channels[:, 2] + sponsored
    return Hazards(channels, sponsored, heard[:, 2], total, heard[:, 3])
