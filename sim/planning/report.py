"""The plan's files: tables (CSV), figures and ``plan.html``, one self-contained page.

The page embeds its images (base64 PNG) and styles (``sim.reporting.html``), makes no request
anywhere, and prints on one or two A4 pages. Every interval on it is a 95% interval of a mean
over replications; it covers simulation noise only, or parameter uncertainty too when the
scenario draws each replication's parameters (``sim.inference.draws.interval_note`` says which);
the sensitivity section shows how assumptions move the answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from sim import __version__
from sim.core import tomlio
from sim.core.files import replace_outputs
from sim.inference.draws import interval_note
from sim.planning import figures as fg
from sim.reporting.html import escape, image, page, table
from sim.reporting.outputs import resolved_toml

# Names sim.planning.hire_report (branch "hire") imports from here; new code imports sim.reporting.html.
__all__ = ["recommendation_sentence", "render_html", "write_files", "write_plan"]

UNITS = {
    "incremental_profit": "USD incremental profit",
    "incremental_adopters": "incremental adopters",
    "reach": "people reached",
}


def usd(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:,.0f} USD"


def num(v: float, signed: bool = False) -> str:
    if not math.isfinite(v):
        return "n/a"
    return f"{v:+,.0f}" if signed else f"{v:,.0f}"


def ratio(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:+.2f}"


def interval(low: float, high: float, fmt=num) -> str:
    return "n/a" if not (math.isfinite(low) and math.isfinite(high)) else f"[{fmt(low)}, {fmt(high)}]"


def _split_words(split: dict[str, float], tiers: list[str]) -> str:
    funded = [f"{split[t]:,.0f} USD in {t}" for t in tiers if split.get(t, 0.0) > 0.5]
    empty = [t for t in tiers if split.get(t, 0.0) <= 0.5]
    words = ", ".join(funded) if funded else "nothing in any tier"
    return words + (f" (nothing in {', '.join(empty)})" if funded and empty else "")


def covers(scenario) -> str:
    """What the plan's intervals cover, in a few words (the page's last section says it in full)."""
    return "simulation noise and parameter uncertainty" if scenario.uncertain.active else "simulation noise only"


def recommendation_sentence(r) -> str:
    """The answer in one sentence (plus what is unspent and whether spending nothing is better)."""
    metric = r.gain["metric"]
    tiers = r.scenario.tiers.names
    opts = r.options.set_index("option")
    rec = opts.loc["recommended"]
    same = all(abs(r.recommended.get(t, 0) - r.current.get(t, 0)) < 0.5 for t in tiers)
    gain = (
        f"{num(r.gain['mean'], True)} {UNITS[metric]} {interval(r.gain['low'], r.gain['high'], lambda v: num(v, True))}"
    )
    if same:
        text = f"Keep the current split ({_split_words(r.current, tiers)}): no simulated alternative did better"
    else:
        total = f" of up to {usd(r.spec.total_max)}" if r.spec.total_max is not None else ""
        text = (
            f"Put {_split_words(r.recommended, tiers)}{total}: on {r.gain['replications']} fresh seeds this gives "
            f"{gain} compared with the current split (95% CI, {covers(r.scenario)})"
        )
        if r.gain["high"] < 0:
            text += (
                "; on fresh seeds it did worse than the current split: keep the current one or search with more seeds"
            )
        elif r.gain["low"] <= 0:
            text += "; on fresh seeds it cannot be told apart from the current split"
    if not same and "single" in r.gain and r.gain["over_single_low"] <= 0 <= r.gain["over_single_high"]:
        text += (
            f"; it cannot be told apart from '{r.gain['single']}' on these seeds "
            f"(difference {num(r.gain['over_single'], True)} "
            f"{interval(r.gain['over_single_low'], r.gain['over_single_high'], lambda v: num(v, True))})"
        )
    unspent = rec["unspent"]
    if unspent > 0.5:
        text += f"; {usd(unspent)} of it stays unspent ({_unspent_why(r)})"
    if metric == "incremental_profit" and rec["incremental_profit_high"] < 0:
        text += f"; it loses money (95% CI below 0), so spending nothing is better by {usd(-rec['incremental_profit'])}"
    return text + "."


def _unspent_why(r) -> str:
    """The tiers holding most of the unspent money, and why they could not spend it."""
    rows = r.allocation[r.allocation["recommended_unspent"] >= max(100.0, 0.01 * r.fees)]
    if rows.empty:
        return "small remainders: only whole contracts are bought"
    return "; ".join(f"{row.tier}: {row.unspent_reason}" for row in rows.itertuples())


def _marginal_cell(row, which: str = "marginal_roi") -> str:
    value, low, high = (getattr(row, f"{which}{end}") for end in ("", "_low", "_high"))
    if math.isfinite(value):
        return f"{ratio(value)} {interval(low, high, ratio)}"
    if row.fixed:
        return "fixed"
    if row.max <= 0:
        return "not allowed"
    return "nothing spent" if which == "last_step_roi" else "no step spends more"


def render_html(r, figs: dict[str, Path]) -> str:
    """The one-page report."""
    sc, metric = r.scenario, r.gain["metric"]
    a = r.allocation
    alloc_rows = [
        [
            row.tier,
            f"{row.current:,.0f} ({row.current_share:.0%})",
            f"{row.recommended:,.0f} ({row.recommended_share:.0%})",
            f"{row.recommended_spent:,.0f}",
            f"{row.recommended_unspent:,.0f}",
            f"{row.hired}/{row.candidates}",
            f"{row.min:,.0f}-{row.max:,.0f}" if not row.fixed else f"fixed {row.min:,.0f}",
            _marginal_cell(row, "last_step_roi"),
            _marginal_cell(row),
        ]
        for row in a.itertuples()
    ]
    o = r.options
    opt_rows = [
        [
            row["option"],
            num(row["spent"]),
            num(row["unspent"]),
            f"{num(row['incremental_adopters'])} {interval(row.get('incremental_adopters_low', math.nan), row.get('incremental_adopters_high', math.nan))}",
            f"{num(row['incremental_profit'], True)} {interval(row.get('incremental_profit_low', math.nan), row.get('incremental_profit_high', math.nan), lambda v: num(v, True))}",
            f"{num(row['difference_to_current'], True)} {interval(row['difference_low'], row['difference_high'], lambda v: num(v, True))}",
        ]
        for _, row in o.iterrows()
    ]
    sat = r.curves.drop_duplicates("tier")
    sat_rows = [
        [
            row.tier,
            usd(row.saturates_at) if math.isfinite(row.saturates_at) else "not within range",
            row.saturation_reason,
        ]
        for row in sat.itertuples()
    ]
    sens = sens_figure = ""
    if not r.sensitivity.empty:
        s = r.sensitivity[r.sensitivity["parameter"] != "(as in the scenario)"]
        ranked = s.groupby("parameter")["swing"].first().sort_values(ascending=False)
        rows = []
        for p, swing in ranked.items():
            sub = s[s["parameter"] == p].sort_values("value")
            gains = ", ".join(f"{v:g}: {num(g, True)}" for v, g in zip(sub["value"], sub["gain"], strict=True))
            rows.append([p, num(swing), gains])
        sens_figure = "<div><h2>Assumptions that drive the numbers</h2>" + image(figs.get("sensitivity"), "sensitivity")
        sens = (
            table(
                ["assumed parameter (one at a time)", "swing of the recommendation", "gain over current at low, high"],
                rows,
            )
            + f'<p class="small">One at a time, on {int(s["replications"].iloc[0])} seeds, the other parameters as in the scenario. '
            "These parameters have no published figure behind them (marked assumption in docs/model.md); calibrate "
            "them to campaign data before trusting the level of the numbers.</p>"
        )
    frontier = ""
    if r.frontier is not None:
        chosen = r.frontier[r.frontier["chosen"]].iloc[0]
        frontier = (
            "<div><h2>How much to spend</h2>"
            + image(figs.get("frontier"), "budget frontier")
            + f"<p>The best split at each total; chosen total {usd(chosen['total'])} "
            + (
                f"(marginal ROI must stay at or above {r.spec.min_roi:+.2f})"
                if r.spec.min_roi is not None
                else f"(the last extra adopter may cost at most {usd(r.spec.max_cpa)})"
                if r.spec.max_cpa is not None
                else "(the highest mean objective: where the marginal return falls to 0)"
            )
            + (
                f"; the split found there spends {usd(r.fees + r.scenario.referral.budget)}: the recommended budget"
                if r.fees + r.scenario.referral.budget < chosen["total"] - 0.5
                else ""
            )
            + ".</p></div>"
        )
    c = r.counts
    target = f" of {usd(r.spec.total_max)} at most" if r.spec.total_max is not None else ""
    body = f"""<h1>Budget plan: {escape(sc.name)}</h1>
<p class="small">{escape(sc.description)} Objective: {escape(r.spec.objective)}; money for influencer fees
{usd(r.fees)}{target}. Scenario hash {sc.content_hash()}, seed {sc.seed}, wom {__version__}.</p>
<p class="answer" id="recommendation">{escape(r.sentence)}</p>
<h2>Current and recommended split</h2>
{table(["tier", "current USD (share)", "recommended USD (share)", "spent", "unspent", "hired/ candidates", "bounds USD", "marginal ROI, last step in", "marginal ROI, next step"], alloc_rows)}
<p class="small">Marginal ROI: extra incremental profit per extra USD (0 = break-even) of the last step into the tier and
of one more step, with 95% CIs. Last step above 0 and next below: the optimum lies between (equal across tiers inside
their bounds).</p>
<h2>Options on fresh seeds</h2>
{table(["option", "spent USD", "unspent USD", "incremental adopters [95% CI]", "incremental profit USD [95% CI]", f"vs current: {metric.replace('_', ' ')} [95% CI]"], opt_rows)}
<div class="two">{image(figs.get("options"), "options")}{image(figs.get("marginal"), "marginal ROI")}</div>
<h2>Response curves</h2>
{image(figs.get("curves"), "response curves")}
{table(["tier", "saturates at", "why"], sat_rows)}
<div class="two">{frontier}{sens_figure + "</div>" if sens_figure else ""}</div>
{sens}
<h2>What the numbers cover</h2>
<p class="small" id="covers">Every interval is a Student t 95% confidence interval of a mean over simulated replications
(counts clipped at 0). {escape(interval_note(sc))} Differences are paired (the same replications for every split:
common random numbers). The search used replications 0-{r.spec.replications - 1} of seed {sc.seed}; the verification
re-ran current, recommended and best single-tier splits on {r.spec.verify_replications} fresh replications
({r.spec.verify_from}-{r.spec.verify_from + r.spec.verify_replications - 1}), because the best of many noisy
estimates is biased upward (the optimiser's curse). Unspent money: a tier spends only whole contracts, and only while
candidates remain. {c["evaluations"]} splits evaluated, {c["campaign_runs"]} campaign runs and {c["baseline_runs"]}
no-campaign runs ({c["cpu_seconds"]:.0f} CPU seconds of simulation), {c["seconds"]:.0f} s on {c["workers"]} worker(s).</p>
"""
    return page(f"wom plan: {sc.name}", body)


def write_files(r, out: Path, kind: str, tables: dict, settings: dict, figures: Callable, render: Callable) -> Path:
    """Write a planning run's files into ``out`` (replaced atomically; only wom's own files): each
    CSV of ``tables`` (name -> frame; None is left out), the resolved scenario with the run's
    ``settings`` tables, the figures ``figures(folder)`` draws, and the page ``render(r, figures)``
    as ``<kind>.html``. Used by ``wom plan`` and ``wom hire``."""
    info = {"scenario_hash": r.scenario.content_hash(), "seed": r.scenario.seed, "version": __version__}
    with replace_outputs(out, kind=kind, info=info) as tmp:
        for name, frame in tables.items():
            if frame is not None:
                frame.to_csv(tmp / name, index=False)
        (tmp / "scenario.resolved.toml").write_text(resolved_toml(r.scenario) + "\n" + tomlio.dumps(settings))
        figs = figures(tmp / "figures")
        (tmp / f"{kind}.html").write_text(render(r, figs), encoding="utf-8")
    r.figures = {k: out / "figures" / p.name for k, p in figs.items()}
    return out


def plan_figures(r, folder: Path) -> dict[str, Path]:
    """The plan's figures, drawn into ``folder``."""
    metric = r.gain["metric"]
    figs = {
        "curves": fg.curves_figure(r.curves, metric, r.current, r.recommended, folder / "response_curves.png"),
        "marginal": fg.marginal_figure(r.curves, r.allocation, folder / "marginal_roi.png"),
        "options": fg.options_figure(r.options, metric, folder / "options.png"),
    }
    if r.frontier is not None:
        figs["frontier"] = fg.frontier_figure(r.frontier, metric, folder / "frontier.png")
    if not r.sensitivity.empty:
        figs["sensitivity"] = fg.sensitivity_figure(r.sensitivity, folder / "sensitivity.png")
    return figs


def write_plan(r, out: Path) -> Path:
    """Write every file of the plan into ``out`` (``write_files``)."""
    tables = {
        "response_curves.csv": r.curves,
        "allocation.csv": r.allocation,
        "options.csv": r.options,
        "search.csv": r.search,
        "frontier.csv": r.frontier,
        "sensitivity.csv": None if r.sensitivity.empty else r.sensitivity,
    }
    settings = {"plan": r.spec.model_dump(exclude_none=True)}
    return write_files(r, out, "plan", tables, settings, lambda folder: plan_figures(r, folder), render_html)
