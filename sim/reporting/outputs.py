"""Writing a run's files: staged beside the target and moved in only when all are written
(``sim.core.files.replace_outputs``), so a failed run leaves no half-written results and a
user's own files are never touched."""

from __future__ import annotations

import json
import math
from pathlib import Path

from sim import __version__
from sim.core import tomlio
from sim.core.files import replace_outputs
from sim.inference.draws import interval_note
from sim.reporting.intervals import INTERVALS_NOTE

RUN_KIND = "run"  # the owner marker's kind for wom run's folders


def _clean(obj):
    """JSON has no NaN or infinity: an undefined value is null, an open interval end "inf"/"-inf"."""
    if isinstance(obj, float) and math.isinf(obj):
        return "inf" if obj > 0 else "-inf"
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def resolved_toml(scenario) -> str:
    """The scenario with every default, plus provenance (seed, version, hash) as comments."""
    head = (
        f"# resolved by wom {__version__}; scenario hash {scenario.content_hash()}; seed {scenario.seed}\n"
        f"# re-run: wom run THIS_FILE\n\n"
    )
    return head + tomlio.dumps(scenario.resolved())


def write_results(results, out_dir) -> Path:
    """All files of ``wom run`` into ``out_dir``, which must be new, empty or wom's own run folder."""
    out_dir = Path(out_dir)
    with replace_outputs(out_dir, kind=RUN_KIND, info={"scenario_hash": results.scenario.content_hash()}) as tmp:
        write_run_files(results, tmp)
    return out_dir


def write_run_files(results, folder: Path) -> Path:
    """A run's tables, summary, resolved scenario, figures and report, into ``folder`` (a staging
    folder of ``replace_outputs``: nothing here checks or replaces anything)."""
    from sim.reporting.figures import make_figures
    from sim.reporting.report import render_html, spend_warnings, write_report

    folder.mkdir(parents=True, exist_ok=True)
    sc = results.scenario
    summary = {
        "scenario": sc.name,
        "scenario_hash": sc.content_hash(),
        "seed": sc.seed,
        "replications": sc.replications,
        "version": __version__,
        "units": {"people": "real market members (simulated consumers x scale)", "money": "USD"},
        "intervals": {"cover": interval_note(sc), "method": INTERVALS_NOTE},
        "kpis": results.summary,
        "budget": {"total": sc.budget.total, "tiers": results.spend.to_dict(orient="records")},
        "warnings": spend_warnings(results),
    }
    (folder / "summary.json").write_text(json.dumps(_clean(summary), indent=2) + "\n")
    results.daily.to_csv(folder / "daily.csv", index=False)
    results.kpis.to_csv(folder / "replications.csv", index=False)
    results.tiers.to_csv(folder / "tiers.csv", index=False)
    results.influencers.to_csv(folder / "influencers.csv", index=False)
    (folder / "scenario.resolved.toml").write_text(resolved_toml(sc))
    figures = make_figures(results, folder / "figures")
    write_report(results, folder / "report.md", figures)
    (folder / "report.html").write_text(render_html(results, figures), encoding="utf-8")
    return folder
