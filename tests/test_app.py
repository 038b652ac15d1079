"""The classroom page in a real headless Chromium, offline.

``wom app`` runs on a free loopback port with ``SOLARA_ASSETS_CDN`` pointing at a closed port,
so an asset missing from the local install fails loudly instead of being fetched; the browser
aborts (and counts) any request to another host. Screenshots go to test-artifacts/classroom/.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-artifacts" / "classroom"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def page_url():
    """``wom app`` on the classroom scenario; always stopped, server process included."""
    port = free_port()
    env = {**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/"}
    wom = Path(sys.executable).with_name("wom")
    proc = subprocess.Popen(
        [str(wom), "app", str(ROOT / "scenarios" / "classroom.toml"), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the server is stopped with it
    )
    server_pid = None
    try:
        first = proc.stdout.readline()
        server_pid = int(re.search(r"server pid (\d+)", first).group(1))
        assert f"127.0.0.1:{port}" in first
        deadline = time.monotonic() + 60
        while "ready" not in proc.stdout.readline():
            assert proc.poll() is None and time.monotonic() < deadline, "wom app did not become ready"
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        if server_pid and alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
        assert server_pid is None or not alive(server_pid), "the solara server outlived wom app"


def day_of(page) -> int:
    return int(re.search(r"Day (\d+) of", page.locator(".wom-day").inner_text()).group(1))


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def drawn_share(png: bytes) -> float:
    """Share of pixels that are not white: a blank or missing figure scores about 0."""
    from PIL import Image

    grey = Image.open(io.BytesIO(png)).convert("L")
    return sum(grey.histogram()[:240]) / (grey.width * grey.height)


def test_classroom_page_renders_and_runs_offline(page_url):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    outside, errors, failed = [], [], []

    def only_loopback(route):
        if urlparse(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(page_url)

            network, chart = page.locator("img.wom-network"), page.locator("img.wom-chart")
            network.wait_for(state="visible", timeout=60_000)
            chart.wait_for(state="visible", timeout=30_000)
            for img in (network, chart):  # in the main pane, drawn, and big enough to read
                assert img.locator("xpath=ancestor::*[contains(@class, 'vue-grid-item')]").count() == 1
                box = img.bounding_box()
                assert box["width"] > 300 and box["height"] > 250
                assert drawn_share(img.screenshot()) > 0.03
            assert day_of(page) == 0
            page.screenshot(path=SHOTS / "1-loaded.png")

            network_src, chart_src = network.get_attribute("src"), chart.get_attribute("src")
            page.get_by_role("button", name="Step").click()
            wait_until(lambda: day_of(page) == 1, 20, "day 1 after Step")
            wait_until(lambda: network.get_attribute("src") != network_src, 10, "the graph to redraw")
            page.screenshot(path=SHOTS / "2-step.png")

            chart_src = chart.get_attribute("src")
            page.get_by_role("button", name="▶").click()
            wait_until(lambda: day_of(page) >= 8, 40, "Play to reach day 8")
            page.get_by_role("button", name="❚❚").click()
            page.get_by_role("button", name="▶").wait_for(timeout=10_000)
            assert chart.get_attribute("src") != chart_src, "the chart did not redraw during Play"
            time.sleep(0.5)  # days already stepped before the click may still arrive
            paused = day_of(page)
            time.sleep(1.5)
            assert day_of(page) == paused, "Pause did not stop the days"
            page.screenshot(path=SHOTS / "3-played.png")

            consumers = page.get_by_role("slider", name="Consumers (network size)")
            assert consumers.get_attribute("aria-valuenow") == "500"
            consumers.focus()
            page.keyboard.press("ArrowRight")  # one step of 100
            wait_until(lambda: consumers.get_attribute("aria-valuenow") == "600", 10, "the slider to move")
            page.get_by_role("button", name="Reset").click()
            wait_until(lambda: day_of(page) == 0, 30, "Reset to day 0")
            settings = page.locator("text=/network of 600 consumers/")
            settings.wait_for(state="visible", timeout=30_000)
            page.screenshot(path=SHOTS / "4-reset-600.png")
        finally:
            browser.close()

    assert outside == [], f"requests left the machine: {outside}"
    assert failed == [], f"HTTP errors (a missing local asset?): {failed}"
    assert errors == [], f"JavaScript errors: {errors}"
