"""``wom animate``: the network lighting up day by day, as a GIF for slides.

Frames are drawn by the classroom page's ``NetworkPicture`` (same layout, colours, and niche
view for large graphs) with matplotlib, and written as an animated GIF by Pillow.
"""

from __future__ import annotations

from pathlib import Path

from sim.core.errors import InputError
from sim.core.files import atomic_write
from sim.core.model import InfluenceModel
from sim.core.scenario import load_scenario

MAX_DAYS = 365  # frames are held in memory until the GIF is written
MAX_FPS = 50


def animate(scenario_file: Path, out: Path, days: int | None = None, fps: int = 4) -> int:
    """Write a GIF of day 0 to ``days`` of replication 0's campaign; return the number of frames."""
    from sim.drawing.picture import NetworkPicture

    scenario = load_scenario(scenario_file)
    longest = min(scenario.market.days, MAX_DAYS)
    days = longest if days is None else days
    if not 1 <= days <= longest:
        raise InputError("--days", "days", days, f"must be 1..{longest} (market.days, at most {MAX_DAYS})")
    if not 1 <= fps <= MAX_FPS:
        raise InputError("--fps", "fps", fps, f"must be 1..{MAX_FPS} frames per second")
    if out.suffix.lower() != ".gif":
        raise InputError("--out", "out", str(out), "must name a .gif file")
    model = InfluenceModel(scenario)
    picture = NetworkPicture(model.world, [inf.tier_name for inf in model.influencers])
    frames = []
    for day in range(days + 1):
        if day:
            model.step()
        adopters = int(model.state.adopted.sum())
        caption = f"{scenario.name}, day {day}: {adopters:,} adopters ({adopters * model.scale:,.0f} people)"
        picture.update(model.state, model.influencers, day, caption=caption)
        frames.append(picture.image().quantize(colors=128))

    def write(tmp: Path) -> None:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=round(1000 / fps), loop=0)

    atomic_write(out, write)
    return len(frames)


def animate_main(scenario_file: Path, out: Path, days: int | None, fps: int) -> None:
    frames = animate(scenario_file, out, days, fps)
    print(f"wrote {out} ({frames} frames, day 0 to {frames - 1}, {fps} per second)")
