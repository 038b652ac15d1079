"""``wom app``: the server's safety checks, and the classroom page in a real headless Chromium, offline.

The page test starts ``wom app`` on a free loopback port with ``SOLARA_ASSETS_CDN`` pointing at a
closed port, so an asset missing from the local install fails loudly instead of being fetched;
the browser aborts (and counts) any request to another host. Every wait is on page state, with
generous deadlines so a busy machine only makes the test slower. Screenshots go to a temporary
folder, or to ``$WOM_TEST_ARTIFACTS/classroom`` if that is set.
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
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
WOM = str(Path(sys.executable).with_name("wom"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
WAIT = 120_000  # ms: a deadline for page state, generous for a busy 2-core machine


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


def one_error_line(done: subprocess.CompletedProcess, start: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith(start), done.stderr
    assert "Traceback" not in done.stderr and "ready" not in done.stdout


# --- the server's checks (no server starts) ------------------------------------------------


@pytest.mark.parametrize("host", ["999.1.1.1", "not a host", "127.0.0.1:80", ""])
def test_an_unparseable_host_is_one_line(host):
    done = subprocess.run([WOM, "app", "--host", host], capture_output=True, text=True, timeout=60, cwd=ROOT)
    one_error_line(done, f"error: --host: host = {host!r}: must be an IP address")


def test_a_port_in_use_is_one_line_not_someone_elses_ready():
    with socket.socket() as other:  # another program's server
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = subprocess.run([WOM, "app", "--port", str(port)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    one_error_line(done, f"error: --port: port = {port}: is in use on 127.0.0.1")


def test_a_bad_scenario_stops_before_any_server(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[market]\nconsumers = -5\n")
    done = subprocess.run([WOM, "app", str(bad)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    one_error_line(done, f"error: {bad}: market.consumers")


def start_app(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """``wom app`` in its own process group; returns it once ready, with the server's pid."""
    proc = subprocess.Popen(
        [WOM, "app", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    first = proc.stdout.readline()
    match = re.search(r"server pid (\d+)", first)
    assert match, first + proc.stderr.read()
    for line in proc.stdout:
        if "ready" in line:
            break
    assert proc.poll() is None, "wom app stopped before it was ready"
    return proc, int(match.group(1))


def stop_app(proc: subprocess.Popen, server: int, sig=signal.SIGTERM) -> int:
    os.kill(proc.pid, sig)
    try:
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        if alive(server):
            os.kill(server, signal.SIGKILL)
            pytest.fail("the page's server outlived wom app")
    return code


@pytest.mark.slow
def test_any_other_host_warns_that_the_network_can_use_the_page():
    proc, server = start_app("--host", "0.0.0.0", "--port", str(free_port()))
    warning = proc.stderr.readline()
    assert warning.startswith("warning: listening on 0.0.0.0: anyone on your network")
    assert stop_app(proc, server, signal.SIGINT) == 128 + signal.SIGINT


# --- the page in a browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_url():
    """``wom app`` on the classroom scenario; always stopped, server process included."""
    port = free_port()
    scenario = str(ROOT / "scenarios" / "classroom.toml")
    proc, server = start_app(scenario, "--port", str(port), env={"SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/"})
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        assert stop_app(proc, server) == 128 + signal.SIGTERM


@pytest.fixture(scope="module")
def shots():
    chosen = os.environ.get("WOM_TEST_ARTIFACTS")
    if chosen:
        folder = Path(chosen) / "classroom"
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
    else:
        with tempfile.TemporaryDirectory(prefix="wom-classroom-shots-") as folder:
            yield Path(folder)


def day_of(page) -> int:
    return int(re.search(r"Day (\d+) of", page.locator(".wom-day").inner_text()).group(1))


def drawn_share(png: bytes) -> float:
    """Share of pixels that are not white: a blank or missing figure scores about 0."""
    from PIL import Image

    grey = Image.open(io.BytesIO(png)).convert("L")
    return sum(grey.histogram()[:240]) / (grey.width * grey.height)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the settings' select called ``label``."""
    control = page.locator(".wom-control", has=page.locator(".wom-control-label", has_text=label))
    control.locator(".v-select").click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).click()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(900)
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_a_lesson_in_the_browser(page_url, shots):
    from playwright.sync_api import expect, sync_playwright

    from sim.core.scenario import load_scenario

    expect.set_options(timeout=WAIT)

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
            viewport={"width": 1366, "height": 768},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT)
            page.route("**/*", only_loopback)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(page_url)
            day = page.locator(".wom-day")
            expect(day).to_have_text("Day 0 of 60")

            # Projector-ready at 1366 x 768: the pictures are drawn and large, values and legends readable.
            network, chart = page.locator("img.wom-network"), page.locator("img.wom-chart")
            expect(network).to_be_visible()
            for img in (network, chart):
                box = img.bounding_box()
                assert box["width"] > 400 and box["y"] + 0.75 * box["height"] < 768  # mostly above the fold
                # The page's box, not the element: a picture may be swapped for a newer frame meanwhile.
                assert drawn_share(page.screenshot(clip=box)) > 0.03
            expect(page.locator(".wom-value-budget")).to_have_text("16,000 USD")  # no dragging needed
            expect(page.locator(".wom-value-consumers")).to_have_text("500")
            expect(page.locator(".wom-value-speed")).to_have_text("5 days/s")
            sizes = page.eval_on_selector_all(
                ".wom-key, .wom-value, .wom-control-label, .wom-tiers td",
                "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))",
            )
            assert sizes and min(sizes) >= 12
            for absent in (
                "This website runs on",
                "Page 0",
                "Use Threads",
                "Time:",
                re.compile(r"(^|\D)1 influencers"),
            ):
                expect(page.get_by_text(absent)).to_have_count(0)
            expect(page.get_by_text("one dot is 100 people")).to_be_visible()
            page.screenshot(path=shots / "1-loaded.png")

            # Step, Play, Pause: the page stops where the towns are.
            page.get_by_role("button", name="Step").click()
            expect(day).to_have_text("Day 1 of 60")
            page.get_by_role("button", name="▶ Play").click()
            expect(day).to_have_text(re.compile(r"Day ([5-9]|\d\d) of 60"))
            page.get_by_role("button", name="❚❚ Pause").click()
            expect(page.get_by_role("button", name="▶ Play")).to_be_enabled()
            paused = day_of(page)
            page.get_by_role("button", name="Step").click()  # enabled only when paused
            expect(day).to_have_text(f"Day {paused + 1} of 60")  # one day on: nothing ran on after Pause
            page.screenshot(path=shots / "2-paused.png")

            # At full speed to the last day, where Play and Step stop.
            speed = page.locator(".wom-speed [role=slider]")
            speed.focus()
            page.keyboard.press("End")
            expect(page.locator(".wom-value-speed")).to_have_text("30 days/s")
            page.get_by_role("button", name="▶ Play").click()
            expect(day).to_have_text("Day 60 of 60", timeout=3 * WAIT)
            expect(page.get_by_role("button", name="Step")).to_be_disabled()
            expect(page.get_by_role("button", name="▶ Play")).to_be_disabled()
            expect(page.locator(".wom-runs").first).to_contain_text("Mean of runs 0-9 on this day")
            expect(page.locator(".wom-cost")).to_contain_text(re.compile(r"\d\.\d\d USD per incremental adopter"))
            page.screenshot(path=shots / "3-last-day.png")

            # A slider change restarts the town with the new value.
            consumers = page.locator(".wom-control", has=page.locator(".wom-value-consumers"))
            consumers.locator("[role=slider]").focus()
            page.keyboard.press("ArrowRight")
            expect(page.locator(".wom-value-consumers")).to_have_text("600")
            expect(page.get_by_text("one dot is 83 people")).to_be_visible()
            expect(day).to_have_text("Day 0 of 60")

            # The scenario picker loads the file's values into the sliders, and its scale.
            trust = load_scenario(ROOT / "scenarios" / "sweep_trust.toml")
            choose(page, "Scenario", "sweep_trust.toml")
            expect(page.locator(".wom-value-consumers")).to_have_text(f"{trust.market.consumers:,}")
            expect(page.locator(".wom-value-budget")).to_have_text(f"{trust.budget.total:,.0f} USD")
            scale = trust.market.population / trust.market.consumers
            expect(page.get_by_text(f"one dot is {scale:,.0f} people")).to_be_visible()
            expect(page.locator(".v-app-bar")).to_contain_text("sweep_trust")
            page.screenshot(path=shots / "4-picked-sweep-trust.png")

            # Side by side: a file with two variants opens two campaigns in one town, in lock-step.
            choose(page, "Scenario", "classroom_macro_vs_micro.toml")
            expect(page.locator(".wom-town-a")).to_have_text("A: macro_only")
            expect(page.locator(".wom-town-b")).to_have_text("B: micro_only")
            expect(network).to_have_count(2)
            expect(page.locator(".wom-value-micro_share")).to_have_text(["0%", "100%"])
            page.get_by_role("button", name="▶ Play").click()
            expect(day).to_have_text(re.compile(r"Day (1[0-9]|[2-6]\d) of 60"), timeout=2 * WAIT)
            page.get_by_role("button", name="❚❚ Pause").click()
            expect(page.locator(".wom-difference")).to_contain_text("B minus A")
            expect(page.locator(".wom-incremental")).to_have_count(3)  # each town's tally, and the difference
            page.screenshot(path=shots / "5-side-by-side.png")

            # The lesson panel loads a lesson's settings.
            page.get_by_role("button", name="Lesson").click()
            page.get_by_role("button", name="Macro only, 6,000 USD").click()
            expect(network).to_have_count(1)  # back to one town (town A of the side-by-side view also says "1 macro")
            expect(page.locator(".wom-value-budget")).to_have_text("6,000 USD")
            expect(page.get_by_text("1 influencer hired (1 macro)")).to_be_visible()
            page.screenshot(path=shots / "6-lesson-macro-only.png")

            # Dark theme: the figures follow the page.
            page.locator(".v-app-bar button").last.click()
            expect(page.locator(".v-application.theme--dark")).to_have_count(1)
            page.wait_for_function(
                """() => { const i = document.querySelector('img.wom-chart'); if (!i || !i.complete) return false;
                   const c = document.createElement('canvas'); c.width = c.height = 1;
                   const x = c.getContext('2d'); x.drawImage(i, 2, 2, 1, 1, 0, 0, 1, 1);
                   return x.getImageData(0, 0, 1, 1).data[0] < 80; }"""
            )
            page.screenshot(path=shots / "7-dark.png")

            # A phone: the picture still fills the width.
            page.set_viewport_size({"width": 390, "height": 844})
            expect(network.first).to_be_visible()
            assert network.first.bounding_box()["width"] > 300
            page.screenshot(path=shots / "8-phone.png", full_page=True)
        finally:
            browser.close()

    assert outside == [], f"requests left the machine: {outside}"
    assert failed == [], f"HTTP errors (a missing local asset?): {failed}"
    assert errors == [], f"JavaScript errors: {errors}"
