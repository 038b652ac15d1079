"""The default engine: each day, decide only the consumers the day can change.

Between changes a consumer's hazards are constant, so the day it will cross its threshold is
known in advance (``decision.next_event_day``). They change only when a neighbour starts or stops
talking (or its talk loses its referral code when the programme closes), when the consumer sees
a post, or after its attitude drops, which happens on a day it is decided anyway. So the frontier
keeps, per consumer, how many talking neighbours of each ``rules.talk_code`` it has (updated from
the day's starting and stopping talkers only) and a calendar of event days (one linked list per
day), and each day decides the union of: consumers whose neighbours' talk changed, viewers, and
consumers whose event day it is. Everyone else provably keeps its state: the Mesa-agent engine,
which decides every consumer every day with the same rule, reaches identical states.

The loops over ties and calendar entries are compiled (numba, cached on disk); arrays are
allocated once per run, so a day costs in proportion to what it changes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.core import decision, rules
from sim.core.engine import ConsumerState, Context, Exposures, view_rates

NONE = -1


@njit(cache=True, inline="always")
def _list(i, listed, members, m):  # pragma: no cover
    """Put consumer ``i`` on the day's list unless it is there; returns the list's length."""
    if not listed[i]:
        listed[i] = True
        members[m] = i
        m += 1
    return m


@njit(cache=True)
def _scatter(indptr, indices, talkers, codes, sign, counts, adopted, listed, members, m):  # pragma: no cover
    """Add ``sign`` to each neighbour's count of the talker's code; list undecided neighbours."""
    for k in range(talkers.size):
        j, c = talkers[k], codes[k]
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            counts[i, c] += sign
            if not adopted[i]:
                m = _list(i, listed, members, m)
    return m


@njit(cache=True)
def _enlist(candidates, adopted, listed, members, m):  # pragma: no cover
    """List the undecided candidates not listed yet."""
    for i in candidates:
        if not adopted[i]:
            m = _list(i, listed, members, m)
    return m


@njit(cache=True)
def _enlist_due(head, following, day, listed, members, m):  # pragma: no cover
    """List the consumers whose event day is ``day``."""
    i = head[day]
    while i != NONE:
        m = _list(i, listed, members, m)
        i = following[i]
    return m


@njit(cache=True)
def _drop_adopted(undecided, m, adopted):  # pragma: no cover
    """Keep the first ``m`` entries of ``undecided`` that have not adopted, in order; returns how many."""
    kept = 0
    for k in range(m):
        if not adopted[undecided[k]]:
            undecided[kept] = undecided[k]
            kept += 1
    return kept


@njit(cache=True)
def _reschedule(consumers, days, due, head, following, preceding, never):  # pragma: no cover
    """Move each consumer to the calendar list of its new event day (``never``: off the calendar)."""
    for k in range(consumers.size):
        i, new = consumers[k], days[k]
        old = due[i]
        if old == new:
            continue
        if old < never:
            before, after = preceding[i], following[i]
            if before != NONE:
                following[before] = after
            else:
                head[old] = after
            if after != NONE:
                preceding[after] = before
        if new < never:
            first = head[new]
            following[i], preceding[i] = first, NONE
            if first != NONE:
                preceding[first] = i
            head[new] = i
        due[i] = new


class Frontier:
    """Talk counts, the adoption log and the calendar of one run (vectorised engine)."""

    def __init__(self, state: ConsumerState, ctx: Context) -> None:
        n, days = state.adopted.size, ctx.days
        graph = ctx.graph
        self.never = days + 1
        self.complete = graph.complete
        if graph.complete:
            self.counts = np.zeros((1, rules.TALK_CODES), np.int64)  # every consumer hears every talker
        else:
            self.indptr, self.indices = graph.adjacency.indptr, graph.adjacency.indices
            self.counts = np.zeros((n, rules.TALK_CODES), np.int32)
        self.listed = np.zeros(n, bool)
        self.members = np.empty(n, np.int64)
        self.log = np.empty(n, np.int64)  # adopters in order of adoption day
        self.log_start = np.zeros(days + 2, np.int64)  # adopters of day d: log[log_start[d]:log_start[d + 1]]
        self.due = np.full(n, self.never, np.int64)
        self.head = np.full(days + 2, NONE, np.int64)
        self.following = np.empty(n, np.int64)  # set when a consumer joins a day's list
        self.preceding = np.empty(n, np.int64)
        self.referral_closed = False
        seeds = np.flatnonzero(state.adopted)
        self.log[: seeds.size] = seeds
        self.log_start[1:] = seeds.size
        self.undecided = np.flatnonzero(~state.adopted)
        self.n_undecided = self.undecided.size
        if not self.complete:  # complete graph: every talker reaches everyone, so all are decided daily
            self._schedule(state, self.undecided)

    def _schedule(self, state: ConsumerState, who: np.ndarray) -> None:
        s = state
        when = decision.next_event_day(who, s.standing, s.thresholds, s.susceptibility, s.attitude, self.never)
        _reschedule(who, when, self.due, self.head, self.following, self.preceding, self.never)

    def adopters_of(self, first: int, last: int) -> np.ndarray:
        """Consumers who adopted on days ``first`` to ``last`` (clipped to the days so far)."""
        first, last = max(first, 0), min(last, self.log_start.size - 2)
        if last < first:
            return self.log[:0]
        return self.log[self.log_start[first] : self.log_start[last + 1]]

    def _talk(self, state: ConsumerState, talkers: np.ndarray, codes: np.ndarray, sign: int, m: int) -> int:
        if self.complete:
            np.add.at(self.counts[0], codes, sign)
            return m + talkers.size  # any change reaches everyone
        return _scatter(
            self.indptr, self.indices, talkers, codes, sign, self.counts, state.adopted, self.listed, self.members, m
        )

    def hear(self, day: int, state: ConsumerState, ctx: Context) -> int:
        """Update the talk counts for today's starting and stopping talkers (and, the day after the
        referral programme closed, for talk that lost its code); list the undecided consumers
        whose counts changed. Returns how many are listed (complete graph: how many talkers changed)."""
        m = 0
        active = ctx.active_days
        if self.referral_closed:  # talk that carried a code is plain talk from now on
            talking = self.adopters_of(day - 1 - active if active else 0, day - 2)
            coded = talking[state.has_code[talking]]
            m = self._talk(state, coded, rules.talk_code(state.nps[coded], True), -1, m)
            m = self._talk(state, coded, rules.talk_code(state.nps[coded], False), 1, m)
            self.referral_closed = False
        starters = self.adopters_of(day - 1, day - 1)
        if starters.size:
            m = self._talk(state, starters, state.talk_codes(starters, ctx.referral_open), 1, m)
        stoppers = self.adopters_of(day - 1 - active, day - 1 - active) if active else starters[:0]
        if stoppers.size:
            m = self._talk(state, stoppers, state.talk_codes(stoppers, ctx.referral_open), -1, m)
        return m

    def talk(self, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """How many talking neighbours of each talk code consumers ``who`` have: the count rows
        and which row is whose (``decide_day``'s ``counts``, ``count_row``)."""
        if self.complete:
            return self.counts, np.zeros(who.size, np.int64)
        return self.counts, who

    def decide(
        self, day: int, state: ConsumerState, ctx: Context, exp: Exposures
    ) -> tuple[np.ndarray, decision.Decision]:
        """Gather today's inputs for the consumers the day can change and call ``decision.decide_day``.

        Returns those consumers (ascending) and their decision, with ``view`` rows indexing ``exp``.
        """
        m = self.hear(day, state, ctx)
        # mean field: everyone hears every talker, so everyone who has not adopted is decided
        who = self.undecided[: self.n_undecided] if self.complete else self._listed(state, exp, day, m)
        rows = np.flatnonzero(~state.adopted[exp.consumer]) if len(exp) else exp.consumer
        live = exp.take(rows) if len(exp) else exp
        counts, count_row = self.talk(who)
        dec = decision.decide_day(
            day,
            who,
            state.deciding(ctx.degree),
            counts,
            np.searchsorted(who, live.consumer),
            view_rates(state, ctx, live) if len(live) else np.zeros(0),
            ctx.day_rules,
            count_row,
        )
        if len(exp):
            dec = dec._replace(view=decision.rows_of(dec.view, rows))
        return who, dec

    def _listed(self, state: ConsumerState, exp: Exposures, day: int, m: int) -> np.ndarray:
        """Listed neighbours, plus viewers and today's calendar, ascending; the marks are cleared."""
        m = _enlist(exp.consumer, state.adopted, self.listed, self.members, m)
        m = _enlist_due(self.head, self.following, day, self.listed, self.members, m)
        who = np.sort(self.members[:m])
        self.listed[who] = False
        return who

    def settle(self, day: int, state: ConsumerState, who: np.ndarray, dec: decision.Decision, referral_closed: bool):
        """After the commit: log today's adopters, take them off the calendar, reschedule the rest."""
        new = who[dec.adopters]
        start = self.log_start[day]
        self.log[start : start + new.size] = new
        self.log_start[day + 1 :] = start + new.size
        self.referral_closed = referral_closed
        if self.complete:
            if new.size:
                self.n_undecided = _drop_adopted(self.undecided, self.n_undecided, state.adopted)
            return
        _reschedule(
            new,
            np.full(new.size, self.never, np.int64),
            self.due,
            self.head,
            self.following,
            self.preceding,
            self.never,
        )
        stay = np.ones(who.size, bool)
        stay[dec.adopters] = False
        self._schedule(state, who[stay])
