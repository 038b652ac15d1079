"""The influencer marketplace: candidate influencers (generated per tier, or an explicit table of
creators) and their in-market audiences.

Functions take plain arguments (a mapping of tier parameters, counts, a generator), so they can
be used without a scenario, e.g. ``generate_marketplace({"micro": tier_defaults(10_000, 50_000)},
{"micro": 20}, niches=4, rng=np.random.default_rng(0))``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core import defaults
from sim.core.errors import InputError, did_you_mean

TIER_KEYS = ("engagement_rate", "reach_rate", "fake_share", "trust", "backlash_prob", "niche_focus", "in_market")
CREATOR_REQUIRED = ("handle", "tier", "followers", "fee_per_post")
CREATOR_OPTIONAL = ("engagement_rate", "reach_rate", "fake_share", "trust", "niche", "audience_group", "posts")


@dataclass(frozen=True)
class Candidates:
    """One row per candidate influencer (column arrays); ``tier`` indexes ``tier_names``.

    ``posts``: posts a contract with this creator buys (0: the scenario's contract terms).
    ``audience_group``: creators with the same group >= 0 share one audience pool (-1: own audience).
    """

    tier_names: list[str]
    handle: np.ndarray
    tier: np.ndarray
    followers: np.ndarray
    engagement_rate: np.ndarray
    reach_rate: np.ndarray
    fake_share: np.ndarray
    trust: np.ndarray
    cost_per_post: np.ndarray
    backlash_prob: np.ndarray
    niche_focus: np.ndarray
    in_market: np.ndarray
    niche: np.ndarray
    posts: np.ndarray
    audience_group: np.ndarray

    def __len__(self) -> int:
        return self.tier.size

    def expected_audience(self, scale: float) -> np.ndarray:
        """Genuine in-market followers, in simulated consumers."""
        return self.followers * (1 - self.fake_share) * self.in_market / scale

    def index_of(self, handles, source: str = "roster") -> np.ndarray:
        """Positions of the given handles (each must be a candidate's)."""
        position = {h: j for j, h in enumerate(self.handle.tolist())}
        out = []
        for h in handles:
            if h not in position:
                raise InputError(source, "handle", h, did_you_mean(str(h), list(position)[:20], "a creator's handle"))
            out.append(position[h])
        if len(set(out)) != len(out):
            raise InputError(source, "handle", list(handles), "each creator may be hired once")
        return np.array(out, dtype=np.int64)

    def frame(self) -> pd.DataFrame:
        """The marketplace as a creators table (``World.build(..., creators=frame)`` reads it back)."""
        return pd.DataFrame(
            {
                "handle": self.handle,
                "tier": [self.tier_names[t] for t in self.tier],
                "followers": self.followers,
                "fee_per_post": self.cost_per_post,
                "engagement_rate": self.engagement_rate,
                "reach_rate": self.reach_rate,
                "fake_share": self.fake_share,
                "trust": self.trust,
                "niche": self.niche,
                "audience_group": pd.Series(self.audience_group, dtype="Int64").where(self.audience_group >= 0),
                "posts": pd.Series(self.posts, dtype="Int64").where(self.posts > 0),
            }
        )


def _tier_column(tiers: Mapping[str, Mapping], names: list[str], tier: np.ndarray, key: str) -> np.ndarray:
    return np.array([float(tiers[names[t]][key]) for t in tier])


def generate_marketplace(
    tiers: Mapping[str, Mapping], counts: Mapping[str, int], niches: int, rng: np.random.Generator
) -> Candidates:
    """Candidates per tier: followers log-uniform in the tier's range, rates spread around the tier's.

    ``tiers`` maps a tier name to its parameters (``followers_min``, ``followers_max``,
    ``cost_per_follower`` and ``TIER_KEYS``; e.g. ``defaults.tier_defaults(lo, hi)``), in tier
    order; ``counts`` gives candidates per tier; niches are drawn uniformly from ``niches``.
    """
    names = list(tiers)
    spread_sigma = defaults.MARKET_SPREAD
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in Candidates.__dataclass_fields__ if k not in ("tier_names", "handle", "posts", "audience_group")
    }
    handles: list[str] = []
    for t, name in enumerate(names):
        tier = tiers[name]
        n = int(counts.get(name, 0))
        lo, hi = np.log(tier["followers_min"]), np.log(tier["followers_max"])
        followers = np.exp(rng.uniform(lo, hi, n)).round()

        def spread(value: float, key: str, cap: float = np.inf, n: int = n) -> np.ndarray:
            sigma = spread_sigma[key]
            return np.minimum(value * rng.lognormal(-0.5 * sigma**2, sigma, n), cap)

        handles += [f"{name}-{i:04d}" for i in range(n)]
        cols["tier"].append(np.full(n, t))
        cols["followers"].append(followers)
        cols["engagement_rate"].append(spread(tier["engagement_rate"], "engagement_rate", 1.0))
        cols["reach_rate"].append(spread(tier["reach_rate"], "reach_rate", defaults.MAX_REACH_RATE))
        cols["fake_share"].append(np.full(n, tier["fake_share"]))
        cols["trust"].append(spread(tier["trust"], "trust", 1.0))
        cols["cost_per_post"].append(spread(tier["cost_per_follower"], "cost") * followers)
        cols["backlash_prob"].append(np.full(n, tier["backlash_prob"]))
        cols["niche_focus"].append(np.full(n, tier["niche_focus"]))
        cols["in_market"].append(np.full(n, tier["in_market"]))
        cols["niche"].append(rng.integers(0, niches, n))
    arrays = {k: np.concatenate(v) if v else np.zeros(0) for k, v in cols.items()}
    # Engagement among those reached cannot exceed 1: clip the rate to the reach.
    arrays["engagement_rate"] = np.minimum(arrays["engagement_rate"], arrays["reach_rate"])
    arrays["tier"] = arrays["tier"].astype(np.int64)
    arrays["niche"] = arrays["niche"].astype(np.int64)
    size = arrays["tier"].size
    return Candidates(
        tier_names=names,
        handle=np.array(handles, dtype=object),
        posts=np.zeros(size, np.int64),
        audience_group=np.full(size, -1, np.int64),
        **arrays,
    )


def creators_marketplace(
    frame: pd.DataFrame,
    tiers: Mapping[str, Mapping],
    niches: int,
    rng: np.random.Generator,
    source: str = "creators",
) -> Candidates:
    """Candidates from an explicit table of creators (one row each).

    Required columns: ``handle`` (unique), ``tier`` (a name in ``tiers``), ``followers``,
    ``fee_per_post`` (USD). Optional: ``engagement_rate``, ``reach_rate``, ``fake_share``,
    ``trust`` (missing or blank: the tier's value), ``niche`` (blank: drawn at random),
    ``audience_group`` (creators sharing a label share one audience pool), ``posts`` (blank: the
    scenario's contract terms). Backlash risk, niche focus and in-market share are the tier's.
    """
    names = list(tiers)
    unknown = [c for c in frame.columns if c not in (*CREATOR_REQUIRED, *CREATOR_OPTIONAL)]
    if unknown:
        allowed = [*CREATOR_REQUIRED, *CREATOR_OPTIONAL]
        raise InputError(
            source, str(unknown[0]), "(column)", did_you_mean(str(unknown[0]), allowed, "a creator column")
        )
    for column in CREATOR_REQUIRED:
        if column not in frame.columns:
            raise InputError(
                source, column, "(missing)", f"a creators table needs columns {', '.join(CREATOR_REQUIRED)}"
            )
    if len(frame) == 0:
        raise InputError(source, "(rows)", 0, "at least one creator")
    handle = frame["handle"].astype(str).str.strip().to_numpy(dtype=object)
    if (handle == "").any() or frame["handle"].isna().any():
        raise InputError(source, "handle", "", "every creator needs a handle")
    dup = pd.Series(handle).duplicated()
    if dup.any():
        raise InputError(source, "handle", handle[dup.to_numpy()][0], "handles must be unique")
    bad_tier = ~frame["tier"].isin(names)
    if bad_tier.any():
        value = frame["tier"][bad_tier].iloc[0]
        raise InputError(source, "tier", value, did_you_mean(str(value), names, "a tier of the scenario"))
    tier = np.array([names.index(t) for t in frame["tier"]], dtype=np.int64)

    def number(column: str, low: float, high: float, *, low_open: bool = False, high_open: bool = False):
        """The column as floats, NaN where blank or absent; values outside the range are errors."""
        if column not in frame.columns:
            return np.full(len(frame), np.nan)
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
        given = frame[column].notna().to_numpy()
        if np.isnan(values[given]).any():
            raise InputError(source, column, frame[column][given][np.isnan(values[given])].iloc[0], "a number")
        v = values[given]
        bad = (v <= low if low_open else v < low) | (v >= high if high_open else v > high)
        if bad.any():
            lo, hi = ("(" if low_open else "[") + f"{low:g}", f"{high:g}" + (")" if high_open else "]")
            raise InputError(source, column, float(v[bad][0]), f"must be in {lo}, {hi}")
        return values

    def with_default(column: str, key: str, **limits) -> np.ndarray:
        values = number(column, **limits)
        return np.where(np.isnan(values), _tier_column(tiers, names, tier, key), values)

    followers = number("followers", 0, np.inf, low_open=True)
    fee = number("fee_per_post", 0, np.inf, low_open=True)
    for column, values in (("followers", followers), ("fee_per_post", fee)):
        if np.isnan(values).any():
            raise InputError(source, column, "(blank)", "required for every creator")
    reach = with_default("reach_rate", "reach_rate", low=0, high=1, low_open=True)
    engagement = with_default("engagement_rate", "engagement_rate", low=0, high=1, low_open=True)
    if (engagement > reach).any():
        j = int(np.argmax(engagement > reach))
        raise InputError(source, "engagement_rate", float(engagement[j]), f"must not exceed reach_rate ({reach[j]:g})")
    niche = number("niche", 0, niches - 1)
    drawn = rng.integers(0, niches, len(frame))
    niche = np.where(np.isnan(niche), drawn, niche)
    if (niche != np.round(niche)).any():
        raise InputError(source, "niche", float(niche[niche != np.round(niche)][0]), "a whole number")
    posts = number("posts", 1, 1000)
    if (~np.isnan(posts) & (posts != np.round(posts))).any():
        raise InputError(source, "posts", float(posts[posts != np.round(posts)][0]), "a whole number")
    if "audience_group" in frame.columns:
        labels = frame["audience_group"].where(frame["audience_group"].notna(), None)
        codes, _ = pd.factorize(labels, use_na_sentinel=True)
    else:
        codes = np.full(len(frame), -1)
    return Candidates(
        tier_names=names,
        handle=handle,
        tier=tier,
        followers=followers,
        engagement_rate=engagement,
        reach_rate=reach,
        fake_share=with_default("fake_share", "fake_share", low=0, high=1, high_open=True),
        trust=with_default("trust", "trust", low=0, high=1),
        cost_per_post=fee,
        backlash_prob=_tier_column(tiers, names, tier, "backlash_prob"),
        niche_focus=_tier_column(tiers, names, tier, "niche_focus"),
        in_market=_tier_column(tiers, names, tier, "in_market"),
        niche=niche.astype(np.int64),
        posts=np.nan_to_num(posts, nan=0.0).astype(np.int64),
        audience_group=np.asarray(codes, dtype=np.int64),
    )


def build_audience(
    size: float, niche: int, niche_focus: float, consumer_niche: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Simulated followers of one influencer: a share ``niche_focus`` from its niche, the rest anywhere.

    ``size`` is rounded stochastically; audiences of different influencers overlap by chance.
    """
    n = consumer_niche.size
    k = min(n, int(np.floor(size + rng.random())))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    in_niche = np.flatnonzero(consumer_niche == niche)
    k_niche = min(in_niche.size, int(rng.binomial(k, niche_focus)))
    focused = rng.choice(in_niche, k_niche, replace=False) if k_niche else np.zeros(0, dtype=np.int64)
    rest = rng.choice(n, k - k_niche, replace=False)
    return np.unique(np.concatenate([focused, rest])).astype(np.int64)


def build_audiences(
    candidates: Candidates, which: np.ndarray, scale: float, consumer_niche: np.ndarray, rng: np.random.Generator
) -> list[np.ndarray]:
    """Audiences of candidates ``which``, in that order.

    A candidate with ``audience_group`` -1 gets its own audience (``build_audience``). Creators
    of one group share a pool, drawn once like the audience of the group's largest member (with
    the first member's niche); each member's audience is a random part of the pool of its own
    size, so two members of one group reach largely the same people.
    """
    sizes = candidates.expected_audience(scale)
    pools: dict[int, np.ndarray] = {}
    out = []
    for j in which:
        group = int(candidates.audience_group[j])
        if group < 0:
            out.append(
                build_audience(
                    sizes[j], int(candidates.niche[j]), float(candidates.niche_focus[j]), consumer_niche, rng
                )
            )
            continue
        if group not in pools:
            members = np.flatnonzero(candidates.audience_group == group)
            first = members[0]
            pools[group] = build_audience(
                sizes[members].max(),
                int(candidates.niche[first]),
                float(candidates.niche_focus[first]),
                consumer_niche,
                rng,
            )
        pool = pools[group]
        k = min(pool.size, int(np.floor(sizes[j] + rng.random())))
        out.append(np.sort(rng.choice(pool, k, replace=False)))
    return out
