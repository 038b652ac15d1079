"""The ``wom`` command line. Bad input prints one line and exits with code 2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim import __version__
from sim.core.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Simulate word-of-mouth influence and split a marketing budget across influencer tiers.",
)
scenario_app = typer.Typer(no_args_is_help=True, help="Inspect and create scenario files.")
app.add_typer(scenario_app, name="scenario")

ScenarioFile = Annotated[Path, typer.Argument(help="scenario TOML file", show_default=False)]

HEADLINE = [
    ("adopters", "Adopters (campaign)", "{:,.0f}"),
    ("baseline_adopters", "Adopters (no campaign)", "{:,.0f}"),
    ("incremental_adopters", "Incremental adopters", "{:,.0f}"),
    ("incremental_revenue", "Incremental revenue, USD", "{:,.0f}"),
    ("spend", "Spend, USD", "{:,.0f}"),
    ("roi", "ROI (incremental profit / spend)", "{:+.2f}"),
    ("cpa", "CPA, USD per incremental adopter", "{:,.2f}"),
    ("cpe", "CPE, USD per engagement", "{:,.3f}"),
    ("nps", "NPS of adopters", "{:+.1f}"),
]


def fail(err: InputError) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(2)


def summary_table(summary: dict) -> str:
    """The terminal's short KPI table: mean and 95% confidence interval of the mean."""
    lines = [f"{'KPI':34} {'mean':>14}   95% CI"]
    for key, label, fmt in HEADLINE:
        s = summary.get(key)
        if s is None or s["n"] == 0:
            continue
        ci = "" if s["n"] < 2 else f"[{fmt.format(s['ci95_low'])}, {fmt.format(s['ci95_high'])}]"
        lines.append(f"{label:34} {fmt.format(s['mean']):>14}   {ci}")
    return "\n".join(lines)


@app.command()
def run(
    file: ScenarioFile,
    replications: Annotated[int | None, typer.Option("--replications", "-r", min=1, help="override")] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, help="override the scenario seed")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder [results/<scenario>]")] = None,
    engine: Annotated[str, typer.Option(help="vector (fast) or agents (Mesa agents)")] = "vector",
) -> None:
    """Run a scenario: campaign vs no-campaign replications, tables, figures and a report."""
    from sim.core.files import check_output
    from sim.core.scenario import load_scenario
    from sim.core.world import World
    from sim.reporting.runner import run as run_scenario

    try:
        if engine not in ("vector", "agents"):
            raise InputError("--engine", "engine", engine, "must be 'vector' or 'agents'")
        base = load_scenario(file)
        updates = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
        base = base.model_copy(update=updates)
        plans = []  # (folder, scenario, world): the scenario itself, or each of its variants
        for name in list(base.variants) or [None]:
            scenario = base.variant(name, str(file)).model_copy(update=updates) if name else base
            plans.append((name, scenario, World.build(scenario, str(file))))
        root = out or Path("results") / base.name
        for name, _, _ in plans:
            check_output(root / name if name else root, kind="run")
    except InputError as err:
        fail(err)
    for name, scenario, world in plans:
        results = run_scenario(scenario, engine=engine, progress=True, world=world)
        target = results.write(root / name if name else root)
        typer.echo(
            f"\n{scenario.name}: {scenario.replications} replications, seed {scenario.seed}, "
            f"hash {scenario.content_hash()}"
        )
        typer.echo(summary_table(results.summary))
        typer.echo(f"wrote {target}/ (report.md, summary.json, daily.csv, tiers.csv, influencers.csv, figures/)")
    if len(plans) > 1:
        typer.echo("\nEach variant ran on its own; `wom compare` adds paired differences between them.")


@scenario_app.command("show")
def scenario_show(file: ScenarioFile) -> None:
    """Print the fully resolved scenario: every default made visible."""
    from sim.core.scenario import load_scenario
    from sim.reporting.outputs import resolved_toml

    try:
        typer.echo(resolved_toml(load_scenario(file)), nl=False)
    except InputError as err:
        fail(err)


@scenario_app.command("new")
def scenario_new(
    name: Annotated[str, typer.Argument(help="scenario name; writes scenarios/NAME.toml")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="file to write")] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a commented template with every key and its default."""
    from sim.core.files import atomic_write
    from sim.core.template import template

    path = out or Path("scenarios") / f"{name}.toml"
    if path.exists() and not force:
        fail(InputError(str(path), "(file)", str(path), "already exists; use --force to overwrite"))
    atomic_write(path, lambda tmp: tmp.write_text(template(name)))
    typer.echo(f"wrote {path}")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# --- commands whose work lives in other modules (thin wrappers) ---

Workers = Annotated[int | None, typer.Option("--workers", "-w", min=1, help="local processes [all cores]")]
Scheduler = Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler, tcp://HOST:PORT")]
OutDir = Annotated[Path | None, typer.Option("--out", "-o", help="output folder; re-run to resume")]


def stopped(stop: KeyboardInterrupt) -> None:
    """Ctrl-C during an experiment: say what was kept and how to resume; exit 130 like a shell."""
    typer.echo(str(stop) or "interrupted", err=True)
    raise typer.Exit(130)


@app.command()
def compare(
    file: ScenarioFile,
    replications: Annotated[int | None, typer.Option("--replications", "-r", min=2, help="seeds per variant")] = None,
    reference: Annotated[str | None, typer.Option("--reference", help="variant to compare against")] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    out: OutDir = None,
) -> None:
    """Compare variants (or a split grid) on the same seeds: table, paired differences, best."""
    import time

    from sim.experiments.compare import compare as compare_variants
    from sim.experiments.compare import comparison_text
    from sim.experiments.spec import load_experiment

    started = time.perf_counter()
    try:
        exp = load_experiment(file)
        target = out or Path("results") / f"{exp.scenario.name}-compare"
        c = compare_variants(
            exp, replications=replications, reference=reference, workers=workers, scheduler=scheduler, out=target
        )
    except InputError as err:
        fail(err)
    except KeyboardInterrupt as stop:
        stopped(stop)
    typer.echo(
        f"\n{exp.scenario.name}: {len(c.runs)} runs ({c.computed_runs} computed, {c.resumed_runs} found done) "
        f"in {time.perf_counter() - started:.1f} s, scenario hash {exp.scenario.content_hash()}\n"
    )
    typer.echo(comparison_text(c))
    typer.echo(f"\nwrote {target}/ (comparison.md, variants.csv, differences.csv, runs/, curves/, figures/)")


@app.command()
def sweep(file: ScenarioFile, workers: Workers = None, scheduler: Scheduler = None, out: OutDir = None) -> None:
    """Sweep parameters by dotted key (grid, random, lhs, sobol); streamed and resumable."""
    import time

    from sim.experiments.spec import load_experiment
    from sim.experiments.sweep import sweep as run_sweep
    from sim.experiments.sweep import sweep_text

    started = time.perf_counter()
    try:
        exp = load_experiment(file)
        target = out or Path("results") / f"{exp.scenario.name}-sweep"
        result = run_sweep(exp, workers=workers, scheduler=scheduler, out=target)
    except InputError as err:
        fail(err)
    except KeyboardInterrupt as stop:
        stopped(stop)
    typer.echo(
        f"\n{exp.scenario.name}: {result.design} design, {len(result.points)} points x {exp.scenario.replications} "
        f"replications = {len(result.runs)} runs (seed {exp.scenario.seed}); {result.computed_runs} computed, "
        f"{result.resumed_runs} found done, {time.perf_counter() - started:.1f} s"
    )
    typer.echo(sweep_text(result))
    files = ["runs/", "points.csv", *(["sobol.csv"] if result.indices is not None else []), "figures/"]
    typer.echo(f"\nwrote {target}/ ({', '.join(files)})")


@app.command("app")
def app_cmd(
    file: Annotated[Path | None, typer.Argument(help="scenario [scenarios/classroom.toml]", show_default=False)] = None,
    port: Annotated[int | None, typer.Option("--port", "-p", min=1, max=65535, help="[8765 or a free one]")] = None,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
) -> None:
    """Classroom page: watch influence spread on the network (Mesa SolaraViz, works offline)."""
    from sim.classroom.app import app_main

    try:
        raise typer.Exit(app_main(file, port, host))
    except InputError as err:
        fail(err)


@app.command("animate")
def animate_cmd(
    file: ScenarioFile,
    out: Annotated[Path, typer.Option("--out", "-o", help="GIF file to write")] = Path("spread.gif"),
    days: Annotated[int | None, typer.Option("--days", min=1, help="days to show [market.days, at most 365]")] = None,
    fps: Annotated[int, typer.Option("--fps", min=1, max=50, help="frames per second")] = 4,
) -> None:
    """GIF for slides: the network lighting up day by day, captioned with day and adopters."""
    from sim.classroom.animate import animate_main

    try:
        animate_main(file, out, days, fps)
    except InputError as err:
        fail(err)


@app.command("validate")
def validate_cmd(
    quick: Annotated[bool, typer.Option("--quick", help="the CI subset: fewer replications, a few minutes")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="report folder")] = Path("results/validation"),
    only: Annotated[str | None, typer.Option("--only", help="comma-separated check families [all]")] = None,
) -> None:
    """Check the model against known results (Bass, Independent Cascade, a bound, stylised facts)."""
    from sim.validation.checks import validate_main

    try:
        raise typer.Exit(validate_main(quick, out, only))
    except InputError as err:
        fail(err)


def main() -> None:
    try:
        app()
    except InputError as err:  # raised by a command that did not catch its own
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
