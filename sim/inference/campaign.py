"""A past campaign as data: the per-creator table (and optionally daily total sales) a brand
exports from its influencer platform, read into the creators table ``World.build`` takes and
the observations calibration compares simulations with.

Column names are matched loosely (case, spaces and common synonyms); anything wrong is one
``InputError`` line naming the file, the line and column, the value and what is allowed.
docs/calibration.md describes the format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.core import defaults, files
from sim.core.errors import InputError, did_you_mean
from sim.core.scenario import Scenario

# Canonical column -> accepted names (after lower-casing and turning spaces and hyphens into '_').
CREATOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "handle": ("handle", "creator", "influencer", "username", "account"),
    "tier": ("tier",),
    "followers": ("followers", "follower_count", "followers_count"),
    "fee_per_post": ("fee_per_post", "cost_per_post", "rate_per_post", "price_per_post"),
    "fee": ("fee", "fees", "cost", "total_fee", "total_cost", "spend"),
    "posts": ("posts", "post_count", "number_of_posts", "n_posts", "deliverables"),
    "impressions": ("impressions", "views"),
    "engagements": ("engagements", "engagement", "interactions"),
    "orders": ("orders", "promo_orders", "promo_code_orders", "code_orders", "conversions", "redemptions"),
    "niche": ("niche", "category", "segment"),
}
REQUIRED = ("handle", "posts", "impressions", "engagements", "orders")
SALES_COLUMNS: dict[str, tuple[str, ...]] = {
    "day": ("day", "date"),
    "sales": ("sales", "orders", "units", "total_sales", "daily_sales"),
}
MIN_ENGAGEMENT_RATE = 1e-12  # a creator with no engagements: the model needs a positive rate
WHOLE = "a whole number"


@dataclass(frozen=True)
class Campaign:
    """A past campaign: ``creators`` for ``World.build(creators=..., roster=...)`` (reach and
    engagement rates measured from the data), ``observed`` per creator (tier, posts,
    impressions, engagements, orders) and ``sales`` per day (day 1 first) or None."""

    source: str
    creators: pd.DataFrame
    observed: pd.DataFrame
    sales: np.ndarray | None = None
    sales_source: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def handles(self) -> list[str]:
        return self.creators["handle"].tolist()

    @property
    def fees(self) -> float:
        return float((self.creators["fee_per_post"] * self.creators["posts"]).sum())


def _normal(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def _columns(frame: pd.DataFrame, names: dict[str, tuple[str, ...]], source: str) -> dict[str, str]:
    """Canonical name -> the file's column, refusing two columns for one thing."""
    found: dict[str, str] = {}
    for column in frame.columns:
        for canonical, accepted in names.items():
            if _normal(column) in accepted:
                if canonical in found:
                    raise InputError(
                        source,
                        str(column),
                        "(column)",
                        f"a second column for {canonical} (first: {found[canonical]!r})",
                    )
                found[canonical] = column
    return found


def _missing(frame: pd.DataFrame, canonical: str, names: dict[str, tuple[str, ...]], source: str) -> InputError:
    present = [str(c) for c in frame.columns]
    guess = did_you_mean(canonical, present, "in the file") if present else "the file has no columns"
    return InputError(
        source,
        canonical,
        "(missing column)",
        f"a column {' / '.join(names[canonical])} is required; {guess}",
    )


class _Cells:
    """One column's text cells, turned into checked numbers with one-line errors."""

    def __init__(self, frame: pd.DataFrame, column: str | None, canonical: str, source: str) -> None:
        self.column, self.canonical, self.source = column, canonical, source
        self.header_line = frame.attrs.get("header_line", 1)
        self.text = (
            frame[column].astype(str).str.strip() if column is not None else pd.Series([""] * len(frame), dtype=str)
        )

    def error(self, row: int, value: object, allowed: str) -> InputError:
        return InputError(
            self.source, f"line {self.header_line + 1 + row}, column {self.column or self.canonical}", value, allowed
        )

    def numbers(self, *, low: float, low_open: bool = False, whole: bool = False, blank: bool = False) -> np.ndarray:
        out = np.full(len(self.text), np.nan)
        bound = f"{'>' if low_open else '>='} {low:g}"
        allowed = f"{WHOLE if whole else 'a number'} {bound}"
        for row, cell in enumerate(self.text):
            if cell == "":
                if blank:
                    continue
                raise self.error(row, cell, f"{allowed} (blank)")
            try:
                value = float(cell)
            except ValueError:
                raise self.error(row, cell, allowed) from None
            if not np.isfinite(value) or (value <= low if low_open else value < low) or (whole and value % 1):
                raise self.error(row, cell, allowed)
            out[row] = value
        return out


def read_campaign(path: str, scenario: Scenario, *, sales: str | None = None, start_day: int | None = None) -> Campaign:
    """Read a past campaign's per-creator table (and daily sales) for ``scenario``'s tiers and niches.

    Each creator needs a handle, posts, impressions, engagements, promo-code orders, a fee (per
    post, or total) and its followers or tier (the other is derived: the tier from the
    scenario's follower ranges; followers as impressions per post over the tier's reach rate).
    Reach and engagement rates are measured: impressions (engagements) per post per follower.
    """
    frame = files.read_table(path, "campaign data")
    cols = _columns(frame, CREATOR_COLUMNS, path)
    for canonical in REQUIRED:
        if canonical not in cols:
            raise _missing(frame, canonical, CREATOR_COLUMNS, path)
    if "fee" not in cols and "fee_per_post" not in cols:
        raise _missing(frame, "fee", CREATOR_COLUMNS, path)
    if "fee" in cols and "fee_per_post" in cols:
        raise InputError(path, cols["fee"], "(column)", f"give the fee per post ({cols['fee_per_post']}) or in total")
    if "followers" not in cols and "tier" not in cols:
        raise _missing(frame, "followers", CREATOR_COLUMNS, path)
    cell = {c: _Cells(frame, cols.get(c), c, path) for c in CREATOR_COLUMNS}
    notes: list[str] = []

    handle = cell["handle"].text
    for row, h in enumerate(handle):
        if h == "":
            raise cell["handle"].error(row, h, "every creator needs a handle")
    duplicated = handle.duplicated()
    if duplicated.any():
        row = int(np.argmax(duplicated.to_numpy()))
        raise cell["handle"].error(row, handle.iloc[row], "handles must be unique")

    posts = cell["posts"].numbers(low=1, whole=True)
    impressions = cell["impressions"].numbers(low=0, low_open=True)
    engagements = cell["engagements"].numbers(low=0)
    orders = cell["orders"].numbers(low=0, whole=True)
    for row in np.flatnonzero(engagements > impressions):
        raise cell["engagements"].error(row, cell["engagements"].text.iloc[row], "at most the creator's impressions")
    if "fee" in cols:
        fee_per_post = cell["fee"].numbers(low=0, low_open=True) / posts
    else:
        fee_per_post = cell["fee_per_post"].numbers(low=0, low_open=True)

    tiers = scenario.tiers.table
    names = list(tiers)
    tier = cell["tier"].text.copy()
    followers = cell["followers"].numbers(low=1, blank=True)
    derived = np.isnan(followers)
    for row, t in enumerate(tier):
        if t == "" and np.isnan(followers[row]):
            raise cell["followers"].error(row, "", "followers or a tier for every creator")
        if t != "" and t not in tiers:
            raise cell["tier"].error(row, t, did_you_mean(t, names, f"a tier of preset {scenario.tiers.preset!r}"))
        if t == "":
            tier.iloc[row] = scenario.tiers.tier_of(followers[row])
        if np.isnan(followers[row]):
            followers[row] = max(1.0, round(impressions[row] / (posts[row] * tiers[tier.iloc[row]].reach_rate)))
    if derived.any():
        notes.append(
            f"{int(derived.sum())} creator(s) without followers: taken as impressions per post / the tier's reach rate"
        )

    reach = impressions / (posts * followers)
    capped = reach > defaults.MAX_REACH_RATE
    if capped.any():
        notes.append(
            f"{int(capped.sum())} creator(s) had more impressions per post than {defaults.MAX_REACH_RATE:.0%} of their "
            f"followers (e.g. {handle[capped].iloc[0]}): their reach rate is capped there, so the model shows them fewer "
            "impressions than the data"
        )
    reach = np.minimum(reach, defaults.MAX_REACH_RATE)
    engagement = np.clip(engagements / (posts * followers), MIN_ENGAGEMENT_RATE, reach)

    creators = pd.DataFrame(
        {
            "handle": handle.to_numpy(dtype=object),
            "tier": tier.to_numpy(dtype=object),
            "followers": followers,
            "fee_per_post": fee_per_post,
            "engagement_rate": engagement,
            "reach_rate": reach,
            "posts": posts.astype(np.int64),
        }
    )
    if "niche" in cols:
        creators["niche"] = _niches(cell["niche"], scenario.network.niches)
    observed = pd.DataFrame(
        {
            "handle": creators["handle"],
            "tier": creators["tier"],
            "posts": posts.astype(np.int64),
            "impressions": impressions,
            "engagements": engagements,
            "orders": orders,
        }
    )
    daily = read_sales(sales) if sales is not None else None
    return Campaign(path, creators, observed, daily, sales, notes)


def _niches(cells: _Cells, niches: int) -> pd.Series:
    """Niche labels -> the graph's niche numbers: numbers 0..niches-1 as given, other labels in
    order of first appearance; blank: drawn at random by the world."""
    text = cells.text
    given = text[text != ""]
    numeric = given.str.fullmatch(r"\d+").all() and given.astype(int).lt(niches).all() if len(given) else True
    codes = given.astype(int) if numeric else pd.Series(pd.factorize(given)[0], index=given.index)
    if len(given) and codes.max() >= niches:
        row = int(np.flatnonzero((text != "").to_numpy())[int(np.argmax(codes.to_numpy() >= niches))])
        raise cells.error(row, text.iloc[row], f"at most {niches} different niches (network.niches)")
    return pd.Series(codes, index=text.index, dtype="Int64").reindex(text.index)


def read_sales(path: str) -> np.ndarray:
    """Daily total sales, one row per consecutive day (``day`` numbers or ISO ``date``s)."""
    frame = files.read_table(path, "daily sales")
    cols = _columns(frame, SALES_COLUMNS, path)
    for canonical in SALES_COLUMNS:
        if canonical not in cols:
            raise _missing(frame, canonical, SALES_COLUMNS, path)
    day = _Cells(frame, cols["day"], "day", path)
    if _normal(cols["day"]) == "date":
        dates = pd.to_datetime(day.text, format="ISO8601", errors="coerce")
        for row in np.flatnonzero(dates.isna().to_numpy()):
            raise day.error(row, day.text.iloc[row], "an ISO date like 2025-03-01")
        steps = dates.diff().dt.days.to_numpy()[1:]
    else:
        steps = np.diff(day.numbers(low=0, whole=True))
    for row in np.flatnonzero(steps != 1):
        raise day.error(row + 1, day.text.iloc[row + 1], "consecutive days, one row each, in order")
    return _Cells(frame, cols["sales"], "sales", path).numbers(low=0)
