"""``wom animate``: the town lighting up day by day next to its adoption chart, as a GIF or MP4.

Each frame is the classroom page's network picture beside its chart (adopters by source against
the no-campaign twin, and the incremental adopters), for replication 0. A GIF has one palette for
every frame, built from the pictures' fixed colours first, so a tier or a state never changes
colour from one frame to the next. MP4 needs ffmpeg on the PATH.

A file is written only if it is new or was written by ``wom animate`` (its marker is inside the
file), unless ``--force``: a user's file is never replaced by accident.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from sim.classroom.charts import Limits, TownChart
from sim.classroom.model import Town
from sim.core.errors import InputError
from sim.core.files import MB, atomic_write, read_bytes
from sim.core.scenario import as_scenario
from sim.drawing.colours import fixed_colours
from sim.drawing.picture import network_picture

MAX_DAYS = 365  # frames are held in memory until the file is written
MAX_FPS = 50
MARKER = "written by wom animate"
FORMATS = {".gif": "GIF", ".mp4": "MP4"}
OWN_FILE_LIMIT = 512 * MB  # an animation bigger than this is not one of ours


def check_target(out: Path, force: bool) -> str:
    """Refuse, before any work, a file we may not write; return the format."""
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise InputError("--out", "out", str(out), "must name a .gif or .mp4 file")
    if kind == "MP4" and shutil.which("ffmpeg") is None:
        raise InputError("--out", "out", str(out), "an MP4 needs ffmpeg on the PATH; write a .gif instead")
    if out.is_dir():
        raise InputError("--out", "out", str(out), "is a folder: give a file name")
    if (out.exists() or out.is_symlink()) and not force and not written_by_us(out):
        raise InputError(
            "--out", "out", str(out), "exists and was not written by wom animate; use --force to replace it"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise InputError("--out", "out", str(out), f"cannot be created: {parent} is a file")
    return kind


def written_by_us(path: Path) -> bool:
    try:
        data = read_bytes(path, what="animation", limit=OWN_FILE_LIMIT, key="--out")
    except InputError:
        return False
    return MARKER.encode() in data


def frames(scenario_file: Path, days: int | None) -> list[Image.Image]:
    """One image per day 0..days (default: the scenario's days, at most ``MAX_DAYS``)."""
    scenario = as_scenario(scenario_file, replications=1)  # one run is drawn: size-checked as one
    longest = min(scenario.market.days, MAX_DAYS)
    days = longest if days is None else days
    if not 1 <= days <= longest:
        raise InputError("--days", "days", days, f"must be 1..{longest} (market.days, at most {MAX_DAYS})")
    ahead = Town(scenario, 0)  # the whole run first, so the chart's axes stay put in every frame
    while ahead.day < days:
        ahead.step()
    adopters, incremental = Limits(1.0), Limits(1.0)
    adopters.include(np.r_[ahead.adopters_by_source().sum(axis=1), ahead.without_campaign()])
    incremental.include(ahead.incremental())
    town = Town(scenario, 0, label=scenario.name)
    picture = network_picture(town.world, town.tiers, size=6.2, legend=True)
    height = picture.figure.get_size_inches()[1]
    chart = TownChart(town, adopters, incremental, size=(6.2, height), legend=True, days=days)
    images = []
    for day in range(days + 1):
        if day:
            town.step()
        t = town.tally()
        caption = f"{scenario.name}, day {day}: {t.adopters:,.0f} adopters ({t.incremental:+,.0f} incremental)"
        picture.update(town.campaign.state, posting=town.posting(), backlashed=town.backlashed(), caption=caption)
        chart.update(town)
        left, right = picture.image(), chart.image()
        frame = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
        frame.paste(left, (0, 0))
        frame.paste(right, (left.width, 0))
        images.append(frame)
    return images


def palette(sample: list[Image.Image]) -> Image.Image:
    """A 256-colour palette: the pictures' fixed colours, then the most common others in ``sample``."""
    fixed = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in dict.fromkeys(fixed_colours())]
    strip = Image.new("RGB", (sum(im.width for im in sample), max(im.height for im in sample)))
    x = 0
    for im in sample:
        strip.paste(im, (x, 0))
        x += im.width
    adaptive = strip.quantize(256 - len(fixed), method=Image.Quantize.MEDIANCUT).getpalette()[: 3 * (256 - len(fixed))]
    colours = [v for c in fixed for v in c] + adaptive
    image = Image.new("P", (1, 1))
    image.putpalette(colours + [0] * (768 - len(colours)))
    return image


def write_gif(images: list[Image.Image], out: Path, fps: int) -> None:
    shared = palette([images[0], images[len(images) // 2], images[-1]])
    indexed = [im.quantize(palette=shared, dither=Image.Dither.NONE) for im in images]

    def write(tmp: Path) -> None:
        indexed[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=indexed[1:],
            duration=round(1000 / fps),
            loop=0,
            comment=MARKER,
        )

    atomic_write(out, write)


def write_mp4(images: list[Image.Image], out: Path, fps: int) -> None:
    width, height = (v - v % 2 for v in images[0].size)  # H.264 wants even sizes

    def write(tmp: Path) -> None:
        command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
        command += ["-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-pix_fmt", "yuv420p"]
        command += ["-movflags", "+faststart", "-metadata", f"comment={MARKER}", "-f", "mp4", str(tmp)]
        data = b"".join(im.crop((0, 0, width, height)).tobytes() for im in images)
        done = subprocess.run(command, input=data, capture_output=True, check=False)
        if done.returncode:
            raise OSError(f"ffmpeg failed: {done.stderr.decode(errors='replace').strip()[:200]}")

    atomic_write(out, write)


def animate(scenario_file: Path, out: Path, days: int | None = None, fps: int = 4, force: bool = False) -> int:
    """Write the animation of day 0 to ``days``; return the number of frames."""
    if not 1 <= fps <= MAX_FPS:
        raise InputError("--fps", "fps", fps, f"must be 1..{MAX_FPS} frames per second")
    kind = check_target(out, force)
    images = frames(scenario_file, days)
    (write_gif if kind == "GIF" else write_mp4)(images, out, fps)
    return len(images)
