"""How fast the classroom page is: in a real headless Chromium, and where the time goes on the server.

    .venv/bin/python benchmarks/classroom.py [--consumers 2000 10000] [--seconds 15] [--pauses 5]

For each size, ``wom app`` serves the classroom scenario resized to that many consumers (long
enough not to end; the faint "other runs" switched off, so only the play loop is measured), and
headless Chromium opens it at 1366 x 768. Printed per size:
- page: seconds from opening the address to the town's picture on screen;
- play: days per second shown at the top speed, counted by a MutationObserver in the page;
- pause: over ``--pauses`` tries, the longest time from the click to the last change of the day
  counter, and the most days that appeared after the click;
- server: median milliseconds per day for stepping both worlds and drawing one frame, no browser.
Then: seconds ``wom app`` takes to exit after Ctrl-C (SIGINT to its process group) and after SIGTERM.
The machine's load average is printed before and after: figures taken under load are slower.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.classroom.session import Session  # noqa: E402
from sim.core.scenario import load_scenario  # noqa: E402
from sim.reporting.outputs import resolved_toml  # noqa: E402

WOM = str(Path(sys.executable).with_name("wom"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARGS += ["--disable-component-update", "--disable-sync", "--no-first-run"]
WATCH = """() => {
  window.__wom = [];
  const day = document.querySelector('.wom-day');
  new MutationObserver(() => window.__wom.push([performance.now(), day.innerText]))
    .observe(day, {childList: true, characterData: true, subtree: true});
}"""


def bench_scenario(folder: Path, consumers: int) -> Path:
    scenario = load_scenario(ROOT / "scenarios" / "classroom.toml").with_overrides(
        {"market.consumers": consumers, "market.days": 2000, "name": f"bench{consumers}"}
    )
    path = folder / f"bench{consumers}.toml"
    path.write_text(resolved_toml(scenario))
    return path


def server_side(path: Path, days: int = 30) -> dict[str, float]:
    """Median milliseconds per day: both worlds stepped, then one frame drawn and encoded."""
    session = Session(path)
    session.set_show_runs(False)
    step, frame = [], []
    for _ in range(days):
        t0 = time.perf_counter()
        session.step()
        t1 = time.perf_counter()
        session.frame()
        step.append(t1 - t0)
        frame.append(time.perf_counter() - t1)
    return {"step": 1000 * statistics.median(step), "frame": 1000 * statistics.median(frame)}


def start_app(path: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = subprocess.Popen(
        [WOM, "app", str(path), "--port", str(port)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    for line in app.stdout:
        if "ready" in line:
            return app, f"http://127.0.0.1:{port}/"
    raise RuntimeError("wom app stopped before it was ready")


def day_of(text: str) -> int:
    return int(re.search(r"Day (\d+)", text).group(1))


def in_browser(url: str, seconds: float, pauses: int) -> dict[str, float]:
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path="/usr/bin/chromium",
            headless=True,
            args=ARGS,
            viewport={"width": 1366, "height": 768},
        )
        page = browser.new_page()
        expect.set_options(timeout=300_000)
        started = time.monotonic()
        page.goto(url)
        expect(page.locator("img.wom-network")).to_be_visible()
        appear = time.monotonic() - started
        page.get_by_text("Show runs 0-9").click()  # the faint other runs: computed once per reset, not per day
        expect(page.get_by_role("checkbox")).not_to_be_checked()
        page.locator(".wom-speed [role=slider]").focus()
        page.keyboard.press("End")
        expect(page.locator(".wom-value-speed")).to_have_text("30 days/s")
        page.evaluate(WATCH)
        play, pause = page.get_by_role("button", name="▶ Play"), page.get_by_role("button", name="❚❚ Pause")
        play.click()
        expect(pause).to_be_visible()
        time.sleep(seconds)  # a benchmark: the measurement is what happens during this time
        stamps = [(t, day_of(text)) for t, text in page.evaluate("() => window.__wom")]
        stamps = [s for s in stamps if s[1] > stamps[0][1] + 2]  # after the first frames
        rate = (stamps[-1][1] - stamps[0][1]) / ((stamps[-1][0] - stamps[0][0]) / 1000)
        lags, extra = [], []
        for _ in range(pauses):
            if not pause.is_visible():
                play.click()
                expect(pause).to_be_visible()
            time.sleep(1.0)
            page.evaluate(WATCH)
            clicked = page.evaluate("() => performance.now()")
            before = day_of(page.locator(".wom-day").inner_text())
            pause.click()
            expect(play).to_be_visible()
            time.sleep(2.0)  # anything still on its way arrives in this time
            changes = [(t, day_of(text)) for t, text in page.evaluate("() => window.__wom") if t >= clicked]
            lags.append(max([0.0] + [(t - clicked) / 1000 for t, _ in changes]))
            extra.append(max([before] + [d for _, d in changes]) - before)
        browser.close()
    return {"appear": appear, "rate": rate, "pause_s": max(lags), "pause_days": max(extra)}


def exit_seconds(path: Path, how: str) -> float:
    app, _ = start_app(path)
    started = time.monotonic()
    if how == "Ctrl-C":
        os.killpg(app.pid, signal.SIGINT)  # a terminal sends it to the whole foreground group
    else:
        app.send_signal(signal.SIGTERM)
    app.wait(60)
    return time.monotonic() - started


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--pauses", type=int, default=5)
    args = parser.parse_args()
    print(f"classroom page benchmark; before: {load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.consumers:
            path = bench_scenario(Path(tmp), n)
            server = server_side(path)
            app, url = start_app(path)
            try:
                browser = in_browser(url, args.seconds, args.pauses)
            finally:
                os.killpg(app.pid, signal.SIGTERM)
                app.wait(60)
            view = "niches" if n > 2000 else "one dot per consumer"
            print(
                f"{n:,} consumers ({view}): page {browser['appear']:.1f} s; play {browser['rate']:.1f} days/s "
                f"at the top speed; pause: last change {browser['pause_s']:.2f} s after the click, "
                f"{browser['pause_days']} day(s) after it; server per day: step {server['step']:.1f} ms, "
                f"frame {server['frame']:.1f} ms",
                flush=True,
            )
        path = bench_scenario(Path(tmp), 500)
        exits = {how: exit_seconds(path, how) for how in ("Ctrl-C", "SIGTERM")}
    print("wom app exits: " + ", ".join(f"{s:.1f} s after {how}" for how, s in exits.items()))
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
