"""`wom run scenarios/classroom.toml` end to end: the files agree with each other, number by number."""

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.core.records import INFLUENCER_COLUMNS
from sim.reporting.intervals import METHODS
from sim.reporting.metrics import KPI_BOUNDS, KPI_UNITS, RATIOS

ROOT = Path(__file__).parents[1]
T_975_2DF = 4.302652729911275  # Student t, 97.5% quantile, 2 degrees of freedom (3 replications)


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "classroom"
    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios/classroom.toml"), "-r", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def tables(output):
    out, _ = output
    read = {name: pd.read_csv(out / f"{name}.csv") for name in ("replications", "daily", "tiers", "influencers")}
    read["summary"] = json.loads((out / "summary.json").read_text())
    read["scenario"] = tomllib.loads((out / "scenario.resolved.toml").read_text())
    return read


def test_summary_summarises_the_replications_file(tables):
    reps, summary = tables["replications"], tables["summary"]
    assert summary["replications"] == 3 and reps["replication"].tolist() == [0, 1, 2]
    assert set(KPI_UNITS) <= set(summary["kpis"]) and set(KPI_UNITS) <= set(reps.columns)
    for key in KPI_UNITS:
        values = reps[key].dropna().to_numpy()
        s = summary["kpis"][key]
        if key in RATIOS:  # a ratio of totals over every replication (none dropped): Fieller's interval
            num, den, scale, _ = RATIOS[key]
            assert s["n"] == 3 and s["mean"] == pytest.approx(scale * reps[num].sum() / reps[den].sum()), key
            assert s["interval"] == METHODS["fieller"] or s["mean"] is None, key
            continue
        assert s["n"] == values.size, key
        assert s["mean"] == pytest.approx(values.mean()), key
        if values.size == 3:
            half = T_975_2DF * values.std(ddof=1) / math.sqrt(3)
            low, high = KPI_BOUNDS.get(key, (-math.inf, math.inf))
            tol = 1e-9 * max(1.0, abs(s["mean"]))
            assert s["ci95_high"] == pytest.approx(min(s["mean"] + half, high), abs=tol), key
            assert s["ci95_low"] == pytest.approx(max(s["mean"] - half, low), abs=tol), key  # clipped at 0 for counts
    assert np.allclose(reps["incremental_adopters"], reps["adopters"] - reps["baseline_adopters"])
    assert reps["incremental_adopters"].nunique() == 3  # three different replications, not copies


def test_daily_rows_add_up_to_the_replications(tables):
    daily, reps, sc = tables["daily"], tables["replications"], tables["scenario"]
    days = sc["market"]["days"]
    assert len(daily) == 3 * 2 * days and set(daily["world"]) == {"campaign", "baseline"}
    for world, column in (("campaign", "adopters"), ("baseline", "baseline_adopters")):
        part = daily[daily["world"] == world]
        assert part.groupby("replication")["day"].apply(list).map(lambda d: d == list(range(1, days + 1))).all()
        last = part.groupby("replication")["cumulative_adopters"].last()
        assert np.allclose(last.to_numpy(), reps[column].to_numpy()), world
        sources = part[[c for c in part.columns if c.startswith("new_") and c != "new_adopters"]]
        assert np.allclose(sources.sum(axis=1), part["new_adopters"])  # sources add up, day by day
    base = daily[daily["world"] == "baseline"]
    assert (base["spend"] == 0).all() and (base[["new_micro", "new_macro", "new_referral"]] == 0).all().all()
    camp = daily[daily["world"] == "campaign"]
    assert np.allclose(camp.groupby("replication")["spend"].sum().to_numpy(), reps["spend"].to_numpy())


def test_tiers_and_influencers_add_up_within_the_budget(tables):
    reps, tiers, infl, sc = tables["replications"], tables["tiers"], tables["influencers"], tables["scenario"]
    assert set(INFLUENCER_COLUMNS) <= set(infl.columns) and len(infl) > 0
    fees = infl.groupby("replication")["spend"].sum()
    assert np.allclose(fees.to_numpy(), reps["spend"].to_numpy())  # no referral programme here
    assert (fees <= sc["budget"]["total"]).all()
    for tier, share in sc["budget"]["split"].items():
        spent = infl[infl["tier"] == tier].groupby("replication")["spend"].sum()
        assert (spent <= share * sc["budget"]["total"] + 1e-6).all(), tier
    assert np.allclose(tiers.groupby("replication")["spend"].sum().to_numpy(), fees.to_numpy())
    allocated = tiers.groupby("replication")["incremental_adopters"].sum()
    assert np.allclose(allocated.to_numpy(), reps["incremental_adopters"].to_numpy())
    assert np.allclose(
        infl.groupby("replication")["attributed_sales"].sum().to_numpy(), reps["attributed_sales"].to_numpy()
    )


def test_terminal_and_report_show_the_summary_numbers(output, tables):
    out, text = output
    inc = tables["summary"]["kpis"]["incremental_adopters"]
    line = next(row for row in text.splitlines() if row.startswith("Incremental adopters"))
    assert f"{inc['mean']:,.0f}" in line
    report = (out / "report.md").read_text()
    row = next(r for r in report.splitlines() if r.startswith("| incremental_adopters |"))
    assert f"| {inc['mean']:,.0f} |" in row
    assert "## Findings" in report and "figures/adoption.png" in report


def test_resolved_scenario_and_figures(output):
    out, _ = output
    text = (out / "scenario.resolved.toml").read_text()
    assert "scenario hash" in text and "seed 7" in text
    assert tomllib.loads(text)["market"]["consumers"] == 500
    for name in ("adoption", "sources", "tiers", "network"):
        png = out / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert not list(out.parent.glob(".classroom.*"))  # no temporary folders left behind
