"""A cheap estimate of what a roster of creators is worth, so hundreds of them can be compared.

Choosing creators one by one needs thousands of marginal gains, and a single creator's gain is
far below the noise of one full simulation (docs/hiring.md gives the measured figures). The
estimate follows the model's own rules on fixed random draws (common random numbers: creator j's
draws do not depend on who else is hired), so gains are smooth and paired:

- **Reach** (unique people who see at least one post): exact in expectation. A member of
  creator j's audience misses all of j's posts with chance ``(1 - reach_rate)^posts``.
- **Direct conversions**: each post is seen with the reach rate and engaged with the engagement
  rate (one uniform per post and member: engaged below ``engagement_rate``, seen below
  ``reach_rate``); a backlash post converts no one. A view's hazard is
  ``rules.sponsored_chance`` (conversion x trust x niche relevance x engaged boost) and a
  consumer's k-th view weighs ``wearout_decay^(k-1)``; views arrive in random order, so the
  expected weight of each is the mean, and a consumer with K views of summed hazard X has
  hazard ``X / K * (1 - d^K) / (1 - d)``, scaled by a fixed susceptibility draw.
- **Word of mouth**: a converted consumer is worth itself plus the people its word of mouth
  wins, generation by generation: the branching process of an Independent Cascade whose ties
  carry the chance that the rules' word of mouth passes along them in the days left after a
  post (tested against the compiled cascade, ``sim.core.cascade``).
- **Calibration**: ``kappa`` scales adopters to what the full simulation gives for rosters that
  were simulated (timing, people who adopt anyway, negative word of mouth); it is reported.

The estimate ranks and prices creators; full simulation on fresh seeds verifies the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from sim.core import rules
from sim.core.budget import post_days
from sim.core.scenario import Scenario
from sim.core.world import World

ESTIMATE_STREAM = 7  # the estimate's own random numbers, apart from the simulation's streams
VIEWS, SUSCEPTIBILITY = 0, 1  # its sub-streams
GENERATIONS = 50  # word-of-mouth generations summed at most (the series stops below 1e-6 people)


def contract_posts(scenario: Scenario, posts: np.ndarray) -> np.ndarray:
    """Posts each candidate's contract buys when signed first (later starts may buy fewer)."""
    c, days = scenario.contracts, scenario.market.days
    return np.array([post_days(c, days, 0, int(p)).size for p in posts], dtype=np.int64)


def wom_tie_chances(scenario: Scenario, world: World) -> np.ndarray:
    """Per tie (CSR entry u -> v): the chance an adopter's word of mouth wins v in the days left
    after a post (the rules' daily hazard of one average talker, over those days)."""
    w, m = scenario.word_of_mouth, scenario.market
    graph = world.graph
    if graph.adjacency is None or w.complex_threshold > 1:
        return np.zeros(0 if graph.adjacency is None else graph.adjacency.indices.size)
    days = post_days(scenario.contracts, m.days, 0, 0)
    left = float(np.mean(m.days - days)) if days.size else 0.0
    if w.active_days:
        left = min(left, float(w.active_days))
    shares = rules.nps_class_shares(scenario.consumers.satisfaction)
    positive, _ = rules.talk_weights(shares, w.promoter_share, w.negative_ratio, w.mode)
    talk = float(shares @ positive)  # an average adopter's positive talk per day
    degree = graph.degree[graph.adjacency.indices]
    if w.mode == "bass":
        hazard = w.q / rules.DAYS_PER_YEAR * talk / degree
    else:
        hazard = np.full(degree.size, float(rules.rate_from_chance(w.tie_prob)) * talk)
    return -np.expm1(-hazard * left)


@dataclass
class RosterEstimate:
    """The estimated objective of a roster, built up one creator at a time.

    ``gain(j)`` is creator j's marginal gain given the roster so far, ``add(j)`` hires j,
    ``reset()`` empties the roster; ``value`` is the roster's estimated objective. Objectives:
    ``reach`` (people), ``adopters`` (incremental adopters, people), ``profit`` (USD: unit
    margin x adopters - fees). ``evaluations`` counts gains and roster values computed.
    """

    objective: str
    scale: float
    margin: float
    cost: np.ndarray  # USD per contract, per candidate
    members: list[np.ndarray]  # per candidate: its audience as positions in the union of audiences
    miss: np.ndarray  # per candidate: chance an audience member sees none of its posts
    views: list[np.ndarray]  # per candidate: (members, draws) positive views
    hazard: list[np.ndarray]  # per candidate: (members, draws) summed view hazards, before wear-out
    susceptibility: np.ndarray  # per union member
    worth: np.ndarray  # per union member: people won per direct conversion (1 + word of mouth)
    decay: float
    subcritical: bool = True  # word of mouth dies out (else the worth series was capped)
    kappa: float = 1.0
    evaluations: int = 0
    roster: list[int] = field(default_factory=list)
    value: float = 0.0
    _k: np.ndarray = field(default=None, repr=False)
    _x: np.ndarray = field(default=None, repr=False)
    _unseen: np.ndarray = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.reset()

    @property
    def draws(self) -> int:
        return self.views[0].shape[1] if self.views else 1

    def reset(self) -> None:
        u = self.susceptibility.size
        self._k = np.zeros((u, self.draws), np.int32)
        self._x = np.zeros((u, self.draws))
        self._unseen = np.ones(u)
        self.roster, self.value = [], 0.0

    def _converted(self, k: np.ndarray, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Chance of a direct conversion, per member and draw, with K views of summed hazard X."""
        d = self.decay
        weight = (1.0 - d**k) / (1.0 - d) if d < 1 else k.astype(float)
        mean = np.divide(x, k, out=np.zeros_like(x), where=k > 0)
        return -np.expm1(-s[:, None] * mean * weight)

    def parts(self, j: int) -> tuple[float, float]:
        """Creator j's marginal (incremental adopters, unique reach), in people, given the roster."""
        idx = self.members[j]
        if idx.size == 0:
            return 0.0, 0.0
        reach = float(self._unseen[idx].sum() * (1.0 - self.miss[j])) * self.scale
        if self.objective == "reach":
            return 0.0, reach
        k0, x0, s = self._k[idx], self._x[idx], self.susceptibility[idx]
        before = self._converted(k0, x0, s)
        after = self._converted(k0 + self.views[j], x0 + self.hazard[j], s)
        adopters = float((after - before).mean(axis=1) @ self.worth[idx]) * self.scale * self.kappa
        return adopters, reach

    def objective_of(self, adopters: float, reach: float, cost: float) -> float:
        if self.objective == "reach":
            return reach
        if self.objective == "adopters":
            return adopters
        return self.margin * adopters - cost

    def gain(self, j: int) -> float:
        """Marginal gain of hiring creator j next (one evaluation)."""
        self.evaluations += 1
        return self.objective_of(*self.parts(j), float(self.cost[j]))

    def add(self, j: int) -> tuple[float, float, float]:
        """Hire creator j; returns its marginal (gain, incremental adopters, unique reach)."""
        adopters, reach = self.parts(j)
        gain = self.objective_of(adopters, reach, float(self.cost[j]))
        idx = self.members[j]
        self._unseen[idx] *= self.miss[j]
        if self.objective != "reach":
            self._k[idx] += self.views[j]
            self._x[idx] += self.hazard[j]
        self.roster.append(int(j))
        self.value += gain
        return gain, adopters, reach

    def evaluate(self, roster) -> float:
        """Estimated objective of a whole roster (one evaluation); leaves the estimate empty."""
        self.reset()
        for j in roster:
            self.add(int(j))
        value = self.value
        self.reset()
        self.evaluations += 1
        return value

    def adopters_of(self, roster) -> float:
        """Estimated incremental adopters of a roster (for calibration; ``kappa`` applied)."""
        objective, self.objective = self.objective, "adopters"
        try:
            return self.evaluate(roster)
        finally:
            self.objective = objective


def build_estimate(
    scenario: Scenario, world: World, objective: str, *, draws: int = 32, seed: int | None = None
) -> RosterEstimate:
    """The estimate for every candidate of ``world`` (a world built from a creators table)."""
    if world.pool is None:
        raise ValueError("build_estimate needs a world built from a creators table (World.build(creators=...))")
    c, inf = world.candidates, scenario.influence
    seed = scenario.seed if seed is None else seed
    posts = contract_posts(scenario, c.posts)
    union, inverse = np.unique(np.concatenate([*world.pool, np.zeros(0, np.int64)]), return_inverse=True)
    bounds = np.cumsum([0, *(a.size for a in world.pool)])
    members = [inverse[bounds[j] : bounds[j + 1]] for j in range(len(c))]
    niche = world.graph.niche
    views, hazards = [], []
    for j in range(len(c)):
        rng = np.random.default_rng(np.random.SeedSequence([seed, ESTIMATE_STREAM, VIEWS, j]))
        audience = world.pool[j]
        k = np.zeros((audience.size, draws), np.int32)
        x = np.zeros((audience.size, draws))
        relevance = rules.relevance(niche[audience] == c.niche[j], inf.off_niche_relevance)[:, None]
        for _ in range(posts[j]):
            u = rng.random((audience.size, draws))
            live = rng.random(draws) >= c.backlash_prob[j]  # a backlash post converts no one
            seen = (u < c.reach_rate[j]) & live[None, :]
            engaged = u < c.engagement_rate[j]
            chance = rules.sponsored_chance(inf.conversion, c.trust[j], relevance, engaged, inf.engaged_boost, 1, 1.0)
            k += seen
            x += np.where(seen, rules.rate_from_chance(chance), 0.0)
        views.append(k)
        hazards.append(x)
    rng = np.random.default_rng(np.random.SeedSequence([seed, ESTIMATE_STREAM, SUSCEPTIBILITY]))
    susceptibility = rules.susceptibility(rng, union.size, scenario.consumers.susceptibility_sigma)
    worth, converged = (
        word_of_mouth_worth(scenario, world, union) if objective != "reach" else (np.ones(union.size), True)
    )
    return RosterEstimate(
        objective=objective,
        scale=world.scale,
        margin=scenario.market.unit_margin,
        cost=c.cost_per_post * posts,
        members=members,
        miss=(1.0 - c.reach_rate) ** posts,
        views=views,
        hazard=hazards,
        susceptibility=susceptibility,
        worth=worth,
        decay=inf.wearout_decay,
        subcritical=converged,
    )


def word_of_mouth_worth(scenario: Scenario, world: World, nodes: np.ndarray) -> tuple[np.ndarray, bool]:
    """People won per direct conversion of each node: itself plus the expected people its word of
    mouth wins, generation by generation, each tie carrying ``wom_tie_chances`` (the branching
    process of an Independent Cascade: exact while cascades do not meet, an upper bound when they
    do). Also whether the series converged (False: word of mouth is supercritical; capped at n)."""
    p = wom_tie_chances(scenario, world)
    if p.size == 0 or not np.any(p > 0):
        return np.ones(nodes.size), True
    adj = world.graph.adjacency
    chances = sp.csr_array((p, adj.indices, adj.indptr), shape=adj.shape)
    worth = term = np.ones(world.n)
    converged = False
    for _ in range(GENERATIONS):
        term = chances @ term
        worth = worth + term
        if term.max() < 1e-6:
            converged = True
            break
    return np.minimum(worth, world.n)[nodes], converged
