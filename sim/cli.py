"""The ``wom`` command line. Bad input prints one line and exits with code 2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .errors import InputError

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
    from .runner import run as run_scenario
    from .scenario import load_scenario
    from .world import World

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
    except InputError as err:
        fail(err)
    root = out or Path("results") / base.name
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
    from .outputs import resolved_toml
    from .scenario import load_scenario

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
    from .outputs import atomic_write
    from .template import template

    path = out or Path("scenarios") / f"{name}.toml"
    if path.exists() and not force:
        fail(InputError(str(path), "(file)", str(path), "already exists; use --force to overwrite"))
    atomic_write(path, lambda tmp: tmp.write_text(template(name)))
    typer.echo(f"wrote {path}")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# --- commands from other modules (one registration line each) ---


def main() -> None:
    try:
        app()
    except InputError as err:  # raised by a command that did not catch its own
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
