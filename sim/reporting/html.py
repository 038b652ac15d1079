"""Self-contained HTML pages (``report.html``, ``plan.html``, calibration's ``report.html``):
styles inline and images embedded as base64, so a page makes no request anywhere and prints on
A4 as it shows on screen."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

CSS = """
@page { size: A4; margin: 10mm; }
body { font: 9pt/1.3 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; max-width: 190mm;
       margin: 0 auto; }
h1 { font-size: 14pt; margin: 0 0 1mm; } h2 { font-size: 10.5pt; margin: 3mm 0 1mm; border-bottom: 1px solid #ccc; }
.answer { background: #eef7ee; border-left: 4px solid #2ca02c; padding: 1.5mm 3mm; font-size: 10pt; margin: 1.5mm 0; }
.warning { background: #fdf1e6; border-left: 4px solid #ff7f0e; padding: 1mm 3mm; margin: 1mm 0; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0; font-size: 7.8pt; }
th, td { border-bottom: 1px solid #ddd; padding: 0.4mm 1.2mm; text-align: right; }
td { white-space: nowrap; } td:last-child { white-space: normal; }
th:first-child, td:first-child { text-align: left; }
.words td:last-child, .words th:last-child { text-align: left; }
img { max-width: 100%; display: block; margin: 1mm auto; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 3mm; align-items: start; }
.two img { width: 100%; }
.small { font-size: 8pt; color: #555; } .page { break-before: page; }
"""


def escape(text: object) -> str:
    return html.escape(str(text))


def image(path: Path | None, alt: str, width: str | None = None) -> str:
    """An ``<img>`` holding the PNG at ``path`` itself (base64), ``width`` wide (CSS, e.g. "60%");
    "" without a path."""
    if path is None:
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    style = f' style="width: {escape(width)}"' if width else ""
    return f'<img alt="{escape(alt)}"{style} src="data:image/png;base64,{data}">'


def table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table of plain-text cells (escaped)."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def page(title: str, body: str, css: str = CSS) -> str:
    """A whole HTML document: ``body`` (HTML) under ``title``, with the styles inline."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>\n'
        f"<style>{css}</style></head><body>\n{body}\n</body></html>\n"
    )


def embed_images(text: str, folder: Path) -> str:
    """``text`` (HTML) with every ``<img src="relative.png">`` under ``folder`` embedded as base64."""

    def embedded(match: re.Match) -> str:
        path = (folder / match.group(2)).resolve()
        if path.suffix.lower() != ".png" or not path.is_relative_to(folder.resolve()) or not path.is_file():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{match.group(1)}data:image/png;base64,{data}{match.group(3)}"

    return re.sub(r'(<img[^>]*\ssrc=")(?!data:)([^":]+)(")', embedded, text)
