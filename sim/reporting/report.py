"""A run's answer in words and tables, written three ways: the terminal summary, report.md and a
self-contained report.html. Every amount of money shows what was spent, what was left and why;
every interval says how it was made and what it covers."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.core.budget import unspent_words
from sim.inference.draws import interval_note
from sim.reporting import html as h
from sim.reporting.intervals import INTERVALS_NOTE
from sim.reporting.metrics import KPI_UNITS

REPORT_KPIS = [
    "adopters",
    "baseline_adopters",
    "incremental_adopters",
    "incremental_revenue",
    "spend",
    "unspent",
    "incremental_profit",
    "roi",
    "cpa",
    "attributed_sales",
    "attributed_cpa",
    "cpe",
    "cpm",
    "reach",
    "impressions",
    "engagements",
    "nps",
]
HEADLINE = [
    ("adopters", "Adopters (campaign)"),
    ("baseline_adopters", "Adopters (no campaign)"),
    ("incremental_adopters", "Incremental adopters"),
    ("incremental_revenue", "Incremental revenue, USD"),
    ("spend", "Spend, USD"),
    ("unspent", "Unspent budget, USD"),
    ("incremental_profit", "Incremental profit, USD"),
    ("roi", "ROI (incremental profit / spend)"),
    ("cpa", "CPA, USD per incremental adopter"),
    ("cpe", "CPE, USD per engagement"),
    ("nps", "NPS of adopters"),
]
ROI_NOTE = (
    "A tier's ROI is the average return on the money it spent (its share of incremental adopters x unit "
    "margin, less its spend, over its spend), not what its next dollar would earn: a tier that ran out of "
    "candidates can show a high ROI that more money cannot buy. `wom plan` measures each tier's marginal ROI."
)
FIGURE_CAPTIONS = {
    "adoption": "Adoption with and without the campaign",
    "sources": "Adopters by source",
    "tiers": "Spend, incremental adopters and ROI by tier",
    "network": "The network at the end",
}


def format_kpi(v: float | None, key: str) -> str:
    """A KPI's value as people read it: money per unit with cents, ratios signed, counts whole;
    "n/a" where the KPI is undefined (no spend, no engagement, nobody adopted)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if math.isinf(v):
        return "unbounded"
    if key == "roi":
        return f"{v:+.2f}"
    if key == "cpe":  # engagements cost cents
        return f"{v:,.3f}"
    if key in ("cpa", "attributed_cpa", "cpm"):
        return f"{v:,.2f}"
    if key == "nps":
        return f"{v:+.1f}"
    return f"{v:,.0f}"


def format_ci(s: dict, key: str, sep: str = " to ") -> str:
    """A KPI summary's 95% CI as "a to b" ("unbounded" for an open end; "n/a" without one)."""
    if s["n"] < 2 or math.isnan(s["ci95_low"]) and math.isnan(s["ci95_high"]):
        return "n/a"
    low = "unbounded" if not s["ci95_low"] > -math.inf else format_kpi(s["ci95_low"], key)
    return f"{low}{sep}{format_kpi(s['ci95_high'], key)}"


def _ci(s: dict, key: str) -> str:
    """ " (95% CI a to b)" for a KPI summary, or nothing when there is no interval."""
    text = format_ci(s, key)
    return "" if text == "n/a" else f" (95% CI {text})"


# --- what the money did -----------------------------------------------------------------------


def spend_rows(results) -> pd.DataFrame:
    """Per tier (and the rest of the budget): allocated, spent, unspent and why; a total row last.

    Fees are the same in every replication (the roster is fixed per world); referral rewards are
    paid per referred sale, so their mean over replications is shown.
    """
    sc, s = results.scenario, results.summary
    rows = results.spend.assign(hired=lambda f: f["hired"].map(str) + "/" + f["candidates"].map(str))
    rows = rows[["tier", "allocated", "spent", "unspent", "hired", "unspent_reason"]].copy()
    fees = sc.budget.total - sc.referral.budget
    extra = []
    if fees - rows["allocated"].sum() >= 0.5:
        left = fees - rows["allocated"].sum()
        extra.append(["(not allocated)", left, 0.0, left, "", "budget.split gives no tier this money"])
    if sc.referral.budget > 0:
        paid = float(results.kpis["spend"].mean()) - float(rows["spent"].sum())
        why = "rewards are paid per referred sale; fewer were referred" if sc.referral.budget - paid >= 0.5 else ""
        extra.append(["referral rewards", sc.referral.budget, paid, sc.referral.budget - paid, "", why])
    frame = pd.concat([rows, pd.DataFrame(extra, columns=rows.columns)], ignore_index=True)
    total = ["total", sc.budget.total, s["spend"]["mean"], s["unspent"]["mean"], "", ""]
    return pd.concat([frame, pd.DataFrame([total], columns=rows.columns)], ignore_index=True)


def spend_warnings(results) -> list[str]:
    """One line per tier given money that hired no one, with its real reason."""
    report = results.spend
    idle = report[(report["allocated"] > 0) & (report["hired"] == 0)]
    return [
        f"tier {r.tier} hired no one with its {r.allocated:,.0f} USD: {r.unspent_reason}" for r in idle.itertuples()
    ]


def unspent_sentence(results) -> str:
    """ "2,070 USD of the 50,000 USD budget stays unspent: macro 2,043 USD, no whole ..." ("" when all is spent)."""
    s, sc = results.summary, results.scenario
    unspent = s["unspent"]["mean"]
    if not unspent >= 0.5:
        return ""
    words = unspent_words(results.spend, at_least=max(0.5, 0.01 * unspent))
    rest = spend_rows(results)
    others = rest[rest["tier"].isin(["(not allocated)", "referral rewards"]) & (rest["unspent"] >= 0.5)]
    words = "; ".join([w for w in [words] if w] + [f"{r.tier} {r.unspent:,.0f} USD" for r in others.itertuples()])
    return f"{unspent:,.0f} USD of the {sc.budget.total:,.0f} USD budget stays unspent" + (
        f": {words}" if words else ""
    )


def answer(results) -> str:
    """The run's answer in one sentence: lift and profit with intervals, spend and unspent."""
    s = results.summary
    inc, profit, spend = s["incremental_adopters"], s["incremental_profit"], s["spend"]
    text = (
        f"The campaign adds {format_kpi(inc['mean'], 'incremental_adopters')} adopters over the no-campaign market"
        f"{_ci(inc, 'incremental_adopters')} and {format_kpi(profit['mean'], 'incremental_profit')} USD of "
        f"incremental profit{_ci(profit, 'incremental_profit')} for {format_kpi(spend['mean'], 'spend')} USD of spend"
    )
    unspent = unspent_sentence(results)
    return text + (f"; {unspent}" if unspent else "") + "."


def tier_notes(results) -> dict[str, str]:
    """Per tier, what a reader must know next to its ROI (ran out of candidates, could not spend)."""
    notes = {}
    for r in results.spend.itertuples():
        if r.allocated <= 0:
            continue
        if r.hired == 0:
            notes[r.tier] = f"nothing spent: {r.unspent_reason}"
        elif r.hired >= r.candidates:
            notes[r.tier] = f"all {r.candidates} candidates hired: more money here buys nothing"
        elif r.unspent >= max(0.5, 0.05 * r.allocated):
            notes[r.tier] = f"{r.unspent:,.0f} USD unspent: {r.unspent_reason}"
    return notes


def degenerate(results) -> list[str]:
    """Plain words for a world in which part of the model cannot act (no ties, nothing hired,
    no sponsored view, nobody adopting), so a reader knows why some numbers are zero or n/a."""
    world, sc, s = results.world, results.scenario, results.summary
    notes = []
    if not world.graph.complete and world.graph.edges == 0:
        notes.append(
            f"**No ties**: the network's {world.n:,} consumer{'s have' if world.n > 1 else ' has'} no ties, so word "
            "of mouth cannot spread; every adoption comes from the baseline rate or a sponsored post."
        )
    if len(world.roster) == 0:
        if sc.budget.total - sc.referral.budget <= 0:
            notes.append("**Nothing to spend** on influencers: the campaign world is the no-campaign world.")
        else:
            notes.append(
                "**Nothing could be spent**: no candidate's contract fits its tier's money "
                f"({sc.budget.total - sc.referral.budget:,.0f} USD for fees), so no influencer was hired and the "
                "campaign world is the no-campaign world."
            )
    elif not s["impressions"]["mean"] > 0:
        notes.append(
            f"**No sponsored view reached anyone**: one simulated consumer stands for {world.scale:,.0f} people, so "
            "each influencer's in-market audience rounds to no simulated consumer; simulate more consumers or a "
            "smaller population."
        )
    elif not s["engagements"]["mean"] > 0:
        notes.append("**No engagement**: sponsored posts were seen but nobody engaged, so CPE is n/a.")
    if not s["adopters"]["mean"] > 0 and not s["baseline_adopters"]["mean"] > 0:
        notes.append(f"**Nobody adopted** in either world within {sc.market.days} days: there is no effect to measure.")
    return notes


def findings(results) -> list[str]:
    s = results.summary
    inc, spend = s["incremental_adopters"], s["spend"]
    lines = [f"- {note}" for note in degenerate(results)]
    lines += [f"- **Warning**: {w}." for w in spend_warnings(results)]
    lines.append(f"- {answer(results)}")
    if spend["mean"] > 0:
        cpa = s["cpa"]
        lines += [
            f"- ROI on incremental profit: **{format_kpi(s['roi']['mean'], 'roi')}**{_ci(s['roi'], 'roi')}; a negative "
            "ROI means the margin on extra sales does not repay the spend. CPA (total spend / total incremental "
            f"adopters over all replications): **{format_kpi(cpa['mean'], 'cpa')} USD**{_ci(cpa, 'cpa')}"
            + (f"; {cpa['note']}" if cpa["note"] else "")
            + ".",
            f"- Promo-code (last-touch) attribution credits **{format_kpi(s['attributed_sales']['mean'], 'attributed_sales')}"
            f"** sales, against {format_kpi(inc['mean'], 'incremental_adopters')} truly incremental: attributed sales "
            "include buyers who would have bought anyway and miss sales passed on by word of mouth.",
        ]
    tiers, notes = results.tier_summary(), tier_notes(results)
    spent = tiers[(tiers["spend"] > 0) & tiers["roi"].notna()]
    if len(spent) > 1:
        best = spent.loc[spent["roi"].idxmax()]
        line = f"- Highest average ROI: **{best['tier']}** ({format_kpi(best['roi'], 'roi')})"
        if best["tier"] in notes:
            line += f", but {notes[best['tier']]}"
        engaged = spent[spent["cpe"].notna()]
        if len(engaged):
            cheapest = engaged.loc[engaged["cpe"].idxmin()]
            line += f"; lowest cost per engagement: **{cheapest['tier']}** ({format_kpi(cheapest['cpe'], 'cpe')} USD)"
        lines.append(line + ". " + ROI_NOTE)
    return lines


# --- tables -----------------------------------------------------------------------------------


def kpi_rows(summary: dict) -> tuple[list[str], list[list[str]], list[str]]:
    """Head, rows and footnotes of the KPI table (a footnote per clipped or unbounded interval)."""
    head = ["KPI", "unit", "estimate", "95% CI", "95% range of outcomes"]
    rows, notes = [], []
    for k in REPORT_KPIS:
        s = summary[k]
        ci = format_ci(s, k)
        if s["note"]:
            notes.append(f"{k}: {s['note']}")
            ci += f" ({len(notes)})"
        spread = f"{format_kpi(s['p2_5'], k)} to {format_kpi(s['p97_5'], k)}"
        rows.append([k, KPI_UNITS[k], format_kpi(s["mean"], k), ci, spread])
    return head, rows, [f"({i}) {n}" for i, n in enumerate(notes, 1)]


def money_rows(results) -> tuple[list[str], list[list[str]]]:
    head = ["tier", "allocated USD", "spent USD", "unspent USD", "hired / candidates", "why unspent"]
    rows = [
        [r.tier, f"{r.allocated:,.0f}", f"{r.spent:,.0f}", f"{r.unspent:,.0f}", r.hired, r.unspent_reason]
        for r in spend_rows(results).itertuples()
    ]
    return head, rows


def tier_rows_text(results) -> tuple[list[str], list[list[str]]]:
    cols = ["spend", "posts", "impressions", "engagements", "cpe", "converted", "attributed_sales"]
    head = ["tier", *cols, "incremental_adopters", "roi", "note"]
    notes = tier_notes(results)
    rows = []
    for _, r in results.tier_summary().iterrows():
        cells = [str(r["tier"]), *(format_kpi(float(r[c]), c) for c in cols)]
        cells += [
            format_kpi(float(r["incremental_adopters"]), "incremental_adopters"),
            format_kpi(float(r["roi"]), "roi"),
        ]
        rows.append(cells + [notes.get(r["tier"], "")])
    return head, rows


def markdown_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 2) + "|---|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def kpi_table(summary: dict) -> str:
    head, rows, notes = kpi_rows(summary)
    return markdown_table(head, rows) + ("\n\n" + "; ".join(notes) if notes else "")


# --- the three renderings ---------------------------------------------------------------------


def provenance(results) -> str:
    sc, m, world = results.scenario, results.scenario.market, results.world
    return (
        f"Scenario hash `{sc.content_hash()}`, seed {sc.seed}, {sc.replications} replications, wom {__version__}. "
        f"Market of {m.population:,} people simulated by {world.n:,} consumers "
        f"(1 consumer = {world.scale:,.1f} people) over {m.days} days; price {m.price:,.2f} USD, "
        f"unit margin {m.unit_margin:,.2f} USD; network `{sc.network.kind}`; "
        f"{len(world.roster)} influencers hired for {world.roster.cost.sum():,.0f} USD "
        f"of a {sc.budget.total:,.0f} USD budget (policy `{sc.hiring.policy}`)."
    )


def terminal_summary(results) -> str:
    """What ``wom run`` prints: the headline KPIs, where the money went, warnings, what intervals cover."""
    summary = results.summary
    lines = [f"{'KPI':34} {'estimate':>14}   95% CI"]
    for key, label in HEADLINE:
        s = summary.get(key)
        if s is None or s["n"] == 0:
            continue
        ci = format_ci(s, key, ", ")
        ci = "" if ci == "n/a" else f"[{ci}]" + (f"  {s['note']}" if s["note"] else "")
        lines.append(f"{label:34} {format_kpi(s['mean'], key):>14}   {ci}")
    rows = spend_rows(results)
    total = rows.iloc[-1]
    lines += ["", f"Budget {total['allocated']:,.0f} USD: {total['spent']:,.0f} spent, {total['unspent']:,.0f} unspent"]
    left = rows.iloc[:-1][rows.iloc[:-1]["unspent"] >= 0.5]
    width = max((len(t) for t in left["tier"]), default=0)
    lines += [f"  {r.tier:{width}}  {r.unspent:>9,.0f} USD  {r.unspent_reason}" for r in left.itertuples()]
    lines += [f"warning: {w}" for w in spend_warnings(results)]
    lines += ["", *textwrap.wrap(f"{interval_note(results.scenario)} {INTERVALS_NOTE}", 110)]
    return "\n".join(lines)


def write_report(results, path: Path, figures: dict[str, Path]) -> Path:
    """report.md beside its figures folder."""
    sc = results.scenario
    parts = [
        f"# wom report: {sc.name}",
        "",
        *([sc.description, ""] if sc.description else []),
        provenance(results),
        "",
        "## Findings",
        "",
        *findings(results),
        "",
        "## Key figures",
        "",
        "People are real market members (simulated consumers x scale). " + INTERVALS_NOTE,
        "",
        interval_note(sc),
        "",
        kpi_table(results.summary),
        "",
        "## Budget: spent, unspent and why",
        "",
        markdown_table(*money_rows(results)),
        "",
        "## Tiers (means over replications)",
        "",
        markdown_table(*tier_rows_text(results)),
        "",
        "`converted`: adopters whose adoption was caused by that tier's posts. `incremental_adopters`: the "
        "campaign's total lift, allocated to tiers in proportion to `converted`. " + ROI_NOTE,
        "",
        "## Figures",
        "",
    ]
    for name, fig in figures.items():
        parts += [f"### {FIGURE_CAPTIONS[name]}", "", f"![{FIGURE_CAPTIONS[name]}](figures/{fig.name})", ""]
    parts += [
        "## Method",
        "",
        "Each replication simulates the market twice on the same random streams (common random numbers): with "
        "the campaign and without it. Incremental adopters are the difference. Model and defaults: "
        "`docs/model.md`; every value used is in `scenario.resolved.toml`.",
        "",
        "Files: `report.html` (this report on one page), `summary.json` (KPIs), `replications.csv` (KPIs per "
        "replication), `daily.csv` (per replication, world and day), `tiers.csv` (with unspent money and why), "
        "`influencers.csv` (the hired roster and what each did).",
        "",
    ]
    path.write_text("\n".join(parts))
    return path


def render_html(results, figures: dict[str, Path]) -> str:
    """report.html: the answer, KPIs, money, tiers, figures and what the intervals cover, on one or two A4 pages."""
    sc = results.scenario
    head, rows, notes = kpi_rows(results.summary)
    warnings = "".join(f'<p class="warning">Warning: {h.escape(w)}.</p>' for w in spend_warnings(results))
    degenerate_notes = "".join(f'<p class="warning">{h.escape(n.replace("**", ""))}</p>' for n in degenerate(results))
    pair = "".join(h.image(figures.get(k), FIGURE_CAPTIONS[k]) for k in ("adoption", "sources") if k in figures)
    wide = h.image(figures.get("tiers"), FIGURE_CAPTIONS["tiers"]) + h.image(
        figures.get("network"), FIGURE_CAPTIONS["network"], width="40%"
    )
    body = f"""<h1>wom report: {h.escape(sc.name)}</h1>
<p class="small">{h.escape(sc.description.rstrip(".") + ". " if sc.description else "")}{h.escape(provenance(results).replace("`", ""))}</p>
<p class="answer" id="answer">{h.escape(answer(results))}</p>
{degenerate_notes}{warnings}
<h2>Key figures</h2>
{h.table(head, rows)}
<p class="small">{h.escape("; ".join(notes))}</p>
<h2>Budget: spent, unspent and why</h2>
{h.table(*money_rows(results), cls="words")}
<h2>Tiers (means over replications)</h2>
{h.table(*tier_rows_text(results), cls="words")}
<p class="small">{h.escape(ROI_NOTE.replace("`", ""))}</p>
<h2>Figures</h2>
<div class="two">{pair}</div>
{wide}
<h2>What the numbers cover</h2>
<p class="small" id="covers">{h.escape(interval_note(sc))} {h.escape(INTERVALS_NOTE)} People are real market
members (simulated consumers x scale). Each replication simulates the market with and without the campaign on the
same random streams; incremental adopters are the difference. Every value used is in scenario.resolved.toml.</p>
"""
    return h.page(f"wom report: {sc.name}", body)
