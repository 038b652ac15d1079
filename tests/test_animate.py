"""``wom animate``: a GIF with one frame per day (day 0 included) that shows the spread."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
WOM = str(Path(sys.executable).with_name("wom"))


def test_animate_writes_one_frame_per_day(tmp_path):
    out = tmp_path / "spread.gif"
    done = subprocess.run(
        [WOM, "animate", "scenarios/classroom.toml", "--out", str(out), "--days", "12", "--fps", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    gif = Image.open(out)
    assert gif.format == "GIF"
    assert gif.n_frames == 13
    assert gif.info["duration"] == 200
    first = np.asarray(gif.convert("RGB"), dtype=np.int16)
    gif.seek(12)
    last = np.asarray(gif.convert("RGB"), dtype=np.int16)
    assert np.abs(first - last).sum(axis=2).astype(bool).mean() > 0.005, "day 12 looks like day 0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spread.gif"]  # no temporary files left


def test_animate_rejects_more_days_than_the_scenario(tmp_path):
    out = tmp_path / "spread.gif"
    done = subprocess.run(
        [WOM, "animate", "scenarios/classroom.toml", "--out", str(out), "--days", "999"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: --days: days = 999: must be 1..")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()
