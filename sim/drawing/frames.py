"""Frames of a matplotlib figure, fast: the static artists drawn once, the changing ones over them.

``Blitter`` renders; ``Drawn`` is the base of every picture and chart the classroom page and
``wom animate`` show (one frame at a time under a lock), encoded as ``Encoding``.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Literal

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

Encoding = Literal["png", "jpeg", "png8"]
MIME: dict[str, str] = {"png": "image/png", "jpeg": "image/jpeg", "png8": "image/png"}


class Blitter:
    """Renders a figure fast: the static artists once, then only the changing ones over them.

    Redrawing the 3,000 ties of a 1,000-consumer graph takes most of a full draw; restoring
    them as pixels and drawing the dots on top is several times quicker (docs/performance.md).
    """

    def __init__(self, figure: Figure, dynamic: Sequence[Artist]) -> None:
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.dynamic = list(dynamic)
        for artist in self.dynamic:
            artist.set_animated(True)
        self.background = None

    def invalidate(self) -> None:
        """Call after changing a static artist (axis limits, legend): the next frame redraws all."""
        self.background = None

    def image(self) -> Image.Image:
        if self.background is None:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.canvas.restore_region(self.background)
        for artist in self.dynamic:
            self.figure.draw_artist(artist)
        rgba = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba())
        return rgba.convert("RGB")

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image().save(out, format="PNG", compress_level=1)  # fast: encoding dominates otherwise
        return out.getvalue()

    def encoded(self, kind: Encoding) -> bytes:
        """The frame as ``png`` (lossless), ``jpeg`` (a network of dots: 5x faster to encode than
        PNG, no visible loss at quality 90 without chroma subsampling) or ``png8`` (a chart: few
        colours, so 256 lose nothing visible; 3x faster and 3x smaller than ``png``)."""
        if kind == "png":
            return self.png()
        out = io.BytesIO()
        if kind == "jpeg":
            self.image().save(out, format="JPEG", quality=90, subsampling=0)
        else:
            self.image().quantize(256, method=Image.Quantize.FASTOCTREE).save(out, format="PNG", compress_level=1)
        return out.getvalue()


class Drawn:
    """A figure drawn through a ``Blitter``, one frame at a time under ``lock`` (the classroom page
    may draw from the play loop and an event at once). Subclasses set ``blitter``."""

    blitter: Blitter

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def png(self) -> bytes:
        """The current picture as PNG bytes."""
        with self.lock:
            return self.blitter.png()

    def image(self) -> Image.Image:
        """The current picture as an RGB image (a frame of ``wom animate``)."""
        with self.lock:
            return self.blitter.image()

    def encoded(self, kind: Encoding) -> bytes:
        """The current picture as ``png``, ``jpeg`` or ``png8`` bytes (``Blitter.encoded``)."""
        with self.lock:
            return self.blitter.encoded(kind)
