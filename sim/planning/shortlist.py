"""A user's shortlist of creators (CSV) read into the creators table ``World.build`` takes.

One row per creator: a handle, followers or a tier, the fee per post, and optionally the
engagement rate, reach rate, fake-follower share, trust, niche, audience overlap group and posts.
Column names are matched loosely (case, spaces, common synonyms: ``fee``/``price``/``rate``,
``er``, ``group``/``overlap_group``); shares may be written ``3.2%`` or ``0.032``; money and
follower counts may carry ``$``, ``USD``, thousands separators or a ``k``/``M`` suffix. Every bad
row is one line naming the file, the row, the column, the value and what is allowed, all of
them at once. Blank figures take the tier's cited defaults and are recorded per creator, so the
report can say which were filled in. docs/hiring.md describes the format.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.core import files
from sim.core.errors import InputError, did_you_mean
from sim.core.scenario import Scenario

# Canonical column -> accepted names (after lower-casing and turning spaces and hyphens into '_').
COLUMNS: dict[str, tuple[str, ...]] = {
    "handle": ("handle", "creator", "influencer", "username", "account", "name"),
    "tier": ("tier",),
    "followers": ("followers", "follower_count", "followers_count"),
    "fee_per_post": ("fee_per_post", "fee", "price", "rate", "cost_per_post", "price_per_post", "rate_per_post"),
    "engagement_rate": ("engagement_rate", "er", "engagement"),
    "reach_rate": ("reach_rate", "reach"),
    "fake_share": ("fake_share", "fake_followers", "fake_follower_share", "fake"),
    "trust": ("trust",),
    "niche": ("niche", "category", "segment"),
    "audience_group": ("audience_group", "group", "overlap_group"),
    "posts": ("posts", "posts_per_contract"),
}
# Figures a blank cell takes from the creator's tier (followers: the tier's geometric mid-point;
# fee: the tier's cost per follower x followers; the rates: the tier's cited values).
FILLED = ("followers", "fee_per_post", "engagement_rate", "reach_rate", "fake_share", "trust")
# Share columns: (low, high, low included, high included).
SHARES = {
    "engagement_rate": (0.0, 1.0, False, True),
    "reach_rate": (0.0, 1.0, False, True),
    "fake_share": (0.0, 1.0, True, False),
    "trust": (0.0, 1.0, True, True),
}
SUFFIX = {"k": 1e3, "m": 1e6}
NUMBER = re.compile(r"^(?:us\$|\$)?\s*([0-9][0-9,_ ]*(?:\.[0-9]*)?|\.[0-9]+)\s*([km])?\s*(?:usd)?$")


class ShortlistError(InputError):
    """Every bad row of a shortlist, one line each (the first one's fields as an ``InputError``)."""

    def __init__(self, lines: list[str], first: InputError) -> None:
        super().__init__(first.file, first.key, first.value, first.allowed)
        self.lines = lines
        self.args = ("\n".join(lines),)


@dataclass(frozen=True)
class Shortlist:
    """Creators for ``World.build(creators=...)``, and per creator which figures were filled in."""

    source: str
    creators: pd.DataFrame
    filled: dict[str, list[str]]  # handle -> its blank cells that took the tier's default
    notes: list[str] = field(default_factory=list)

    def filled_text(self, handle: str) -> str:
        return ", ".join(self.filled.get(handle, []))


def _normal(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def parse_amount(text: str, *, suffix: bool = True) -> float:
    """``"$1,200"``, ``"1200 USD"``, ``"12.5k"``, ``"1.2M"`` -> a float (ValueError if not a number).

    >>> parse_amount("$1,200"), parse_amount("12.5k"), parse_amount("1.2M"), parse_amount("250 USD")
    (1200.0, 12500.0, 1200000.0, 250.0)
    """
    match = NUMBER.match(text.strip().lower())
    if match is None or (match.group(2) and not suffix):
        raise ValueError(text)
    value = float(re.sub(r"[,_ ]", "", match.group(1)))
    return value * SUFFIX.get(match.group(2) or "", 1.0)


def parse_share(text: str) -> float:
    """``"3.2%"`` or ``"0.032"`` -> 0.032 (ValueError if not a number).

    >>> parse_share("3.2%"), parse_share("0.032"), parse_share(" 45 % ")
    (0.032, 0.032, 0.45)
    """
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1].strip()) / 100.0
    return float(text)


def _columns(frame: pd.DataFrame, source: str) -> tuple[dict[str, str], list[str]]:
    """Canonical name -> the file's column, and the columns wom does not read."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    lookup = {name: canonical for canonical, names in COLUMNS.items() for name in names}
    for column in frame.columns:
        canonical = lookup.get(_normal(column))
        if canonical is None:
            ignored.append(str(column))
            continue
        if canonical in found:
            raise InputError(
                source, str(column), "(column)", f"a second column for {canonical} (first: {found[canonical]!r})"
            )
        found[canonical] = column
    for canonical, alternative in (("handle", None), ("fee_per_post", None), ("followers", "tier")):
        if canonical not in found and (alternative is None or alternative not in found):
            names = COLUMNS[canonical] + (COLUMNS[alternative] if alternative else ())
            present = [str(c) for c in frame.columns]
            raise InputError(
                source,
                canonical,
                "(missing column)",
                f"a column {' / '.join(names)} is required; {did_you_mean(canonical, present, 'in the file')}",
            )
    return found, ignored


class _Rows:
    """Problems per row, gathered so every bad row is reported (one line each)."""

    def __init__(self, source: str, header_line: int) -> None:
        self.source, self.header_line = source, header_line
        self.problems: dict[int, list[tuple[str, str, str]]] = {}

    def bad(self, row: int, column: str, value: str, allowed: str) -> None:
        self.problems.setdefault(row, []).append((column, value, allowed))

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        lines, first = [], None
        for row in sorted(self.problems):
            where = f"row {row + 1} (line {self.header_line + 1 + row})"
            parts = [
                str(InputError(self.source, f"column {c}", v, a)).removeprefix(f"{self.source}: ")
                for c, v, a in self.problems[row]
            ]
            lines.append(f"{self.source}: {where}: " + "; ".join(parts))
            if first is None:
                column, value, allowed = self.problems[row][0]
                first = InputError(self.source, f"{where}, column {column}", value, allowed)
        raise ShortlistError(lines, first)


def read_shortlist(path: str, scenario: Scenario) -> Shortlist:
    """Read a shortlist CSV for ``scenario``'s tiers and niches (docs/hiring.md: the format).

    Raises ``ShortlistError`` (an ``InputError``) listing every bad row, one line each.
    """
    source = str(path)
    frame = files.read_table(source, "shortlist")
    text = frame.attrs.get("header_line", 1)
    cols, ignored = _columns(frame, source)
    rows = _Rows(source, text)
    cell = {c: frame[col].astype(str).str.strip() for c, col in cols.items()}
    blank = pd.Series([""] * len(frame), index=frame.index, dtype=str)
    tiers = scenario.tiers.table
    names = list(tiers)
    n = len(frame)

    handle = cell["handle"]
    seen: dict[str, int] = {}
    for row, h in enumerate(handle):
        if h == "":
            rows.bad(row, cols["handle"], h, "every creator needs a handle")
        elif h in seen:
            rows.bad(row, cols["handle"], h, f"handles must be unique (also on row {seen[h] + 1})")
        else:
            seen[h] = row

    def numbers(canonical: str, parse, allowed: str, ok) -> np.ndarray:
        out = np.full(n, np.nan)
        for row, value in enumerate(cell.get(canonical, blank)):
            if value == "":
                continue
            try:
                number = parse(value)
            except ValueError:
                number = math.nan
            if not (math.isfinite(number) and ok(number)):
                rows.bad(row, cols[canonical], value, allowed)
            else:
                out[row] = number
        return out

    followers = numbers("followers", parse_amount, "a number of followers >= 1 (e.g. 12500, 12.5k)", lambda v: v >= 1)
    fee = numbers("fee_per_post", parse_amount, "a fee per post in USD > 0 (e.g. 250, $1,200)", lambda v: v > 0)
    posts = numbers(
        "posts",
        lambda v: parse_amount(v, suffix=False),
        "a whole number of posts, 1-1000",
        lambda v: v % 1 == 0 and 1 <= v <= 1000,
    )
    shares = {}
    for canonical, (low, high, low_in, high_in) in SHARES.items():
        lo, hi = ("[" if low_in else "(") + f"{low:g}", f"{high:g}" + ("]" if high_in else ")")
        shares[canonical] = numbers(
            canonical,
            parse_share,
            f"a share in {lo}, {hi}: 0.032 or 3.2%",
            lambda v, low=low, high=high, low_in=low_in, high_in=high_in: (
                (v >= low if low_in else v > low) and (v <= high if high_in else v < high)
            ),
        )

    tier = cell.get("tier", blank).to_numpy(dtype=object).copy()
    derived = np.zeros(n, bool)
    for row in range(n):
        if tier[row] != "" and tier[row] not in tiers:
            rows.bad(
                row,
                cols["tier"],
                tier[row],
                did_you_mean(tier[row], names, f"a tier of preset {scenario.tiers.preset!r}"),
            )
        elif tier[row] == "" and not np.isnan(followers[row]):
            tier[row], derived[row] = scenario.tiers.tier_of(followers[row]), True
        elif tier[row] == "" and cell.get("followers", blank).iloc[row] == "":
            rows.bad(row, cols.get("followers", cols.get("tier")), "", "followers or a tier for every creator")
    # engagement among those reached cannot exceed 1: the rate is at most the reach rate
    for row in range(n):
        er, reach = shares["engagement_rate"][row], shares["reach_rate"][row]
        if tier[row] in tiers and not np.isnan(er) and er > (tiers[tier[row]].reach_rate if np.isnan(reach) else reach):
            limit = f"{tiers[tier[row]].reach_rate:.3g}, the tier's default" if np.isnan(reach) else f"{reach:.3g}"
            rows.bad(
                row, cols["engagement_rate"], cell["engagement_rate"].iloc[row], f"at most the reach rate ({limit})"
            )
    niche = _niches(cell.get("niche", blank), scenario.network.niches, rows, cols.get("niche", "niche"))
    rows.raise_if_any()

    filled: dict[str, list[str]] = {}
    for row in range(n):
        t = tiers[tier[row]]
        mine = ["tier (from followers)"] if derived[row] else []
        if np.isnan(followers[row]):
            followers[row] = round(math.sqrt(t.followers_min * t.followers_max))
            mine.append("followers")
        if np.isnan(fee[row]):
            fee[row] = round(t.cost_per_follower * followers[row], 2)
            mine.append("fee_per_post")
        mine += [name for name in SHARES if name in cols and np.isnan(shares[name][row])]
        if "niche" in cols and pd.isna(niche.iloc[row]):
            mine.append("niche (random)")
        filled[str(handle.iloc[row])] = mine

    creators = pd.DataFrame(
        {
            "handle": handle.to_numpy(dtype=object),
            "tier": tier,
            "followers": followers,
            "fee_per_post": fee,
            **shares,
            "niche": niche,
            "audience_group": cell["audience_group"].where(cell["audience_group"] != "", None).to_numpy(dtype=object)
            if "audience_group" in cols
            else None,
            "posts": pd.array(np.where(np.isnan(posts), pd.NA, posts), dtype="Int64"),
        }
    )
    notes = [] if "niche" in cols else ["no niche column: every creator's niche is drawn at random"]
    if ignored:
        notes.append(f"columns not read: {', '.join(ignored)} (docs/hiring.md lists the columns wom reads)")
    absent = [name for name in SHARES if name not in cols]
    if absent:
        notes.append(f"not in the shortlist, so every creator takes its tier's default: {', '.join(absent)}")
    count = sum(bool(v) for v in filled.values())
    if count:
        notes.append(
            f"{count} of {n} creators had blank cells, filled in with their tier's defaults (roster.csv says which)"
        )
    return Shortlist(source, creators, filled, notes)


def _niches(text: pd.Series, niches: int, rows: _Rows, column: str) -> pd.Series:
    """Numbers 0..niches-1 as given, other labels mapped to niches in order of first appearance;
    blank: drawn at random by the world."""
    given = text[text != ""]
    numeric = bool(len(given)) and bool(given.str.fullmatch(r"\d+").all())
    codes = given.astype(int) if numeric else pd.Series(pd.factorize(given)[0], index=given.index)
    for row in given.index[codes.to_numpy() >= niches]:
        allowed = f"a niche number 0-{niches - 1}" if numeric else f"at most {niches} different niches (network.niches)"
        rows.bad(int(row), column, text.loc[row], allowed)
    return pd.Series(codes, dtype="Int64").reindex(text.index)


def marketplace_creators(frame: pd.DataFrame) -> Shortlist:
    """The scenario's generated marketplace as a shortlist (every figure generated, none filled in)."""
    notes = ["candidates: the scenario's generated marketplace (synthetic creators)"]
    return Shortlist("marketplace", frame, {str(h): [] for h in frame["handle"]}, notes)


__all__ = [
    "COLUMNS",
    "Shortlist",
    "ShortlistError",
    "marketplace_creators",
    "parse_amount",
    "parse_share",
    "read_shortlist",
]
