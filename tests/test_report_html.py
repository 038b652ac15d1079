"""report.html of ``wom run`` in headless Chromium: it renders offline, asks for nothing, shows the
key numbers (lift, profit, spend and unspent with why) and prints on one or two A4 pages."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from sim.core.scenario import scenario_from_dict
from sim.reporting.report import format_ci, format_kpi
from sim.reporting.runner import run

from .conftest import small


@pytest.mark.slow
@pytest.mark.browser
def test_run_report_page_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    sc = scenario_from_dict(small(replications=3, marketplace={"candidates": {"micro": 3, "macro": 20}}))
    results = run(sc)
    out = results.write(tmp_path / "out")
    chosen = os.environ.get("WOM_TEST_ARTIFACTS")  # a folder to keep the screenshot in, else a temporary one
    shots = Path(chosen) / "report" if chosen else Path(tempfile.mkdtemp(prefix="wom-report-shot-"))
    shots.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with tempfile.TemporaryDirectory(prefix="wom-report-profile-") as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            page.on("request", lambda req: requests.append(req.url))
            page.goto((out / "report.html").as_uri())
            page.wait_for_load_state("load")
            text = page.inner_text("body")
            answer = page.inner_text("#answer")
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
            page.screenshot(path=str(shots / "report.png"), full_page=True)
            pdf = page.pdf(format="A4")
        finally:
            browser.close()
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert len(images) >= 3 and all(done and width > 0 for done, width in images)
    s = results.summary
    inc, profit = s["incremental_adopters"], s["incremental_profit"]
    assert format_kpi(inc["mean"], "incremental_adopters") in answer
    assert format_ci(inc, "incremental_adopters") in answer and format_ci(profit, "incremental_profit") in answer
    assert f"{s['spend']['mean']:,.0f} USD of spend" in answer and "stays unspent" in answer
    assert "all 3 candidates hired" in answer  # the unspent money's real reason, in the answer itself
    assert format_ci(s["cpa"], "cpa") in text and "simulation noise only" in text
    assert "one purchase per buyer" in text  # the model's standing simplifications
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, pages
    assert (shots / "report.png").stat().st_size > 10_000
    print(f"screenshot: {shots / 'report.png'}")
