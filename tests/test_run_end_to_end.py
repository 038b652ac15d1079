"""`wom run scenarios/classroom.toml` end to end: files, columns, figures, report."""

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.core.records import INFLUENCER_COLUMNS
from sim.reporting.metrics import KPI_UNITS

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "classroom"
    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios/classroom.toml"), "-r", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_terminal_summary(output):
    _, text = output
    for label in ("Incremental adopters", "Spend, USD", "ROI", "CPA", "95% CI"):
        assert label in text


def test_summary_json_has_every_kpi_with_intervals(output):
    out, _ = output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 3 and len(summary["scenario_hash"]) == 12
    assert set(KPI_UNITS) <= set(summary["kpis"])
    inc = summary["kpis"]["incremental_adopters"]
    assert inc["ci95_low"] <= inc["mean"] <= inc["ci95_high"] and inc["n"] == 3


def test_tables_and_their_columns(output):
    out, _ = output
    daily = pd.read_csv(out / "daily.csv")
    ids = ["scenario", "scenario_hash", "seed", "replication"]
    expected = {
        *ids,
        "world",
        "day",
        "new_baseline",
        "new_word_of_mouth",
        "new_referral",
        "new_micro",
        "new_macro",
        "new_adopters",
        "cumulative_adopters",
        "aware",
        "impressions",
        "spend",
        "cumulative_spend",
    }
    assert expected <= set(daily.columns)
    assert len(daily) == 3 * 2 * 60  # replications x worlds x days
    assert set(daily["world"]) == {"campaign", "baseline"}
    camp = daily[daily.world == "campaign"]
    by_source = camp[[c for c in camp.columns if c.startswith("new_") and c != "new_adopters"]].sum(axis=1)
    assert (by_source - camp["new_adopters"]).abs().max() < 1e-6  # sources add up
    tiers = pd.read_csv(out / "tiers.csv")
    assert {*ids, "tier", "allocated", "spend", "incremental_adopters", "roi", "cpe"} <= set(tiers.columns)
    infl = pd.read_csv(out / "influencers.csv")
    assert set(INFLUENCER_COLUMNS) <= set(infl.columns) and len(infl) > 0
    assert infl.groupby("replication")["spend"].sum().max() <= 16_000  # within budget


def test_resolved_scenario_and_figures(output):
    out, _ = output
    text = (out / "scenario.resolved.toml").read_text()
    assert "scenario hash" in text and "seed 7" in text
    assert tomllib.loads(text)["market"]["consumers"] == 500
    for name in ("adoption", "sources", "tiers", "network"):
        png = out / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    report = (out / "report.md").read_text()
    assert "## Findings" in report and "figures/adoption.png" in report
    assert not list(out.parent.glob(".classroom.*"))  # no temporary folders left behind
