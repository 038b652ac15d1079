"""wom's self-contained HTML pages (report.html, plan.html, hire.html) opened in Debian's headless
Chromium: what a reader sees, what the page asked the network for, and how it prints."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@dataclass
class StaticPage:
    text: str  # the body's text
    parts: dict[str, str]  # inner text of each selector asked for
    images: list[tuple[bool, int]]  # (loaded, natural width) of every <img>
    external: list[str]  # requests for anything but the file itself and data: URLs
    pages: int  # A4 pages when printed
    screenshot: Path  # full page, in $WOM_TEST_ARTIFACTS/<name> if set, else a temporary folder

    def assert_self_contained(self) -> None:
        """Nothing fetched from elsewhere, every picture loaded, one or two A4 pages when printed."""
        assert self.external == []
        assert self.images and all(done and width > 0 for done, width in self.images)
        assert 1 <= self.pages <= 2, self.pages


def open_page(file: Path, name: str, selectors: tuple[str, ...] = ()) -> StaticPage:
    from playwright.sync_api import sync_playwright

    chosen = os.environ.get("WOM_TEST_ARTIFACTS")
    shots = Path(chosen) / name if chosen else Path(tempfile.mkdtemp(prefix=f"wom-{name}-shot-"))
    shots.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"wom-{name}-profile-") as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda req: requests.append(req.url))
            page.goto(file.as_uri())
            page.wait_for_load_state("load")
            text = page.inner_text("body")
            parts = {s: page.inner_text(s) for s in selectors}
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            pdf = page.pdf(format="A4")
        finally:
            browser.close()
    external = [u for u in requests if not u.startswith(("file:", "data:"))]
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    print(f"screenshot: {shots / f'{name}.png'}")
    return StaticPage(text, parts, [tuple(i) for i in images], external, pages, shots / f"{name}.png")
