"""The classroom page (``wom app``): a ``Session`` and a ``Player`` wired to solara components.

Built from plain solara components rather than Mesa's SolaraViz so the page shows only what a
class needs (no "Page 0" tab, no second step counter, no threading switch) and plays at a pace
the browser can follow (``player.py``). Everything the browser loads is served by the local
solara server: the figures are images drawn on the server and the text is HTML (docs/classroom.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import time
from pathlib import Path

import solara
import solara.lab

from sim.classroom.lesson import Setup
from sim.classroom.player import Player
from sim.classroom.session import Frame, Session
from sim.classroom.settings import (
    CAMPAIGN_KEYS,
    SCENARIO_ENV,
    campaign_controls,
    startup_scenario,
    town_controls,
)
from sim.classroom.views import LessonPanel, SettingsPanel, Stage, Transport
from sim.core.scenario import Scenario, load_scenario

APPLY_AFTER = 0.3  # seconds: a dragged slider sends many values; the last one is applied
VIEWS = {"One town": "one", "Side by side": "side", "Lesson": "lesson"}
CSS = Path(__file__).with_name("page.css").read_text()


@functools.lru_cache(maxsize=32)
def _scenario(path: Path, mtime: float) -> Scenario:
    return load_scenario(path)


def scenario_at(path: Path) -> Scenario:
    """The scenario in ``path``, read again only when the file changes."""
    return _scenario(path, path.stat().st_mtime)


@solara.component
def Page():
    """One classroom per browser tab."""
    start = startup_scenario()
    session = solara.use_memo(lambda: Session(start), [])
    shown = solara.use_memo(lambda: solara.reactive(session.frame()), [])
    playing = solara.use_reactive(False)
    tab = solara.use_reactive("one")
    town = solara.use_reactive(session.town_values)
    campaigns = solara.use_reactive(session.campaigns)
    edits = solara.use_reactive(0)  # bumped by every control change; applied once they stop
    runs_wanted = solara.use_reactive(0)  # bumped by every rebuild: compute the other runs again
    show_settings = solara.use_reactive(True)
    speed = solara.use_reactive(5.0)

    def advance():
        return session.frame() if session.step() else None

    def publish(frame: Frame) -> None:
        """Show ``frame`` unless a newer one is on screen (a day computed by the play loop just
        before a Reset must not replace the reset town)."""
        if frame.number > shown.value.number:
            rate = player.rate()
            shown.set(frame if rate is None else dataclasses.replace(frame, rate=rate))

    player = solara.use_memo(lambda: Player(advance, publish, speed=speed.value), [])

    def show_now() -> None:
        publish(session.frame())

    def play_loop():
        if playing.value:
            player.run()
            playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def compute_runs():
        if session.compute_runs() and not player.playing:
            show_now()

    solara.lab.use_task(compute_runs, dependencies=[runs_wanted.value], prefer_threaded=True)

    def pause() -> None:
        player.pause()
        playing.set(False)

    def rebuild(view: str | None = None) -> None:
        """Towns at day 0 for the controls' values (Reset, and every change of a control)."""
        pause()
        session.apply(town.value, campaigns.value, view)
        runs_wanted.set(runs_wanted.value + 1)
        show_now()

    def apply_edits():
        if edits.value == 0:
            return
        version = edits.value
        time.sleep(APPLY_AFTER)
        if version == edits.value:
            rebuild()

    solara.lab.use_task(apply_edits, dependencies=[edits.value], prefer_threaded=True)

    def edit_town(key: str, value) -> None:
        if key == "scenario_file":
            values, lists = session.defaults(value)
            town.set(values)
            campaigns.set(lists)
            view = "side" if session.has_variants(value) else None
            if view:
                tab.set(view)
            rebuild(view)
            return
        town.set({**town.value, key: value})
        edits.set(edits.value + 1)

    def edit_campaign(index: int, key: str, value) -> None:
        lists = [dict(c) for c in campaigns.value]
        lists[index][key] = value
        campaigns.set(lists)
        edits.set(edits.value + 1)

    def choose_tab(name: str) -> None:
        tab.set(name)
        if name in ("one", "side") and name != session.view:
            pause()
            session.set_view(name)
            runs_wanted.set(runs_wanted.value + 1)
            show_now()

    def load_setup(setup: Setup) -> None:
        lists = [dict(c) for c in campaigns.value]
        for i, values in enumerate(setup.campaigns):
            lists[i if setup.view == "one" else i + 1].update({k: values[k] for k in CAMPAIGN_KEYS})
        campaigns.set(lists)
        tab.set(setup.view)
        rebuild(setup.view)

    def on_highlight(index: int, choice: str) -> None:
        session.set_highlight(index, choice)
        if not player.playing:
            show_now()

    def play() -> None:
        player.play()
        playing.set(True)

    def step() -> None:
        if session.step():
            show_now()

    def set_speed(value: float) -> None:
        player.speed = float(value)
        speed.set(float(value))

    def toggle_runs(show: bool) -> None:
        session.set_show_runs(show)
        runs_wanted.set(runs_wanted.value + 1)
        if not player.playing:
            show_now()

    # Start light whatever the system prefers: solara does not tell the server about "auto" dark,
    # which would leave light figures on a dark page. The toggle switches both together.
    solara.use_memo(lambda: setattr(solara.lab.theme, "dark", False), [])
    dark = solara.lab.use_dark_effective()

    def follow_theme():
        if dark != session.dark:
            session.set_theme(dark)
            show_now()

    solara.use_effect(follow_theme, [dark])

    base = scenario_at(session.path(town.value["scenario_file"]))
    solara.Style(CSS)
    solara.Title("wom classroom")
    with solara.AppBar():
        solara.AppBarTitle(f"wom classroom: {base.name}")
        solara.Button(
            "settings", icon_name="mdi-tune", text=True, on_click=lambda: show_settings.set(not show_settings.value)
        )
        solara.lab.ThemeToggle(enable_auto=False)  # "auto" is not reported to the server: figures stay light
    with solara.Row(gap="16px", style={"flex-wrap": "wrap", "align-items": "flex-start"}, classes=["wom-page"]):
        if show_settings.value:
            with solara.Column(classes=["wom-settings-column"]):
                SettingsPanel(
                    town_controls(base, session.files()),
                    campaign_controls(base),
                    town.value,
                    campaigns.value,
                    tab.value == "side",
                    session.show_runs,
                    shown,
                    edit_town=edit_town,
                    edit_campaign=edit_campaign,
                    on_show_runs=toggle_runs,
                )
        with solara.Column(classes=["wom-main"]):
            Transport(
                shown,
                playing.value,
                speed.value,
                next(label for label, name in VIEWS.items() if name == tab.value),
                list(VIEWS),
                on_play=play,
                on_pause=pause,
                on_step=step,
                on_reset=rebuild,
                on_speed=set_speed,
                on_view=lambda label: choose_tab(VIEWS[label]),
            )
            if tab.value == "lesson":
                LessonPanel(load_setup)
            else:
                Stage(shown, on_highlight, player.drawn)


def _warm_up() -> None:
    """Build the start-up scenario's world, layout and first frame while the server starts (it
    imports this module before it accepts connections), so the first page appears fast."""
    with contextlib.suppress(Exception):  # a bad scenario is reported by the page itself
        Session(startup_scenario()).frame()


if os.environ.get(SCENARIO_ENV):  # started by ``wom app``
    _warm_up()
