"""``wom animate``: one frame per day of the network beside its chart, fixed colours, a user's file kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from sim.classroom.animate import MARKER
from sim.cli import app
from sim.drawing.colours import TIER_COLOURS, fixed_colours

ROOT = Path(__file__).resolve().parent.parent
WOM = str(Path(sys.executable).with_name("wom"))
CLASSROOM = str(ROOT / "scenarios" / "classroom.toml")


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def gif(tmp_path_factory):
    out = tmp_path_factory.mktemp("animate") / "spread.gif"
    done = subprocess.run(
        [WOM, "animate", CLASSROOM, "--out", str(out), "--days", "12", "--fps", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out} (13 frames, day 0 to 12, 5 per second)"
    return out


def frame(path: Path, index: int) -> np.ndarray:
    image = Image.open(path)
    image.seek(index)
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_one_frame_per_day_and_a_normal_file(gif):
    image = Image.open(gif)
    assert image.format == "GIF" and image.n_frames == 13 and image.info["duration"] == 200
    assert image.info["comment"] == MARKER.encode()
    umask = os.umask(0)
    os.umask(umask)
    assert gif.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    assert sorted(p.name for p in gif.parent.iterdir()) == ["spread.gif"]  # no temporary files left


def test_the_network_sits_beside_its_chart_and_both_move(gif):
    first, middle, last = frame(gif, 0), frame(gif, 6), frame(gif, 12)
    width = first.shape[1]
    network, chart = slice(0, width // 2), slice(width // 2, width)
    changed = lambda a, b, part: np.abs(a[:, part] - b[:, part]).sum(axis=2).astype(bool).mean()  # noqa: E731
    assert changed(first, last, network) > 0.005, "the town did not light up"
    assert changed(middle, last, chart) > 0.002, "the chart stood still in the second half"
    word_of_mouth = np.all(last[:, chart] == rgb("#33a02c"), axis=2)
    assert word_of_mouth.mean() > 0.003  # the stacked word-of-mouth band, in its own colour


def test_fixed_colours_survive_the_palette(gif):
    palette = Image.open(gif).getpalette()
    colours = {tuple(palette[i : i + 3]) for i in range(0, len(palette), 3)}
    assert {rgb(c) for c in fixed_colours()} <= colours
    last = frame(gif, 12)
    macro = np.all(last == rgb(TIER_COLOURS["macro"]), axis=2)
    assert macro.sum() > 20  # macro influencers stay purple: no palette collapse into grey


def run_cli(*args: str):
    return CliRunner().invoke(app, ["animate", CLASSROOM, *args])


def test_a_users_file_is_never_replaced(tmp_path):
    out = tmp_path / "spread.gif"
    out.write_text("my notes")
    result = run_cli("--out", str(out), "--days", "2")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: --out: out = {str(out)!r}: exists and was not written by wom animate; use --force to replace it"
    ]
    assert out.read_text() == "my notes"
    assert run_cli("--out", str(out), "--days", "2", "--force").exit_code == 0
    assert Image.open(out).n_frames == 3
    assert run_cli("--out", str(out), "--days", "3").exit_code == 0  # wom's own file: replaced
    assert Image.open(out).n_frames == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["--days", "999"], "error: --days: days = 999: must be 1..60"),
        (["--out", "{tmp}/spread.png"], "error: --out: out = '{tmp}/spread.png': must name a .gif or .mp4 file"),
        (["--out", "{tmp}/file.txt/spread.gif"], "error: --out: out = '{tmp}/file.txt/"),
        (["--out", "{tmp}"], "error: --out: out = '{tmp}': must name a .gif"),
    ],
)
def test_bad_options_are_one_line_before_any_work(tmp_path, args, message):
    (tmp_path / "file.txt").write_text("x")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli(*[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(tmp=tmp_path)), result.output
    assert "cannot be created" in lines[0] or "file.txt" not in args[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_mp4_without_ffmpeg_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("sim.classroom.animate.shutil.which", lambda _name: None)
    result = run_cli("--out", str(tmp_path / "spread.mp4"))
    assert result.exit_code == 2 and "needs ffmpeg" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_mp4_with_ffmpeg(tmp_path):
    out = tmp_path / "spread.mp4"
    assert run_cli("--out", str(out), "--days", "5").exit_code == 0
    assert out.read_bytes()[4:8] == b"ftyp" and MARKER.encode() in out.read_bytes()
    assert run_cli("--out", str(out), "--days", "5").exit_code == 0  # its own file: replaced
