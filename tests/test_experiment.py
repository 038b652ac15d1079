"""Experiments: paired comparisons, designs, Sobol wiring, streaming, resume, backends, bad input."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import __version__
from sim.cli import app
from sim.core.errors import InputError
from sim.core.world import World
from sim.experiments import designs as ds
from sim.experiments import plan as plans
from sim.experiments.compare import compare
from sim.experiments.spec import Experiment, experiment_from_dict
from sim.experiments.store import read_runs
from sim.experiments.sweep import design_points, sweep

BIN = Path(sys.executable).parent


def tiny(**extra) -> dict:
    """300 consumers, 20 days: a run takes a few hundredths of a second."""
    data = {
        "name": "tiny",
        "seed": 11,
        "replications": 2,
        "market": {"population": 30_000, "consumers": 300, "days": 20},
        "network": {"kind": "powerlaw_cluster", "mean_degree": 6},
        "consumers": {"baseline_p": 3.0},  # a visible no-campaign baseline within 20 days
        "budget": {"total": 20_000, "split": {"micro": 0.5, "macro": 0.5}},
        "influence": {"conversion": 0.05},
    }
    data.update(extra)
    return data


def split_variants(**experiment) -> Experiment:
    variants = {"micro": {"budget": {"split": {"micro": 1.0}}}, "macro": {"budget": {"split": {"macro": 1.0}}}}
    return experiment_from_dict(tiny(variants=variants, experiment=experiment), "tiny.toml")


def toml_text(data: dict, prefix: str = "") -> str:
    """Just enough TOML for the test files (scalars, lists, nested tables)."""
    import json

    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    lines = [f"[{prefix}]"] if prefix and scalars else []
    lines += [f'"{k}" = {json.dumps(v)}' for k, v in scalars.items()]
    for k, v in tables.items():
        lines.append(toml_text(v, f'{prefix}."{k}"' if prefix else f'"{k}"'))
    return "\n".join(lines) + "\n"


# --- compare ----------------------------------------------------------------------------------


def test_compare_pairs_seeds(tmp_path):
    c = compare(split_variants(reference="macro"), replications=4, workers=1, out=tmp_path / "c", progress=False)
    runs = c.runs
    assert c.variants == ["micro", "macro"] and c.reference == "macro"
    for _, g in runs.groupby("variant"):
        assert sorted(g["replication"]) == [0, 1, 2, 3]
        assert set(g["seed"]) == {11}
    # Common random numbers: replication r of both variants has the same no-campaign world, draw for draw.
    wide = runs.pivot(index="replication", columns="variant", values="baseline_adopters")
    assert (wide["micro"] == wide["macro"]).all() and wide["micro"].sum() > 0
    curves = c.curves.pivot_table(index=["replication", "day"], columns="variant", values="baseline_adopters")
    assert len(curves) == 4 * 20 and (curves["micro"] == curves["macro"]).all()
    # ... so the variants differ in their campaigns, and the paired difference is the mean of the differences.
    inc = runs.pivot(index="replication", columns="variant", values="incremental_adopters")
    assert not (inc["micro"] == inc["macro"]).all()
    row = c.differences.set_index("metric").loc["incremental_adopters"]
    assert row["difference"] == pytest.approx((inc["micro"] - inc["macro"]).mean())
    assert {c.best["best"], c.best["runner_up"]} == {"micro", "macro"}
    assert {"run_id", "seed", "scenario_hash", "version", "budget.split.micro"} <= set(runs.columns)
    for figure in ("metrics_by_variant", "differences", "adoption_curves"):
        assert (tmp_path / "c" / "figures" / f"{figure}.png").stat().st_size > 10_000


def test_compare_interval_shrinks_with_replications():
    exp = split_variants()
    few = compare(exp, replications=4, workers=1, progress=False)
    many = compare(exp, replications=64, workers=1, progress=False)  # 16 or 32 left it to chance

    def width(c, metric="incremental_adopters"):
        row = c.differences.set_index("metric").loc[metric]
        return row["ci95_high"] - row["ci95_low"]

    assert width(many) < width(few)
    # Replications 0..3 are the same runs whether R is 4 or 64 (only run ids differ).
    cols = [c for c in few.runs.columns if c not in ("run_id", "point")]
    first = many.runs[many.runs["replication"] < 4].sort_values(["point", "replication"])
    pd.testing.assert_frame_equal(few.runs[cols], first[cols].reset_index(drop=True), check_exact=True)


def test_compare_cli_split_grid(tmp_path):
    data = tiny(experiment={"split_grid": {"tiers": ["micro", "macro"], "step": 0.5}, "reference": "micro50_macro50"})
    data["budget"]["total"] = 40_000
    path = tmp_path / "grid.toml"
    path.write_text(toml_text(data))
    result = CliRunner().invoke(app, ["compare", str(path), "-r", "3", "--workers", "1", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "best by incremental profit:" in result.output
    table = pd.read_csv(tmp_path / "o" / "variants.csv")
    assert list(dict.fromkeys(table["variant"])) == [
        "micro0_macro100",
        "micro50_macro50",
        "micro100_macro0",
        "no campaign",
    ]
    runs = read_runs(tmp_path / "o")
    assert np.allclose(runs[[f"budget.split.{t}" for t in ("micro", "macro")]].sum(axis=1), 1.0)


# --- designs ----------------------------------------------------------------------------------


def test_grid_random_and_lhs_sizes():
    params = {
        "a": ds.Parameter(levels=["x", "y", "z"]),
        "b": ds.Parameter(min=1, max=3, steps=5),
        "c": ds.Parameter(min=0.1, max=10, steps=3, log=True),
    }
    g = ds.grid(params)
    assert len(g) == 3 * 5 * 3 and len(g.drop_duplicates()) == len(g)
    assert sorted(set(g["c"])) == pytest.approx([0.1, 1.0, 10.0])
    ranges = {"b": ds.Parameter(min=1, max=3), "d": ds.Parameter(min=-2, max=0)}
    lhs = ds.latin_hypercube(ranges, 20, seed=1)
    assert len(lhs) == 20
    for name, p in ranges.items():  # one point in each of the 20 strata of every parameter
        strata = np.floor((lhs[name] - p.min) / (p.max - p.min) * 20).astype(int)
        assert sorted(strata) == list(range(20))
    rnd = ds.random({**ranges, "a": params["a"]}, 50, seed=2)
    assert len(rnd) == 50 and rnd["b"].between(1, 3).all() and set(rnd["a"]) <= {"x", "y", "z"}
    splits = ds.split_grid(["nano", "micro", "macro"], 0.1)
    assert len(splits) == math.comb(12, 2)  # compositions of 10 tenths into 3 shares
    assert all(abs(sum(s.values()) - 1) < 1e-12 for s in splits)


def test_experiment_points_cross_the_split_grid():
    exp = experiment_from_dict(
        tiny(
            budget={"total": 40_000, "split": {"micro": 0.5, "macro": 0.5}},
            experiment={
                "parameters": {
                    "tiers": {"micro": {"trust": {"min": 0.2, "max": 0.8, "steps": 3}}},
                    "contracts.posts": [1, 2],
                },
                "split_grid": {"tiers": ["micro", "macro"], "step": 0.5},
            },
        ),
        "t.toml",
    )
    points = design_points(exp)
    assert len(points) == 3 * 2 * 3
    assert points["contracts.posts"].map(type).eq(int).all()
    lhs = experiment_from_dict(
        tiny(experiment={"design": "lhs", "samples": 7, "parameters": {"market.consumers": {"min": 200, "max": 400}}}),
        "t.toml",
    )
    consumers = design_points(lhs)["market.consumers"]
    assert len(consumers) == 7 and consumers.map(type).eq(int).all()  # integer keys are rounded


def test_sobol_wiring_on_ishigami():
    """The sampler and analyser, as the sweep wires them, recover the Ishigami function's indices."""
    a, b = 7.0, 0.1
    params = {f"x{i}": ds.Parameter(min=-math.pi, max=math.pi) for i in (1, 2, 3)}
    points = ds.sobol(params, 2048, seed=5)
    assert len(points) == 2048 * (3 + 2)
    x1, x2, x3 = (points[c].to_numpy() for c in params)
    y = np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)
    idx = ds.sobol_indices(params, y, seed=5).set_index("parameter")
    v = a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5
    v1, v2, vt3 = 0.5 * (1 + b * math.pi**4 / 5) ** 2, a**2 / 8, 8 * b**2 * math.pi**8 / 225
    exact = {"x1": (v1 / v, (v1 + vt3) / v), "x2": (v2 / v, v2 / v), "x3": (0.0, vt3 / v)}
    for name, (s1, st) in exact.items():
        # conf is a 95% half-width (1.96 standard errors); allow 3 standard errors plus a small floor
        assert abs(idx.loc[name, "S1"] - s1) < 1.5 * idx.loc[name, "S1_conf"] + 0.01, name
        assert abs(idx.loc[name, "ST"] - st) < 1.5 * idx.loc[name, "ST_conf"] + 0.01, name


# --- sweeps: streaming, caching, backends, resume ---------------------------------------------


def trust_sweep(points: int = 4, replications: int = 2) -> Experiment:
    spec = {"parameters": {"tiers.micro.trust": {"min": 0.1, "max": 0.9, "steps": points}}}
    return experiment_from_dict(tiny(replications=replications, experiment=spec), "sweep.toml")


def test_sweep_rows_and_world_reuse(tmp_path, monkeypatch):
    builds = []
    real = World.build
    monkeypatch.setattr(World, "build", lambda sc, src="": builds.append(sc.content_hash()) or real(sc, src))
    plans._world.cache_clear()
    res = sweep(trust_sweep(points=3, replications=4), workers=1, out=tmp_path / "s", progress=False)
    assert len(res.runs) == 12 and list(res.runs["run_id"]) == list(range(12))
    assert len(builds) == 3 == len(set(builds))  # one world per configuration, not per run
    assert res.runs.groupby("point")["tiers.micro.trust"].nunique().eq(1).all()
    assert list(res.points["tiers.micro.trust"]) == pytest.approx([0.1, 0.5, 0.9])
    assert res.runs["scenario_hash"].nunique() == 3 and set(res.runs["version"]) == {__version__}
    parts = sorted((tmp_path / "s" / "runs").glob("part-*.parquet"))
    assert len(parts) == 3  # 12 runs in batches of 4, one part file each
    assert (tmp_path / "s" / "points.csv").exists() and (tmp_path / "s" / "figures" / "sweep.png").exists()


@pytest.mark.slow  # starts worker processes
def test_local_processes_match_one_worker_bit_for_bit(tmp_path):
    exp = trust_sweep(points=5, replications=2)
    one = sweep(exp, workers=1, out=tmp_path / "one", progress=False)
    two = sweep(exp, workers=2, out=tmp_path / "two", progress=False)
    pd.testing.assert_frame_equal(one.runs, two.runs, check_exact=True)


def test_out_folder_of_another_experiment_is_refused(tmp_path):
    sweep(trust_sweep(points=2, replications=2), workers=1, out=tmp_path / "o", progress=False)
    with pytest.raises(InputError, match="holds another experiment"):
        sweep(trust_sweep(points=3, replications=2), workers=1, out=tmp_path / "o", progress=False)


# --- bad input: one line, exit 2, nothing written ----------------------------------------------

BAD = {
    "unknown_key_path": (
        '[experiment.parameters]\n"tiers.micro.trus" = { min = 0.2, max = 0.9, steps = 3 }\n',
        "experiment.parameters.tiers.micro.trus = {'min': 0.2, 'max': 0.9, 'steps': 3}: no such key path in a "
        "scenario; did you mean 'tiers.micro.trust'?",
    ),
    "empty_range": (
        "[experiment.parameters]\ntiers.micro.trust = { min = 0.6, max = 0.6, steps = 3 }\n",
        "experiment.parameters.tiers.micro.trust = {'min': 0.6, 'max': 0.6, 'steps': 3}: empty range",
    ),
    "empty_levels": ('[experiment.parameters]\n"network.kind" = []\n', "empty list of levels"),
    "sobol_without_bounds": (
        '[experiment]\ndesign = "sobol"\nsamples = 8\n[experiment.parameters]\n"network.kind" = ["niches", "complete"]\n',
        "experiment.parameters.network.kind = {'levels': ['niches', 'complete']}: design 'sobol' needs bounds",
    ),
    "one_share": (
        "[experiment.parameters]\nbudget.split.micro = { min = 0.1, max = 0.9, steps = 3 }\n",
        "use [experiment.split_grid]".replace("use ", "sweep shares with "),
    ),
    "value_out_of_range": (
        "[experiment.parameters]\ntiers.micro.trust = { min = 0.5, max = 1.5, steps = 3 }\n",
        "experiment.parameters.tiers.micro.trust = 1.5: must be less than or equal to 1",
    ),
    "unknown_experiment_key": (
        '[experiment]\ndesing = "lhs"\n',
        "experiment.desing = 'lhs': unknown key; did you mean 'design'?",
    ),
    "lhs_without_samples": (
        '[experiment]\ndesign = "lhs"\n[experiment.parameters]\ntiers.micro.trust = { min = 0.1, max = 0.9 }\n',
        "experiment.samples = None: design 'lhs' needs samples",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_experiment_input_is_one_line_exit_2(tmp_path, case):
    body, expected = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n[market]\nconsumers = 300\npopulation = 30000\ndays = 5\n' + body)
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: bad.toml: "), result.stderr
    assert expected in lines[0]
    assert not (tmp_path / "o").exists()


def test_compare_bad_input(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[budget]\ntotal = 40000\nsplit = { micro = 1.0 }\n[experiment.split_grid]\ntiers = ["micro", "macr"]\nstep = 0.5\n'
    )
    result = CliRunner().invoke(app, ["compare", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: c.toml: experiment.split_grid.tiers = 'macr': not a tier; did you mean 'macro'? "
        "(allowed: nano, micro, mid, macro, mega)"
    )
    path.write_text("[budget]\ntotal = 40000\nsplit = { micro = 1.0 }\n")
    result = CliRunner().invoke(app, ["compare", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "nothing to compare" in result.stderr
    assert not (tmp_path / "o").exists()
