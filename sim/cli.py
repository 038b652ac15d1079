"""The ``wom`` command line. Bad input prints one line and exits with code 2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import typer._click as click  # typer's own copy of click: its exceptions are the ones raised

from sim import __version__
from sim.core.errors import InputError
from sim.core.options import Engine

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Simulate word-of-mouth influence and split a marketing budget across influencer tiers.",
)
scenario_app = typer.Typer(no_args_is_help=True, help="Inspect and create scenario files.")
app.add_typer(scenario_app, name="scenario")

ScenarioFile = Annotated[Path, typer.Argument(help="scenario TOML file", show_default=False)]
Workers = Annotated[int | None, typer.Option("--workers", "-w", min=1, help="local processes (default: all cores)")]
Scheduler = Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler, tcp://HOST:PORT")]
OutDir = Annotated[Path | None, typer.Option("--out", "-o", help="output folder; re-run to resume")]


def out_folder(default: str) -> object:
    """The ``--out`` option of a command whose results go to ``results/<default>`` unless given."""
    return Annotated[Path | None, typer.Option("--out", "-o", help=f"output folder (default: results/{default})")]


def replications_option(help: str, minimum: int | None = None) -> object:
    """The ``--replications``/``-r`` option (checked by the command itself where ``minimum`` is None)."""
    return Annotated[int | None, typer.Option("--replications", "-r", min=minimum, help=help)]


VerifyReplications = Annotated[
    int | None, typer.Option("--verify-replications", help="fresh seeds for the verification")
]


def fail(err: InputError) -> None:
    typer.echo("\n".join(f"error: {line}" for line in str(err).splitlines()), err=True)  # one line per problem
    raise typer.Exit(2)


@contextmanager
def handled(interrupted: str | None = None) -> Iterator[None]:
    """Bad input: one line, exit 2. Ctrl-C: say what was kept (the interrupt's message, else
    ``interrupted``) and exit 130 like a shell."""
    try:
        yield
    except InputError as err:
        fail(err)
    except KeyboardInterrupt as stop:
        typer.echo(interrupted or str(stop) or "interrupted", err=True)
        raise typer.Exit(130) from None


@app.command()
def run(
    file: ScenarioFile,
    replications: replications_option("override", 1) = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, help="override the scenario seed")] = None,
    out: out_folder("<scenario>") = None,
    engine: Annotated[Engine, typer.Option(help="vector (fast) or agents (Mesa agents)")] = "vector",
) -> None:
    """Run a scenario (or each of its variants): campaign vs no-campaign replications, tables,
    figures and a report."""
    from sim.reporting.report import terminal_summary
    from sim.reporting.runner import run_into

    def show(scenario, results) -> None:
        typer.echo(
            f"\n{scenario.name}: {scenario.replications} replications, seed {scenario.seed}, hash {scenario.content_hash()}"
        )
        typer.echo(terminal_summary(results))

    with handled():
        root, variants = run_into(file, out, replications=replications, seed=seed, engine=engine, each=show)
    typer.echo(
        f"\nwrote {root}/ (report.md, report.html, summary.json, daily.csv, tiers.csv, influencers.csv, figures/)"
    )
    if variants:
        typer.echo(f"One folder per variant ({', '.join(variants)}); `wom compare` adds paired differences.")


@scenario_app.command("show")
def scenario_show(file: ScenarioFile) -> None:
    """Print the fully resolved scenario: every default made visible."""
    from sim.core.scenario import as_scenario
    from sim.reporting.outputs import resolved_toml

    with handled():
        typer.echo(resolved_toml(as_scenario(file, check_size=False)), nl=False)


@scenario_app.command("new")
def scenario_new(
    name: Annotated[str, typer.Argument(help="scenario name; writes scenarios/NAME.toml", show_default=False)],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="file to write (default: scenarios/NAME.toml)")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a commented template with every key and its default."""
    from sim.core import files
    from sim.core.template import template

    with handled():
        files.check_name(name, "NAME", "NAME")
        path = files.check_new_file(
            out or Path("scenarios") / f"{name}.toml", key="--out" if out else None, force=force
        )
    files.atomic_write_text(path, template(name))
    typer.echo(f"wrote {path}")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# --- commands whose work lives in other modules (thin wrappers) ---


@app.command()
def compare(
    file: ScenarioFile,
    replications: replications_option("seeds per variant", 2) = None,
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
    with handled():
        exp = load_experiment(file)
        target = out or Path("results") / f"{exp.scenario.name}-compare"
        c = compare_variants(
            exp, replications=replications, reference=reference, workers=workers, scheduler=scheduler, out=target
        )
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
    with handled():
        exp = load_experiment(file)
        target = out or Path("results") / f"{exp.scenario.name}-sweep"
        result = run_sweep(exp, workers=workers, scheduler=scheduler, out=target)
    typer.echo(
        f"\n{exp.scenario.name}: {result.design} design, {len(result.points)} points x {exp.scenario.replications} "
        f"replications = {len(result.runs)} runs (seed {exp.scenario.seed}); {result.computed_runs} computed, "
        f"{result.resumed_runs} found done, {time.perf_counter() - started:.1f} s"
    )
    typer.echo(sweep_text(result))
    files = ["runs/", "points.csv", *(["sobol.csv"] if result.indices is not None else []), "figures/"]
    typer.echo(f"\nwrote {target}/ ({', '.join(files)})")


@app.command("calibrate")
def calibrate_cmd(
    file: ScenarioFile,
    data: Annotated[Path | None, typer.Option("--data", "-d", help="past campaign, one row per creator (CSV)")] = None,
    sales: Annotated[Path | None, typer.Option("--sales", help="daily total sales over its window (CSV)")] = None,
    particles: Annotated[int | None, typer.Option("--particles", min=20, help="ABC population size")] = None,
    generations: Annotated[int | None, typer.Option("--generations", min=1, help="populations, at most")] = None,
    workers: Workers = None,
    out: out_folder("<scenario>-calibrate") = None,
) -> None:
    """Fit the scenario's uncertain parameters to a past campaign (ABC-SMC): a calibrated scenario
    whose runs draw each replication's parameters from the posterior, and a report."""
    import time

    from sim.core.scenario import as_scenario
    from sim.experiments.backends import default_workers
    from sim.inference.calibrate import calibrate

    started = time.perf_counter()
    with handled("\ninterrupted: nothing was written (the results are moved in only when all are done)"):
        out = out or Path("results") / f"{as_scenario(file).name}-calibrate"
        cal = calibrate(
            file,
            data,
            sales=sales,
            particles=particles,
            generations=generations,
            workers=workers or default_workers(),
            out=out,
            verbose=True,
        )
    summary = cal.summary()
    typer.echo(
        f"\n{cal.scenario.name}: {cal.fit.simulations:,} simulations, {len(cal.fit.populations)} populations, "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    typer.echo(f"{'parameter':26} {'median':>10}   90% interval          pinned down")
    for r in summary.itertuples():
        interval = f"[{r.posterior_p5:.3g}, {r.posterior_p95:.3g}]"
        typer.echo(f"{r.parameter:26} {r.posterior_median:>10.3g}   {interval:21} {'yes' if r.pinned else 'no'}")
    typer.echo(
        f"\nwrote {cal.out}/ ({cal.scenario.name}.calibrated.toml, posterior.parquet, report.md, report.html, figures/)"
    )
    typer.echo(f"next: wom run {cal.out}/{cal.scenario.name}.calibrated.toml")


def show_answer(r, files: str) -> None:
    """What a plan or a hiring run took, its answer in one sentence, and where its files are."""
    typer.echo(f"\n{r.work}\n\n{r.sentence}\n\nwrote {r.out}/ ({files})")


@app.command("plan")
def plan_cmd(
    file: ScenarioFile,
    replications: replications_option("search seeds per split [plan.replications]") = None,
    verify_replications: VerifyReplications = None,
    evaluations: Annotated[int | None, typer.Option("--evaluations", help="candidate splits simulated")] = None,
    workers: Workers = None,
    out: out_folder("<scenario>-plan") = None,
) -> None:
    """Plan the budget: response curves, the best split under the plan table's constraints, how much to
    spend, and the gain over the current split verified on fresh seeds."""
    from sim.planning.plan import plan_from_file

    with handled("interrupted: nothing was written"):
        r = plan_from_file(file, replications, verify_replications, evaluations, workers, out)
    show_answer(r, "plan.html, allocation.csv, response_curves.csv, options.csv, search.csv, figures/")


@app.command("hire")
def hire_cmd(
    file: ScenarioFile,
    shortlist: Annotated[
        Path | None,
        typer.Option("--shortlist", help="creators CSV (default: the hire table's shortlist, or the marketplace)"),
    ] = None,
    replications: replications_option("search seeds per roster [plan.replications]") = None,
    verify_replications: VerifyReplications = None,
    workers: Workers = None,
    out: out_folder("<scenario>-hire") = None,
) -> None:
    """Choose which creators to hire under the budget and the plan table's tier bounds (cost-effective
    lazy greedy), and compare the roster with the tier policy and a random roster on fresh seeds."""
    from sim.planning.hire import hire_from_file

    with handled("interrupted: nothing was written"):
        r = hire_from_file(file, shortlist, replications, verify_replications, workers, out)
    show_answer(r, "hire.html, roster.csv, comparison.csv, frontier.csv, figures/")


@app.command("app")
def app_cmd(
    file: Annotated[
        Path | None, typer.Argument(help="scenario (default: scenarios/classroom.toml)", show_default=False)
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", "-p", min=1, max=65535, help="port (default: 8765, or a free one)")
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="IP address to listen on; anything but 127.0.0.1 opens the page to others")
    ] = "127.0.0.1",
) -> None:
    """Classroom page: watch influence spread on the network, one town or two side by side (works offline)."""
    from sim.classroom.model import OTHER_RUNS
    from sim.classroom.server import serve
    from sim.classroom.settings import DEFAULT_SCENARIO
    from sim.core.scenario import as_scenario

    with handled():
        path = file or DEFAULT_SCENARIO
        as_scenario(path, replications=OTHER_RUNS)  # bad input: one line, before any server starts
        raise typer.Exit(serve(path, host, port))


@app.command("animate")
def animate_cmd(
    file: ScenarioFile,
    out: Annotated[Path, typer.Option("--out", "-o", help="GIF or MP4 (needs ffmpeg) to write")] = Path("spread.gif"),
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="days to show (default: market.days, at most 365)")
    ] = None,
    fps: Annotated[int, typer.Option("--fps", min=1, max=50, help="frames per second")] = 4,
    force: Annotated[bool, typer.Option(help="replace a file wom animate did not write")] = False,
) -> None:
    """Animation for slides: the network lighting up beside the adoption chart, with the no-campaign line."""
    from sim.classroom.animate import animate

    with handled():
        frames = animate(file, out, days, fps, force)
    typer.echo(f"wrote {out} ({frames} frames, day 0 to {frames - 1}, {fps} per second)")


@app.command("validate")
def validate_cmd(
    quick: Annotated[bool, typer.Option("--quick", help="the CI subset: fewer replications, a few minutes")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="report folder")] = Path("results/validation"),
    only: Annotated[str | None, typer.Option("--only", help="comma-separated check families (default: all)")] = None,
) -> None:
    """Check the model against known results (Bass, Independent Cascade, a bound, stylised facts)."""
    from sim.validation.run import families, run_validation

    with handled():
        checks, report = run_validation(families(only), quick, out, progress=typer.echo)
    for c in checks:
        typer.echo(
            f"{'PASS' if c.passed else 'FAIL'}  {c.name:34} measured {c.measured:<11.4g} tolerance {c.tolerance:.4g}"
        )
    failed = sum(not c.passed for c in checks)
    typer.echo(f"\n{len(checks) - failed} of {len(checks)} checks passed; wrote {report}")
    raise typer.Exit(1 if failed else 0)


def main(argv: list[str] | None = None) -> None:
    """The ``wom`` entry point: every usage error or bad input is one line and exit code 2."""
    try:
        code = app(args=argv, prog_name="wom", standalone_mode=False)
    except InputError as err:  # raised by a command that did not catch its own
        typer.echo(f"error: {err}", err=True)
        code = 2
    except click.exceptions.NoArgsIsHelpError:  # help was printed
        code = 2
    except click.exceptions.UsageError as err:  # bad option value, unknown option or command
        command = err.ctx.command_path if err.ctx else "wom"
        message = err.format_message().replace("Input should be", "must be").replace("Value error, ", "")
        message = " ".join(message.split())
        typer.echo(f"error: {message} (see '{command} --help')", err=True)
        code = 2
    except typer.Abort:  # end of input at a prompt
        typer.echo("error: aborted", err=True)
        code = 1
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
