"""report.html of ``wom run`` in headless Chromium: it renders offline, asks for nothing, shows the
key numbers (lift, profit, spend and unspent with why) and prints on one or two A4 pages."""

from __future__ import annotations

import pytest

from sim.core.scenario import scenario_from_dict
from sim.reporting.report import format_ci, format_kpi
from sim.reporting.runner import run

from .conftest import small
from .pages import open_page


@pytest.mark.slow
@pytest.mark.browser
def test_run_report_page_in_chromium(tmp_path):
    sc = scenario_from_dict(small(replications=3, marketplace={"candidates": {"micro": 3, "macro": 20}}))
    results = run(sc)
    out = results.write(tmp_path / "out")
    shown = open_page(out / "report.html", "report", selectors=("#answer",))
    text, answer = shown.text, shown.parts["#answer"]
    shown.assert_self_contained()
    assert len(shown.images) >= 3
    s = results.summary
    inc, profit = s["incremental_adopters"], s["incremental_profit"]
    assert format_kpi(inc["mean"], "incremental_adopters") in answer
    assert format_ci(inc, "incremental_adopters") in answer and format_ci(profit, "incremental_profit") in answer
    assert f"{s['spend']['mean']:,.0f} USD of spend" in answer and "stays unspent" in answer
    assert "all 3 candidates hired" in answer  # the unspent money's real reason, in the answer itself
    assert format_ci(s["cpa"], "cpa") in text and "simulation noise only" in text
    assert "one purchase per buyer" in text  # the model's standing simplifications
    assert shown.screenshot.stat().st_size > 10_000
