"""How fast the classroom page plays: days per second seen in a real browser, and where time goes.

    .venv/bin/python benchmarks/classroom.py [--consumers 1000] [--seconds 20]

Browser figure: ``wom app`` on the classroom scenario resized to ``--consumers`` (and made long
enough not to end), opened in headless Chromium; Play runs for ``--seconds`` while a
MutationObserver in the page counts day-counter changes and network-picture updates. Server
figure: the same model stepped and drawn in this process, without the browser.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.classroom.app import AdoptionChart, ClassroomModel  # noqa: E402
from sim.core.scenario import load_scenario  # noqa: E402
from sim.drawing.picture import NetworkPicture  # noqa: E402
from sim.reporting.outputs import resolved_toml  # noqa: E402

COUNTER = """() => {
  window.__wom = {days: [], pictures: 0};
  const day = document.querySelector('.wom-day'), img = document.querySelector('img.wom-network');
  new MutationObserver(() => window.__wom.days.push([performance.now(), day.innerText]))
    .observe(day, {childList: true, characterData: true, subtree: true});
  new MutationObserver(() => { window.__wom.pictures += 1; }).observe(img, {attributes: true});
}"""


def server_side(path: Path, days: int = 30) -> dict[str, float]:
    """Median milliseconds per day: stepping both worlds, drawing the graph, drawing the chart."""
    model = ClassroomModel(str(path))
    picture = NetworkPicture(model.world, [inf.tier_name for inf in model.influencers])
    chart = AdoptionChart(model)
    times = []
    for _ in range(days):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        picture.update(model.state, model.influencers, model.steps)
        picture.png()
        t2 = time.perf_counter()
        chart.update(model)
        chart.png()
        times.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
    step, graph, plot = (1000 * np.median(column) for column in zip(*times, strict=True))
    return {"step": step, "graph": graph, "chart": plot}


def in_browser(path: Path, seconds: float) -> dict[str, float]:
    """Days per second and pictures per second while Play runs in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    wom = Path(sys.executable).with_name("wom")
    server = subprocess.Popen(
        [str(wom), "app", str(path), "--port", str(port)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        while "ready" not in server.stdout.readline():
            if server.poll() is not None:
                raise RuntimeError("wom app stopped before it was ready")
        with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                profile,
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
                viewport={"width": 1600, "height": 1000},
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("img.wom-network").wait_for(timeout=120_000)
            page.evaluate(COUNTER)
            page.get_by_role("button", name="▶").click()
            time.sleep(seconds)
            result = page.evaluate("() => window.__wom")
            page.get_by_role("button", name="❚❚").click()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)
    stamps = [(t, int(re.search(r"Day (\d+)", text).group(1))) for t, text in result["days"]]
    (t0, first), (t1, last) = stamps[0], stamps[-1]
    span = max((t1 - t0) / 1000, 1e-9)
    return {
        "days_per_s": (last - first) / span,
        "pictures_per_s": result["pictures"] / seconds,
        "days_shown": len({d for _, d in stamps}),
        "days_stepped": last - first + 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "classroom.toml").with_overrides(
        {"market.consumers": args.consumers, "market.days": 1000, "name": f"bench{args.consumers}"}
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{scenario.name}.toml"
        path.write_text(resolved_toml(scenario))
        server = server_side(path)
        browser = in_browser(path, args.seconds)
    print(f"classroom page, {args.consumers:,} consumers, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(
        f"  server, median ms per day: step both worlds {server['step']:.1f}, "
        f"graph {server['graph']:.1f}, chart {server['chart']:.1f}"
    )
    print(
        f"  browser, Play for {args.seconds:g} s: {browser['days_per_s']:.2f} days/s, "
        f"{browser['pictures_per_s']:.2f} graph pictures/s, "
        f"{browser['days_shown']} of {browser['days_stepped']} days shown"
    )


if __name__ == "__main__":
    main()
