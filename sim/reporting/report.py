"""report.md: the run's answer in words, tables and figures."""

from __future__ import annotations

import math
from pathlib import Path

from sim import __version__
from sim.inference.draws import interval_note
from sim.reporting.metrics import KPI_UNITS

REPORT_KPIS = [
    "adopters",
    "baseline_adopters",
    "incremental_adopters",
    "incremental_revenue",
    "spend",
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


def format_kpi(v: float | None, key: str) -> str:
    """A KPI's value as people read it: money per unit with cents, ratios signed, counts whole;
    "n/a" where the KPI is undefined (no spend, no engagement, nobody adopted)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if key == "roi":
        return f"{v:+.2f}"
    if key == "cpe":  # engagements cost cents
        return f"{v:,.3f}"
    if key in ("cpa", "attributed_cpa", "cpm"):
        return f"{v:,.2f}"
    if key == "nps":
        return f"{v:+.1f}"
    return f"{v:,.0f}"


def kpi_table(summary: dict) -> str:
    rows = ["| KPI | unit | mean | 95% CI of mean | 95% range of outcomes |", "|---|---|---:|---:|---:|"]
    for k in REPORT_KPIS:
        s = summary[k]
        ci = f"{format_kpi(s['ci95_low'], k)} to {format_kpi(s['ci95_high'], k)}" if s["n"] > 1 else "n/a"
        rows.append(
            f"| {k} | {KPI_UNITS[k]} | {format_kpi(s['mean'], k)} | {ci} | {format_kpi(s['p2_5'], k)} to {format_kpi(s['p97_5'], k)} |"
        )
    return "\n".join(rows)


def tier_table(frame) -> str:
    cols = [
        "tier",
        "allocated",
        "influencers",
        "posts",
        "spend",
        "impressions",
        "engagements",
        "cpe",
        "converted",
        "attributed_sales",
        "incremental_adopters",
        "roi",
    ]
    rows = ["| " + " | ".join(cols) + " |", "|---" + "|---:" * (len(cols) - 1) + "|"]
    for _, r in frame.iterrows():
        cells = [str(r["tier"])]
        for c in cols[1:]:
            cells.append(format_kpi(float(r[c]), c))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _ci(s: dict, key: str) -> str:
    """ " (95% CI a to b)" for a KPI summary, or nothing when there is no interval."""
    if s["n"] < 2 or math.isnan(s["ci95_low"]):
        return ""
    return f" (95% CI {format_kpi(s['ci95_low'], key)} to {format_kpi(s['ci95_high'], key)})"


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
    lines += [
        f"- The campaign adds **{format_kpi(inc['mean'], 'incremental_adopters')}** adopters over the no-campaign market"
        f"{_ci(inc, 'incremental_adopters')} for **{format_kpi(spend['mean'], 'spend')} USD** of spend.",
    ]
    if spend["mean"] > 0:
        lines += [
            f"- ROI on incremental profit: **{format_kpi(s['roi']['mean'], 'roi')}**{_ci(s['roi'], 'roi')}; a negative ROI "
            "means the margin on extra sales does not repay the spend.",
            f"- Promo-code (last-touch) attribution credits **{format_kpi(s['attributed_sales']['mean'], 'attributed_sales')}"
            f"** sales, against {format_kpi(inc['mean'], 'incremental_adopters')} truly incremental: attributed sales "
            "include buyers who would have bought anyway and miss sales passed on by word of mouth.",
        ]
    tiers = results.tier_summary()
    for _, t in tiers[tiers["allocated"] > 0].iterrows():
        if t["spend"] < 0.5 * t["allocated"]:
            lines.append(
                f"- **{t['tier']}**: only {t['spend']:,.0f} of {t['allocated']:,.0f} USD could be spent: "
                "few candidates' contracts fit that money (see `influencers.csv`, `contracts`)."
            )
    spent = tiers[(tiers["spend"] > 0) & tiers["roi"].notna()]
    if len(spent) > 1:
        best = spent.loc[spent["roi"].idxmax()]
        line = f"- Best tier by ROI: **{best['tier']}** ({format_kpi(best['roi'], 'roi')})"
        engaged = spent[spent["cpe"].notna()]
        if len(engaged):
            cheapest = engaged.loc[engaged["cpe"].idxmin()]
            line += f"; lowest cost per engagement: **{cheapest['tier']}** ({format_kpi(cheapest['cpe'], 'cpe')} USD)"
        lines.append(line + ".")
    return lines


def write_report(results, path: Path, figures: dict[str, Path]) -> Path:
    sc = results.scenario
    m = sc.market
    parts = [
        f"# wom report: {sc.name}",
        "",
        sc.description or "",
        "",
        f"Scenario hash `{sc.content_hash()}`, seed {sc.seed}, {sc.replications} replications, wom {__version__}. "
        f"Market of {m.population:,} people simulated by {results.world.n:,} consumers "
        f"(1 consumer = {results.world.scale:,.1f} people) over {m.days} days; price {m.price:,.2f} USD, "
        f"unit margin {m.unit_margin:,.2f} USD; network `{sc.network.kind}`; "
        f"{len(results.world.roster)} influencers hired for {results.world.roster.cost.sum():,.0f} USD "
        f"of a {sc.budget.total:,.0f} USD budget (policy `{sc.hiring.policy}`).",
        "",
        "## Findings",
        "",
        *findings(results),
        "",
        "## Key figures",
        "",
        "People are real market members (simulated consumers x scale). The 95% CI is the uncertainty of the "
        "mean over replications; the 95% range is the spread of single outcomes.",
        "",
        interval_note(sc),
        "",
        kpi_table(results.summary),
        "",
        "## Tiers (means over replications)",
        "",
        tier_table(results.tier_summary()),
        "",
        "`converted`: adopters whose adoption was caused by that tier's posts. `incremental_adopters`: the "
        "campaign's total lift, allocated to tiers in proportion to `converted`.",
        "",
        "## Figures",
        "",
    ]
    captions = {
        "adoption": "Adoption with and without the campaign",
        "sources": "Adopters by source",
        "tiers": "Spend, incremental adopters and ROI by tier",
        "network": "The network at the end",
    }
    for name, fig in figures.items():
        parts += [f"### {captions[name]}", "", f"![{captions[name]}](figures/{fig.name})", ""]
    parts += [
        "## Method",
        "",
        "Each replication simulates the market twice on the same random streams (common random numbers): with "
        "the campaign and without it. Incremental adopters are the difference. Model and defaults: "
        "`docs/model.md`; every value used is in `scenario.resolved.toml`.",
        "",
        "Files: `summary.json` (KPIs), `replications.csv` (KPIs per replication), `daily.csv` (per replication, "
        "world and day), `tiers.csv`, `influencers.csv` (the hired roster and what each did).",
        "",
    ]
    path.write_text("\n".join(parts))
    return path
