"""What the classroom page shows: solara components that turn a ``Frame`` and the controls into widgets.

Nothing here steps or draws a town (that is ``session.py``); these components only lay out
pictures, numbers and controls. Text is HTML (legends too), so it stays sharp and readable on a
projector and follows the light or dark theme; the pictures are PNGs from the session.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable

import solara

from sim.classroom.lesson import LESSONS, Setup
from sim.classroom.model import OTHER_RUNS
from sim.classroom.player import SPEEDS
from sim.classroom.session import CHART_FORMAT, PICTURE_FORMAT, Frame, RunsSummary, TownFrame
from sim.classroom.settings import Control
from sim.drawing.frames import MIME
from sim.drawing.picture import LegendEntry

GLYPHS = {"^": "▲", "*": "★", "s": "■", "P": "✚", "D": "◆", "_": "━━", "--": "╍╍", "o": "●"}
SPEED = Control("speed", "Speed", "int", SPEEDS[0], SPEEDS[1], 1, lambda v: f"{int(v)} days/s")


@solara.component_vue("drawn_image.vue")
def DrawnImage(src: str, frame: int, alt: str = "", css_class: str = "", event_drawn: Callable[[int], None] = None):
    """An <img> that reports each frame it has put on screen (``player.Player.drawn``)."""


def data_url(image: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(image).decode("ascii")


def money(usd: float) -> str:
    return f"{usd:,.2f} USD"


def people(count: float, sign: bool = False) -> str:
    return f"{count:+,.0f}" if sign else f"{count:,.0f}"


def legend_html(entries: tuple[LegendEntry, ...]) -> str:
    """Legend lines as HTML: readable at any size and in either theme."""
    items = []
    for e in entries:
        stroke = e.colour if e.hollow else (e.edge if e.edge not in ("none", "black") else "")
        style = f"color:{'transparent' if e.hollow else e.colour};"
        style += f"-webkit-text-stroke:1.5px {stroke};" if stroke else ""
        glyph = GLYPHS.get(e.marker, "●")
        items.append(f'<span class="wom-key"><span style="{style}">{glyph}</span> {e.label}</span>')
    return "".join(items)


def headline_html(town: TownFrame) -> str:
    """The lesson's numbers: incremental adopters, their cost, and the mean of the other runs."""
    t = town.tally
    per = t.cost_per_incremental
    cost = f"{money(per)} per incremental adopter" if per is not None else "no incremental adopter yet"
    rows = [
        f'<div class="wom-incremental">Incremental: {people(t.incremental, sign=True)} people</div>',
        f'<div class="wom-cost">Spent {money(t.spend)} of {t.budget:,.0f} USD: {cost}</div>',
    ]
    if town.runs is not None:
        rows.append(runs_html(town.runs, " incremental"))
    return "".join(rows)


def runs_html(runs: RunsSummary, after: str = "") -> str:
    """The mean of the other runs on this day, with its standard error."""
    return (
        f'<div class="wom-runs">Mean of runs 0-{runs.runs - 1} on this day: {people(runs.mean, sign=True)} '
        f"(&plusmn; {runs.se:,.0f}){after}</div>"
    )


def details_html(town: TownFrame) -> str:
    t = town.tally
    return (
        f"<div>Adopters: <b>{people(t.adopters)}</b> with the campaign, <b>{people(t.without)}</b> without</div>"
        f"<div>{town.hired}; one dot is {people(town.scale)} people</div>"
    )


def tiers_html(town: TownFrame) -> str:
    if not town.tiers:
        return ""
    head = "<tr><th>tier</th><th>hired</th><th>posts</th><th>unique reach</th><th>conversions</th><th>spend, USD</th>"
    body = "".join(
        f"<tr><td>{r.tier}</td><td>{r.hired:,}</td><td>{r.posts:,}</td><td>{people(r.reach)}</td>"
        f"<td>{people(r.conversions)}</td><td>{r.spend:,.2f}</td></tr>"
        for r in town.tiers
    )
    return f'<table class="wom-tiers"><tr>{head}</tr>{body}</table>'


def difference_html(frame: Frame) -> str:
    a, b = (t.tally for t in frame.towns)
    lines = [
        f'<div class="wom-incremental">B minus A: {people(b.incremental - a.incremental, sign=True)} '
        "incremental adopters</div>",
        f"<div>Spent: A {money(a.spend)}, B {money(b.spend)}</div>",
    ]
    if frame.difference is not None:
        lines.append(runs_html(frame.difference))
    return "".join(lines)


def Html(text: str, *classes: str):
    return solara.HTML("div", unsafe_innerHTML=text, classes=list(classes))


@solara.component
def Setting(control: Control, value, on_value: Callable):
    """A control with its value always written beside its label."""
    with solara.Column(gap="0px", classes=["wom-control"]):
        with solara.Row(justify="space-between", classes=["wom-control-label"]):
            solara.Text(control.label)
            if control.kind != "select":
                solara.Text(control.show(value), classes=["wom-value", f"wom-value-{control.key}"])
        if control.kind == "select":
            solara.Select(label="", values=list(control.values), value=value, on_value=on_value, dense=True)
        elif control.kind == "int":
            solara.SliderInt(
                "", value=int(value), min=int(control.low), max=int(control.high), step=int(control.step),
                on_value=on_value, thumb_label=False,
            )  # fmt: skip
        else:
            solara.SliderFloat(
                "", value=float(value), min=control.low, max=control.high, step=control.step,
                on_value=on_value, thumb_label=False,
            )  # fmt: skip


@solara.component
def Transport(
    shown: solara.Reactive,
    playing: bool,
    speed: float,
    view: str,
    views: list[str],
    *,
    on_play,
    on_pause,
    on_step,
    on_reset,
    on_speed,
    on_view,
):
    """The day counter, Reset / Play-Pause / Step and the speed: always at the top."""
    frame: Frame = shown.value
    with solara.Row(gap="10px", classes=["wom-transport"], style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Text(f"Day {frame.day} of {frame.days}", classes=["wom-day"])
        solara.Button("Reset", on_click=on_reset, color="primary", classes=["wom-reset"])
        if playing:
            solara.Button("❚❚ Pause", on_click=on_pause, color="primary", classes=["wom-pause"])
        else:
            solara.Button("▶ Play", on_click=on_play, color="primary", disabled=frame.finished, classes=["wom-play"])
        solara.Button(
            "Step", on_click=on_step, color="primary", disabled=playing or frame.finished, classes=["wom-step"]
        )
        with solara.Column(classes=["wom-speed"]):
            shown_rate = f" (now {frame.rate:.1f})" if playing and frame.rate is not None else ""
            Setting(dataclasses.replace(SPEED, label=SPEED.label + shown_rate), int(speed), on_speed)
        solara.ToggleButtonsSingle(view, values=views, on_value=on_view, classes=["wom-views"])


@solara.component
def TownView(town: TownFrame, frame: Frame, index: int, on_highlight: Callable, on_drawn: Callable):
    with solara.Column(gap="2px", classes=["wom-town"]):
        if frame.view == "side":
            solara.Text(f"{'AB'[index]}: {town.label}", classes=["wom-town-title", f"wom-town-{'ab'[index]}"])
        DrawnImage(
            src=data_url(town.picture, MIME[PICTURE_FORMAT]),
            frame=frame.number,
            alt=f"the town's social network on day {frame.day}",
            css_class="wom-network",
            event_drawn=on_drawn,
        )
        solara.Select(
            "Highlight the audience of",
            values=list(town.choices),
            value=town.highlight,
            on_value=lambda choice: on_highlight(index, choice),
            dense=True,
        )


@solara.component
def TownNumbers(town: TownFrame, headline: bool = True):
    with solara.Column(gap="2px"):
        if headline:
            Html(headline_html(town), "wom-tally")
        Html(details_html(town), "wom-tally")
        Html(tiers_html(town))
        for note in town.notes:
            solara.Warning(note, dense=True)
        solara.Text(town.settings, classes=["wom-settings"])


@solara.component
def Stage(shown: solara.Reactive, on_highlight: Callable, on_drawn: Callable):
    """The towns, the chart, the numbers and the legends of the current frame."""
    frame: Frame = shown.value
    wrap = {"flex-wrap": "wrap", "align-items": "flex-start"}
    if frame.view == "one":
        town = frame.towns[0]
        with solara.Row(classes=["wom-stage"], style=wrap):
            with solara.Column(gap="2px", classes=["wom-column"]):
                TownView(town, frame, 0, on_highlight, on_drawn)
                Html(legend_html(frame.network_legend), "wom-legend")
            with solara.Column(gap="2px", classes=["wom-column"]):
                Html(headline_html(town), "wom-tally")
                Html(f'<img class="wom-chart" alt="chart" src="{data_url(frame.chart, MIME[CHART_FORMAT])}">')
                Html(legend_html(frame.chart_legend), "wom-legend")
                TownNumbers(town, headline=False)
    else:
        with solara.Row(classes=["wom-stage"], style=wrap):
            for i, town in enumerate(frame.towns):
                with solara.Column(gap="2px", classes=["wom-column", "wom-column-side"]):
                    TownView(town, frame, i, on_highlight, on_drawn if i == 0 else lambda _n: None)
                    TownNumbers(town)
            with solara.Column(gap="2px", classes=["wom-column", "wom-column-side"]):
                Html(difference_html(frame), "wom-tally", "wom-difference")
                Html(f'<img class="wom-chart" alt="chart" src="{data_url(frame.chart, MIME[CHART_FORMAT])}">')
                Html(legend_html(frame.chart_legend), "wom-legend")
        Html(legend_html(frame.network_legend), "wom-legend")
    if frame.aggregated:
        solara.Info(
            "A large town: each circle is a niche (size: consumers; green and percentage: share adopted), "
            "so the page stays fast."
        )


@solara.component
def LessonPanel(on_setup: Callable[[Setup], None]):
    with solara.Column(classes=["wom-lesson"]):
        solara.Text(
            "For scenarios/classroom.toml: 500 dots for a town of 50,000, strong word of mouth (exaggerated for "
            "teaching). Each button loads its settings and opens its view; then press Play."
        )
        for lesson in LESSONS:
            with solara.Card(lesson.title):
                solara.Text(lesson.question, classes=["wom-question"])
                with solara.Row(style={"flex-wrap": "wrap"}):
                    for setup in lesson.setups:
                        solara.Button(setup.label, on_click=lambda s=setup: on_setup(s), outlined=True)
                Html("<b>Try</b><ul>" + "".join(f"<li>{t}</li>" for t in lesson.try_) + "</ul>")
                Html("<b>Notice</b><ul>" + "".join(f"<li>{t}</li>" for t in lesson.notice) + "</ul>")


@solara.component
def RunsNote(shown: solara.Reactive):
    """Says when the faint runs are still being computed (a small component: it redraws every frame)."""
    if shown.value.runs_pending:
        solara.Text(f"computing runs 0-{OTHER_RUNS - 1} ...", classes=["wom-note"])


@solara.component
def SettingsPanel(
    town_controls: list[Control],
    campaign_controls: list[Control],
    town: dict,
    campaigns: list[dict],
    side: bool,
    show_runs: bool,
    shown: solara.Reactive,
    *,
    edit_town: Callable,
    edit_campaign: Callable,
    on_show_runs: Callable,
):
    with solara.Column(gap="8px", classes=["wom-settings-panel"]):
        solara.Checkbox(
            label=f"Show runs 0-{OTHER_RUNS - 1} (faint) and their mean", value=show_runs, on_value=on_show_runs
        )
        RunsNote(shown)
        with solara.Card("Town (shared)", classes=["wom-card"]):
            for control in town_controls:
                Setting(control, town[control.key], lambda v, k=control.key: edit_town(k, v))
        for index in [1, 2] if side else [0]:
            with solara.Card("Campaign" if index == 0 else f"Campaign {'AB'[index - 1]}", classes=["wom-card"]):
                for control in campaign_controls:
                    value = campaigns[index][control.key]
                    Setting(control, value, lambda v, i=index, k=control.key: edit_campaign(i, k, v))
