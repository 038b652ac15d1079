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


def _clean(obj):
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
    """All files of ``wom run``: tables, summary, resolved scenario, figures and report."""
    from sim.reporting.figures import make_figures
    from sim.reporting.report import write_report

    out_dir = Path(out_dir)
    sc = results.scenario
    with replace_outputs(out_dir, kind="run", info={"scenario_hash": sc.content_hash()}) as tmp:
        summary = {
            "scenario": sc.name,
            "scenario_hash": sc.content_hash(),
            "seed": sc.seed,
            "replications": sc.replications,
            "version": __version__,
            "units": {"people": "real market members (simulated consumers x scale)", "money": "USD"},
            "kpis": results.summary,
        }
        (tmp / "summary.json").write_text(json.dumps(_clean(summary), indent=2) + "\n")
        results.daily.to_csv(tmp / "daily.csv", index=False)
        results.kpis.to_csv(tmp / "replications.csv", index=False)
        results.tiers.to_csv(tmp / "tiers.csv", index=False)
        results.influencers.to_csv(tmp / "influencers.csv", index=False)
        (tmp / "scenario.resolved.toml").write_text(resolved_toml(sc))
        figures = make_figures(results, tmp / "figures")
        write_report(results, tmp / "report.md", figures)
    return out_dir
