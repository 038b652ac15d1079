"""The files of ``wom hire``: roster, comparison and frontier tables (CSV), the efficient-frontier
figure and ``hire.html``, a self-contained page in the style of ``plan.html`` (its helpers,
styles and options figure are reused). Every interval is a 95% interval of a mean over
replications and covers simulation noise only.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim import __version__
from sim.planning import figures as fg
from sim.planning.measure import paired
from sim.planning.report import UNITS, interval, num, usd, write_files
from sim.reporting.html import CSS, image, table
from sim.reporting.intervals import mean_ci

ROSTER_ROWS = 25  # creators listed on the page (roster.csv has them all)


def _ids(sc) -> dict:
    return {"scenario": sc.name, "scenario_hash": sc.content_hash(), "seed": sc.seed}


def roster_table(sc, est, world, short, order: list[int]) -> pd.DataFrame:
    """The chosen creators in order of selection, with what each adds given those before it."""
    c = world.candidates
    exact = world.with_roster([c.handle[j] for j in order]).roster if order else None
    est.reset()
    rows = []
    for k, j in enumerate(order):
        gain, adopters, reach = est.add(j)
        cost = float(exact.cost[k])
        rows.append(
            {
                "order": k + 1,
                "handle": c.handle[j],
                "tier": c.tier_names[c.tier[j]],
                "followers": int(c.followers[j]),
                "fee_per_post": float(c.cost_per_post[j]),
                "posts": int(exact.post_days[k].size),
                "fee": cost,
                "expected_incremental_adopters": adopters,
                "unique_reach_added": reach,
                "marginal_gain": gain,
                "marginal_gain_per_usd": gain / cost if cost > 0 else math.nan,
                "cumulative_fee": 0.0,
                "engagement_rate": float(c.engagement_rate[j]),
                "reach_rate": float(c.reach_rate[j]),
                "fake_share": float(c.fake_share[j]),
                "trust": float(c.trust[j]),
                "niche": int(c.niche[j]),
                "filled_in": short.filled_text(str(c.handle[j])),
            }
        )
    est.reset()
    frame = pd.DataFrame(rows, columns=None if rows else ["order", "handle", "fee"])
    if rows:
        frame["cumulative_fee"] = frame["fee"].cumsum()
        group = short.creators.set_index("handle")["audience_group"] if "audience_group" in short.creators else None
        frame.insert(
            frame.columns.get_loc("niche") + 1,
            "audience_group",
            frame["handle"].map(group) if group is not None else None,
        )
    return frame.assign(**_ids(sc))


def _interval_cols(m, metric: str, floor: float | None = None) -> dict:
    mean, lo, hi = m.interval(metric, floor=floor)
    return {metric: mean, f"{metric}_low": lo, f"{metric}_high": hi}


def comparison_table(sc, spec, options, measured, estimates, fees) -> pd.DataFrame:
    """Chosen, tier-policy and random rosters (and spending nothing) on the fresh seeds."""
    metric = spec.metric
    chosen = measured.get("chosen roster")
    rows = []
    for label, roster in options.items():
        m = measured.get(label)
        row = {"option": label, "creators": len(roster), "budget": fees}
        if m is None:
            rows.append({**row, "spent": 0.0, "unspent": fees, "note": "no creator fits: nothing hired"})
            continue
        row.update(spent=m.spent, unspent=fees - m.spent)
        for k in ("incremental_adopters", "incremental_profit", "reach"):
            row.update(_interval_cols(m, k, floor=0.0 if k == "reach" else None))
        row["roi"] = float((m.kpis["incremental_profit"] / m.spent).mean()) if m.spent > 0 else math.nan
        row[f"estimated_{metric}"] = estimates[label]
        d = paired(chosen, m, metric) if chosen is not None else (math.nan,) * 3
        row.update(chosen_minus_this=d[0], chosen_minus_this_low=d[1], chosen_minus_this_high=d[2])
        row["replications"] = len(m.kpis)
        rows.append(row)
    nothing = {"option": "spend nothing", "creators": 0, "budget": fees, "spent": 0.0, "unspent": fees}
    nothing.update(
        {f"{k}{e}": 0.0 for k in ("incremental_adopters", "incremental_profit", "reach") for e in ("", "_low", "_high")}
    )
    if chosen is not None:
        mean, lo, hi = chosen.interval(metric)
        nothing.update(chosen_minus_this=mean, chosen_minus_this_low=lo, chosen_minus_this_high=hi)
    nothing["note"] = "no campaign: the campaign world is the no-campaign world, every increment is 0"
    rows.append(nothing)
    return pd.DataFrame(rows).assign(**_ids(sc))


def frontier_table(sc, spec, est, front, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Cumulative spend and estimated objective along the greedy order (the roster, then the best
    use of the money left); simulated on the search seeds, with 95% CIs, at the checkpoints."""
    est.reset()
    rows = []
    for k, j in enumerate(front.order):
        _, adopters, reach = est.add(j)
        before = rows[-1] if rows else {"spend": 0.0, "estimated_adopters": 0.0, "estimated_reach": 0.0}
        rows.append(
            {
                "step": k + 1,
                "in_roster": k < front.chosen,
                "spend": before["spend"] + float(est.cost[j]),
                "estimated": est.value,
                "estimated_adopters": before["estimated_adopters"] + adopters,
                "estimated_reach": before["estimated_reach"] + reach,
            }
        )
    est.reset()
    columns = ["step", "in_roster", "spend", "estimated", "estimated_adopters", "estimated_reach"]
    frame = pd.DataFrame(rows, columns=columns).assign(objective=spec.objective)
    for key in ("incremental_adopters", "incremental_profit", "reach"):
        for end in ("", "_low", "_high"):
            frame[f"simulated_{key}{end}"] = math.nan
    frame["replications"] = 0
    for mark, f in zip(front.marks, frames, strict=True):
        at = mark - 1
        for key in ("incremental_adopters", "incremental_profit", "reach"):
            values = mean_ci(f[key].to_numpy(), floor=0.0 if key == "reach" else None)
            frame.loc[at, [f"simulated_{key}{end}" for end in ("", "_low", "_high")]] = [float(v) for v in values]
        frame.loc[at, "replications"] = len(f)
    return frame.assign(**_ids(sc))


def tables(sc, spec, m, front, options, measured, estimates, frames):
    """Every table of the result, and the verified gains."""
    est = m.est
    roster = roster_table(sc, est, m.world, m.shortlist, front.order[: front.chosen])
    comparison = comparison_table(sc, spec, options, measured, estimates, m.bounds.budget)
    frontier = frontier_table(sc, spec, est, front, frames)
    passes = pd.DataFrame(
        [
            {
                "rule": s.rule,
                "creators": len(s.order),
                "cost": float(s.cost),
                f"estimated_{spec.metric}": est.evaluate(s.order),
                "kept": s is front.result.chosen,
            }
            for s in front.result.passes.values()
        ]
    ).assign(**_ids(sc))
    metric = spec.metric
    gain = {"metric": metric, "replications": spec.verify_replications}
    chosen = measured.get("chosen roster")
    for key, label in (("policy", "tier policy"), ("random", "random roster")):
        other = measured.get(label)
        if chosen is not None and other is not None:
            values = paired(chosen, other, metric)
            gain.update(dict(zip((f"over_{key}", f"over_{key}_low", f"over_{key}_high"), values, strict=True)))
    return roster, comparison, frontier, passes, gain


# --- words, figure, page --------------------------------------------------------------------------


def _signed(v: float) -> str:
    return num(v, True)


def hire_sentence(r) -> str:
    """The answer in one sentence: whom to hire, for how much, and what it is verified to add."""
    metric = r.gain["metric"]
    rows = r.comparison.set_index("option")
    if r.roster.empty:
        text = f"Hire no one: no creator adds to the {metric.replace('_', ' ')} within the budget and bounds"
        if "tier policy" in rows.index and rows.loc["tier policy", "spent"] > 0:
            p = rows.loc["tier policy"]
            text += (
                f"; the tier-policy roster would spend {usd(p['spent'])} for {_signed(p[metric])} {UNITS[metric]} "
                f"{interval(p[f'{metric}_low'], p[f'{metric}_high'], _signed)} on fresh seeds"
            )
        return text + "."
    spent = rows.loc["chosen roster", "spent"]
    text = f"Hire these {len(r.roster)} creators for {usd(spent)} of {usd(r.fees)}"
    parts = []
    for key, label in (("policy", "the tier-policy roster"), ("random", "a random roster of the same cost")):
        if f"over_{key}" in r.gain:
            g = r.gain
            parts.append(
                f"{_signed(g[f'over_{key}'])} {UNITS[metric]} {interval(g[f'over_{key}_low'], g[f'over_{key}_high'], _signed)} "
                f"over {label}"
            )
    if parts:
        text += (
            f": on {r.gain['replications']} fresh seeds, " + " and ".join(parts) + " (95% CI, simulation noise only)"
        )
    low = r.gain.get("over_policy_low", math.nan)
    if math.isfinite(low) and low <= 0 <= r.gain.get("over_policy_high", math.nan):
        text += "; it cannot be told apart from the tier-policy roster on these seeds"
    elif math.isfinite(low) and r.gain.get("over_policy_high", 0) < 0:
        text += "; it did worse than the tier-policy roster on fresh seeds: keep the policy or search with more seeds"
    if metric == "incremental_profit" and rows.loc["chosen roster"].get("incremental_profit_high", 0) < 0:
        text += "; it loses money (95% CI below 0), so spending nothing is better"
    beyond = r.frontier[~r.frontier["in_roster"] & (r.frontier["replications"] > 0)]
    if metric == "incremental_profit" and not beyond.empty:
        last = beyond.iloc[-1]
        text += (
            f"; the rest of the money would not pay: hiring on in the same way to {usd(last['spend'])} gives "
            f"{_signed(last['simulated_incremental_profit'])} USD "
            f"{interval(last['simulated_incremental_profit_low'], last['simulated_incremental_profit_high'], _signed)}"
        )
    return text + "."


def frontier_figure(r, path: Path) -> Path:
    """Cumulative objective against spend along the greedy order: the estimate (line) and the
    simulated checkpoints (95% CI); the three rosters on fresh seeds as markers."""
    plt = fg.pyplot()
    metric, f = r.gain["metric"], r.frontier
    fig, ax = plt.subplots(figsize=(6.2, 3.0))
    x = np.concatenate([[0.0], f["spend"].to_numpy()])
    y = np.concatenate([[0.0], f["estimated"].to_numpy()])
    n = int(f["in_roster"].sum())
    ax.plot(x[: n + 1], y[: n + 1], "-", color="#1f77b4", lw=1.8, label="estimate: the roster, in order of selection")
    if n < len(f):
        ax.plot(x[n:], y[n:], "--", color="#1f77b4", lw=1.2, label="estimate: hiring on with the money left")
        ax.axvline(x[n], color=fg.RECOMMENDED, lw=1.0, ls=":")
    sim = f[f["replications"] > 0]
    key = {"incremental_profit": "incremental_profit", "incremental_adopters": "incremental_adopters"}.get(
        metric, "reach"
    )
    if not sim.empty:
        mean = sim[f"simulated_{key}"]
        err = [mean - sim[f"simulated_{key}_low"], sim[f"simulated_{key}_high"] - mean]
        ax.errorbar(
            sim["spend"], mean, yerr=err, fmt="o", ms=4, capsize=2, color="#1f77b4", label="simulated (search seeds)"
        )
    colours = {"chosen roster": fg.RECOMMENDED, "tier policy": fg.CURRENT, "random roster": "#ff7f0e"}
    for row in r.comparison.itertuples():
        if row.option in colours and row.spent > 0:
            m, lo, hi = getattr(row, metric), getattr(row, f"{metric}_low"), getattr(row, f"{metric}_high")
            ax.errorbar(
                [row.spent],
                [m],
                yerr=[[m - lo], [hi - m]],
                fmt="D",
                ms=6,
                capsize=3,
                color=colours[row.option],
                mec="black",
                label=f"{row.option} (fresh seeds)",
            )
    if metric == "incremental_profit":
        ax.axhline(0, color="black", lw=0.7)
    ax.set_xlabel("cumulative fees (USD)", fontsize=8)
    ax.set_ylabel(fg.LABELS.get(metric, metric), fontsize=8)
    ax.tick_params(labelsize=7)
    fg.thousands(ax, "x")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    ax.set_title("Efficient frontier: the objective as creators are added in greedy order", fontsize=9)
    return fg.save(fig, path)


def _check(c: dict) -> str:
    value = c.get("frontier_check", math.nan)
    if not math.isfinite(value):
        return ""
    return f"; on the simulated frontier the simulation gave {value:.2f} times the calibrated estimate"


def render_html(r, figs: dict[str, Path]) -> str:
    """The one-page hiring report."""
    sc, metric, c = r.scenario, r.gain["metric"], r.counts
    roster_rows = [
        [
            str(row.order),
            str(row.handle),
            row.tier,
            f"{row.followers:,}",
            f"{row.fee:,.0f}",
            num(row.expected_incremental_adopters),
            num(row.unique_reach_added),
            f"{row.marginal_gain_per_usd:.3g}",
            row.filled_in or "-",
        ]
        for row in r.roster.head(ROSTER_ROWS).itertuples()
    ]
    more = (
        f"<p class='small'>and {len(r.roster) - ROSTER_ROWS} more in roster.csv.</p>"
        if len(r.roster) > ROSTER_ROWS
        else ""
    )
    comp_rows = []
    for row in r.comparison.to_dict("records"):
        cells = [row["option"], str(row["creators"]), num(row["spent"]), num(row["unspent"])]
        for k, f in (("incremental_adopters", num), ("incremental_profit", _signed), ("reach", num)):
            cells.append(
                f"{f(row.get(k, math.nan))} {interval(row.get(f'{k}_low', math.nan), row.get(f'{k}_high', math.nan), f)}"
            )
        d = row.get("chosen_minus_this", math.nan)
        cells.append(
            "-"
            if row["option"] == "chosen roster"
            else f"{_signed(d)} {interval(row.get('chosen_minus_this_low', math.nan), row.get('chosen_minus_this_high', math.nan), _signed)}"
        )
        comp_rows.append(cells)
    pass_rows = [
        [p["rule"], str(p["creators"]), usd(p["cost"]), num(p[f"estimated_{metric}"]), "kept" if p["kept"] else ""]
        for p in r.passes.to_dict("records")
    ]
    filled = sum(bool(v) for v in r.shortlist.filled.values())
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in r.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>wom hire: {html.escape(sc.name)}</title>
<style>{CSS}</style></head><body>
<h1>Who to hire: {html.escape(sc.name)}</h1>
<p class="small">{html.escape(sc.description)} Candidates: {html.escape(r.shortlist.source)} ({c["candidates"]} creators,
{filled} with blank cells filled in from tier defaults). Objective: {html.escape(r.spec.objective)}; money for fees {usd(r.fees)}.
Scenario hash {sc.content_hash()}, seed {sc.seed}, wom {__version__}.</p>
<p class="answer" id="recommendation">{html.escape(r.sentence)}</p>
<h2>Chosen, tier-policy and random rosters on fresh seeds</h2>
{table(["option", "creators", "spent USD", "unspent USD", "incremental adopters [95% CI]", "incremental profit USD [95% CI]", "unique reach [95% CI]", f"chosen minus this: {metric.replace('_', ' ')} [95% CI]"], comp_rows)}
<p class="small">Tier policy: {html.escape(r.policy_label)}. Random roster: creators in random order, each hired while
the money of the chosen roster and the tier bounds allow.</p>
{image(figs.get("frontier"), "efficient frontier")}
<h2>The roster, in order of selection</h2>
{table(["#", "handle", "tier", "followers", "fee USD", "expected incremental adopters", "unique reach added", f"marginal gain per USD ({html.escape(r.spec.objective)})", "filled in from tier defaults"], roster_rows)}
{more}
<p class="small">Expected adopters and reach added are the estimate's, given the creators above (calibrated on the
simulation: factor {c["kappa"]:.2f}, fitted on {html.escape(c["calibrated_on"])}{_check(c)}).</p>
<h2>How the roster was chosen</h2>
<div class="two"><div>{table(["rule", "creators", "fees", f"estimated {metric.replace('_', ' ')}", ""], pass_rows)}</div>
{image(figs.get("options"), "options")}</div>
<p class="small">Cost-effective lazy greedy (Leskovec et al. 2007, CELF): a pass by marginal gain and a pass by marginal
gain per USD, each adding the best creator that fits the budget and the tier bounds, and the best single affordable
creator; the best of these is kept. For a monotone submodular objective (unique reach) it reaches at least
(1 - 1/e)/2 of the best affordable roster; profit with costs is not monotone, so there it is a heuristic checked by
simulation. {c["evaluations"]:,} marginal gains were estimated ({1000 * c["select_seconds"] / max(1, c["evaluations"]):.2f}
ms each) on {r.settings.draws} common random draws; {c["rosters_simulated"]} rosters were simulated in full
({c["campaign_runs"]} campaign runs sharing the no-campaign runs, {c["cpu_seconds"]:.0f} CPU seconds), {c["seconds"]:.0f} s on
{c["workers"]} worker(s).</p>
<ul class="small">{notes}</ul>
<h2>What the numbers cover</h2>
<p class="small">Every interval is a 95% confidence interval of a mean over simulated replications: it covers simulation
noise only, not doubt about the model's assumptions. Differences are paired (the same replications for every roster).
The search and the frontier used replications 0-{r.spec.replications - 1} of seed {sc.seed}; the comparison re-ran the
rosters on {r.spec.verify_replications} fresh replications ({r.spec.verify_from}-{r.spec.verify_from + r.spec.verify_replications - 1}),
because the best of many noisy estimates is biased upward.</p>
</body></html>
"""


def hire_figures(r, folder: Path) -> dict[str, Path]:
    """The hiring run's figures, drawn into ``folder``."""
    figs = {"frontier": frontier_figure(r, folder / "frontier.png")}
    shown = r.comparison[r.comparison["spent"] > 0]
    if not shown.empty:
        figs["options"] = fg.options_figure(shown.reset_index(drop=True), r.gain["metric"], folder / "options.png")
    return figs


def write_hire(r, out: Path) -> Path:
    """Write every file of the hiring run into ``out`` (``report.write_files``)."""
    creators = r.shortlist.creators
    tables = {
        "roster.csv": r.roster,
        "comparison.csv": r.comparison,
        "frontier.csv": r.frontier,
        "passes.csv": r.passes,
        "candidates.csv": creators.assign(filled_in=creators["handle"].map(r.shortlist.filled_text)),
    }
    settings = {"plan": r.spec.model_dump(exclude_none=True), "hire": r.settings.model_dump(exclude_none=True)}
    return write_files(r, out, "hire", tables, settings, lambda folder: hire_figures(r, folder), render_html)
