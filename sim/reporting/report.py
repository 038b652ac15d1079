"""report.md: the run's answer in words, tables and figures."""

from __future__ import annotations

import math
from pathlib import Path

from sim import __version__
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


def _fmt(v: float, key: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if key == "roi":
        return f"{v:+.2f}"
    if key in ("cpa", "attributed_cpa", "cpe", "cpm"):
        return f"{v:,.2f}"
    if key == "nps":
        return f"{v:+.1f}"
    return f"{v:,.0f}"


def kpi_table(summary: dict) -> str:
    rows = ["| KPI | unit | mean | 95% CI of mean | 95% range of outcomes |", "|---|---|---:|---:|---:|"]
    for k in REPORT_KPIS:
        s = summary[k]
        ci = f"{_fmt(s['ci95_low'], k)} to {_fmt(s['ci95_high'], k)}" if s["n"] > 1 else "n/a"
        rows.append(
            f"| {k} | {KPI_UNITS[k]} | {_fmt(s['mean'], k)} | {ci} | {_fmt(s['p2_5'], k)} to {_fmt(s['p97_5'], k)} |"
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
            v = r[c]
            cells.append(
                "n/a" if v != v else (f"{v:+.2f}" if c == "roi" else f"{v:,.2f}" if c == "cpe" else f"{v:,.0f}")
            )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def findings(results) -> list[str]:
    s = results.summary
    inc, spend = s["incremental_adopters"], s["spend"]["mean"]
    lines = [
        f"- The campaign adds **{inc['mean']:,.0f}** adopters over the no-campaign market "
        f"(95% CI {inc['ci95_low']:,.0f} to {inc['ci95_high']:,.0f}) for **{spend:,.0f} USD** of spend.",
        f"- ROI on incremental profit: **{s['roi']['mean']:+.2f}** (95% CI {s['roi']['ci95_low']:+.2f} "
        f"to {s['roi']['ci95_high']:+.2f}); a negative ROI means the margin on extra sales does not repay the spend.",
        f"- Promo-code (last-touch) attribution credits **{s['attributed_sales']['mean']:,.0f}** sales, against "
        f"{inc['mean']:,.0f} truly incremental: attributed sales include buyers who would have bought anyway "
        "and miss sales passed on by word of mouth.",
    ]
    tiers = results.tier_summary()
    for _, t in tiers[tiers["allocated"] > 0].iterrows():
        if t["spend"] < 0.5 * t["allocated"]:
            lines.append(
                f"- **{t['tier']}**: only {t['spend']:,.0f} of {t['allocated']:,.0f} USD could be spent: "
                "few candidates' contracts fit that money (see `influencers.csv`, `contracts`)."
            )
    spent = tiers[tiers["spend"] > 0]
    if len(spent) > 1:
        best = spent.loc[spent["roi"].idxmax()]
        cheapest = spent.loc[spent["cpe"].idxmin()]
        lines.append(
            f"- Best tier by ROI: **{best['tier']}** ({best['roi']:+.2f}); lowest cost per engagement: "
            f"**{cheapest['tier']}** ({cheapest['cpe']:,.2f} USD)."
        )
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
