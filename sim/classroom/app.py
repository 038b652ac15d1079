"""The classroom page (``wom app``): a Mesa SolaraViz page over ``InfluenceModel``.

A class watches the network light up day by day, next to a chart of adopters by source
against the same market with no campaign (stepped in lockstep on the same random streams),
then moves a slider and presses Reset to run it again. Everything the browser loads is
served by the local solara server (see docs/classroom.md): the figures are server-side
matplotlib PNGs, so the page needs no JavaScript beyond solara's own, locally installed assets.

``serve`` starts ``solara run sim.classroom.app`` as a child process; the scenario and the folder for
the scenario picker are passed through environment variables.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import OrderedDict
from pathlib import Path

import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.core.errors import InputError
from sim.core.model import InfluenceModel
from sim.core.scenario import NetworkKind, Scenario, load_scenario, scenario_from_dict
from sim.core.world import World
from sim.drawing.picture import AGGREGATE_ABOVE, Blitter, NetworkPicture, source_colour

SCENARIO_ENV = "WOM_APP_SCENARIO"
DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "classroom.toml"
NETWORK_KINDS = [k for k in NetworkKind.__args__ if k != "file"]
MAX_CONSUMERS = 10_000
SOURCE_LABELS = {
    "baseline": "baseline (other channels)",
    "word_of_mouth": "word of mouth",
    "referral": "referral codes",
}

_worlds: OrderedDict[tuple[str, int], World] = OrderedDict()
_worlds_lock = threading.Lock()


# --- the model behind the page ----------------------------------------------------------


def startup_scenario() -> Path:
    """The scenario ``wom app`` was started with (or the classroom scenario)."""
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


def scenario_files(folder: Path) -> dict[str, Path]:
    """Valid scenario files in ``folder`` by file name: the page's scenario picker."""
    files = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            load_scenario(path)
        except InputError:
            continue
        files[path.name] = path
    return files


def resolve_scenario_file(name: str) -> Path:
    """A path, or a file name in the start-up scenario's folder (the picker's values)."""
    in_folder = startup_scenario().parent / name
    return in_folder if Path(name).name == name and in_folder.is_file() else Path(name)


def classroom_scenario(
    base: Scenario,
    *,
    budget: float | None = None,
    micro_share: float | None = None,
    trust: float = 1.0,
    word_of_mouth: float = 1.0,
    backlash: float = 0.0,
    network_kind: str | None = None,
    consumers: int | None = None,
    source: str = "<page>",
) -> tuple[Scenario, list[str]]:
    """``base`` with the page's controls applied, and notes on anything adjusted to stay valid.

    ``trust`` and ``word_of_mouth`` multiply the scenario's values, ``backlash`` adds to every
    tier's backlash chance per post, ``micro_share`` splits the budget between micro and macro
    influencers; ``None`` keeps the scenario's value.
    """
    data = base.resolved()
    data.pop("variants", None)
    notes: list[str] = []
    market, net = data["market"], data["network"]
    if consumers is not None:
        market["consumers"] = int(consumers)
        if consumers > market["population"]:
            market["population"] = int(consumers)
            notes.append(f"population raised to {consumers:,} (one simulated consumer per person)")
    if network_kind is not None and network_kind != net["kind"]:
        net["kind"] = network_kind
    tiers = {name: t for name, t in data["tiers"].items() if name != "preset"}
    for tier in tiers.values():
        tier["trust"] = float(min(1.0, tier["trust"] * trust))
        tier["backlash_prob"] = float(min(1.0, tier["backlash_prob"] + backlash))
    wom = data["word_of_mouth"]
    wom["q"] = wom["q"] * word_of_mouth
    wom["tie_prob"] = float(min(0.95, wom["tie_prob"] * word_of_mouth))
    b = data["budget"]
    if budget is not None:
        b["total"] = float(budget)
        data["referral"]["budget"] = min(data["referral"]["budget"], b["total"])
    if micro_share is not None:
        b["split_unit"] = "share"
        b["split"] = _affordable_split(tiers, b["total"] - data["referral"]["budget"], micro_share, notes)
        if not any(b["split"].values()):
            b["total"] = data["referral"]["budget"]
    return scenario_from_dict(data, source), notes


def _affordable_split(tiers: dict, fees: float, micro_share: float, notes: list[str]) -> dict[str, float]:
    """Micro/macro shares; a tier whose money buys no post gives it to the other tier."""
    share = {"micro": float(micro_share), "macro": 1.0 - float(micro_share)}
    cheapest = {t: tiers[t]["followers_min"] * tiers[t]["cost_per_follower"] for t in share}
    for tier, other in (("micro", "macro"), ("macro", "micro")):
        amount = share[tier] * fees
        if 0 < amount < cheapest[tier]:
            notes.append(f"{amount:,.0f} USD buys no {tier} post (from {cheapest[tier]:,.0f} USD): moved to {other}")
            share[other] += share[tier]
            share[tier] = 0.0
    for tier in share:
        if 0 < share[tier] * fees < cheapest[tier]:
            notes.append(f"a budget of {fees:,.0f} USD buys no post: no campaign")
            return {"micro": 0.0, "macro": 0.0}
    return share


def cached_world(scenario: Scenario) -> World:
    """The world for a scenario, built once per content and seed (resets reuse it)."""
    key = (scenario.content_hash(), scenario.seed)
    with _worlds_lock:
        if key in _worlds:
            _worlds.move_to_end(key)
            return _worlds[key]
    world = World.build(scenario)
    with _worlds_lock:
        _worlds[key] = world
        while len(_worlds) > 8:
            _worlds.popitem(last=False)
    return world


class ClassroomModel(InfluenceModel):
    """The campaign world stepped in lockstep with its no-campaign twin, from the page's controls.

    Both worlds share the graph and the random streams of replication ``run``, so the gap
    between them is the campaign's incremental effect, not noise.
    """

    def __init__(
        self,
        scenario_file: str = str(DEFAULT_SCENARIO),
        budget: float | None = None,
        micro_share: float | None = None,
        trust: float = 1.0,
        word_of_mouth: float = 1.0,
        backlash: float = 0.0,
        network_kind: str | None = None,
        consumers: int | None = None,
        run: int = 0,
    ) -> None:
        path = resolve_scenario_file(scenario_file)
        scenario, self.notes = classroom_scenario(
            load_scenario(path),
            budget=budget,
            micro_share=micro_share,
            trust=trust,
            word_of_mouth=word_of_mouth,
            backlash=backlash,
            network_kind=network_kind,
            consumers=consumers,
            source=str(path),
        )
        world = cached_world(scenario)
        super().__init__(scenario, replication=int(run), world=world)
        self.factors = {"trust": trust, "word_of_mouth": word_of_mouth, "backlash": backlash}
        self.baseline = InfluenceModel(scenario, replication=int(run), campaign=False, world=world)
        self._drawn = threading.Condition()
        self.drawn_update: int | None = None  # the last page update drawn; None: no page shows us

    def step(self) -> None:
        self.wait_for_page()
        super().step()
        self.baseline.step()

    def drawn(self, update: int) -> None:
        """The page calls this once it has drawn the state of page update ``update``."""
        with self._drawn:
            self.drawn_update = max(update, self.drawn_update or 0)
            self._drawn.notify_all()

    def wait_for_page(self, timeout: float = 2.0) -> None:
        """Pace Play to the drawing. SolaraViz's play loop steps as fast as it can, so without
        this the class would see day 0, a few random days and the last day, nothing between."""
        with self._drawn:
            if self.drawn_update is not None:
                latest = update_counter.value
                self._drawn.wait_for(lambda: self.drawn_update >= latest, timeout)

    def describe(self) -> str:
        """The settings of this run in one line (the sliders show no numbers)."""
        sc, f = self.scenario, self.factors
        split = sc.budget.split
        shares = ", ".join(f"{share:.0%} {tier}" for tier, share in split.items() if share > 0) or "no influencers"
        return (
            f"{sc.name}: budget {sc.budget.total:,.0f} USD ({shares}); trust x{f['trust']:g}; "
            f"word of mouth x{f['word_of_mouth']:g}; backlash +{f['backlash']:g} per post; "
            f"{sc.network.kind} network of {self.world.n:,} consumers; run {self.replication}"
        )

    def tally(self) -> dict[str, float]:
        """So far, in people and USD: adopters with and without the campaign, and spend."""
        adopters = float(self.state.adopted.sum()) * self.scale
        without = float(self.baseline.state.adopted.sum()) * self.scale
        spend = sum(self.datacollector.model_vars["spend"])
        return {"adopters": adopters, "baseline": without, "incremental": adopters - without, "spend": spend}


def default_controls(scenario: Scenario) -> dict:
    """The controls' start values: those that reproduce ``scenario`` on a micro/macro split."""
    split = scenario.budget.split
    micro, macro = split.get("micro", 0.0), split.get("macro", 0.0)
    return {
        "budget": int(round(scenario.budget.total)),
        "micro_share": round(micro / (micro + macro), 2) if micro + macro > 0 else 0.5,
        "trust": 1.0,
        "word_of_mouth": 1.0,
        "backlash": 0.0,
        "network_kind": scenario.network.kind,
        "consumers": scenario.market.consumers,
        "run": 0,
    }


def model_params(path: Path) -> dict:
    """SolaraViz's controls: the scenario picker and sliders, starting at ``path``'s values."""
    scenario = load_scenario(path)
    start = default_controls(scenario)
    kinds = NETWORK_KINDS + (["file"] if scenario.network.kind == "file" else [])
    top_budget = int(max(50_000, 2 * start["budget"]))
    return {
        "scenario_file": {
            "type": "Select",
            "value": path.name,
            "values": list(scenario_files(path.parent)) or [path.name],
            "label": "Scenario",
        },
        "budget": slider("Budget, USD", start["budget"], 0, top_budget, 500),
        "micro_share": slider("Micro share of budget (rest: macro)", start["micro_share"], 0.0, 1.0, 0.05),
        "trust": slider("Trust in influencers (x scenario)", 1.0, 0.0, 3.0, 0.1),
        "word_of_mouth": slider("Word-of-mouth strength (x scenario)", 1.0, 0.0, 3.0, 0.1),
        "backlash": slider("Extra backlash chance per post", 0.0, 0.0, 1.0, 0.05),
        "network_kind": {"type": "Select", "value": start["network_kind"], "values": kinds, "label": "Network"},
        "consumers": slider(
            "Consumers (network size)", start["consumers"], 100, max(MAX_CONSUMERS, start["consumers"]), 100
        ),
        "run": slider("Run (random streams)", 0, 0, 19, 1),
    }


def slider(label: str, value, low, high, step) -> dict:
    kind = "SliderFloat" if isinstance(step, float) else "SliderInt"
    return {"type": kind, "value": value, "min": low, "max": high, "step": step, "label": label}


# --- what the page shows ----------------------------------------------------------------


class AdoptionChart:
    """Cumulative adopters by source (stacked) against the no-campaign world (dashed)."""

    def __init__(self, model: ClassroomModel) -> None:
        hired = {inf.tier_name for inf in model.influencers}
        always = {"baseline", "word_of_mouth", "referral" if model.scenario.referral.enabled else "baseline"}
        self.sources = model.source_names
        self.shown = [i for i, s in enumerate(self.sources) if s in always or s in hired]
        self.people = model.world.n * model.scale
        self.figure = Figure(figsize=(6.0, 4.4), dpi=100)
        ax = self.axes = self.figure.add_axes((0.14, 0.3, 0.82, 0.63))
        self.areas = [
            ax.fill_between(
                [0, 0],
                0,
                0,
                color=source_colour(self.sources[i]),
                alpha=0.9,
                lw=0,
                label=SOURCE_LABELS.get(self.sources[i], f"{self.sources[i]} influencers"),
            )
            for i in self.shown
        ]
        (self.without,) = ax.plot([0], [0], color="black", ls="--", lw=1.8, label="no campaign (same market)")
        ax.set_xlim(0, model.days)
        ax.set_xlabel("day")
        ax.set_ylabel("adopters (people)")
        ax.set_title("Adopters by source vs no campaign", fontsize=11)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.15), ncol=2, fontsize=8, frameon=False)
        self.top = 0.0
        self.blitter = Blitter(self.figure, [*self.areas, self.without])
        self.lock = threading.Lock()

    def update(self, model: ClassroomModel) -> None:
        # The play loop may step the model while we draw: copy the records and align both worlds.
        recorded = model.datacollector.model_vars
        columns = [list(recorded[f"new_{s}"]) for s in self.sources]
        without_rows = list(model.baseline.datacollector.model_vars["cumulative_adopters"])
        done = min(len(without_rows), *(len(c) for c in columns))
        days = np.arange(done + 1)
        new = np.array([c[:done] for c in columns], dtype=float).T.reshape(done, len(self.sources))
        cumulative = np.vstack([np.zeros(len(self.sources)), np.cumsum(new, axis=0)])
        stacked = np.cumsum(cumulative[:, self.shown], axis=1)
        without = np.array([0.0, *without_rows[:done]])
        with self.lock:
            lower = np.zeros(days.size)
            for area, upper in zip(self.areas, stacked.T, strict=True):
                area.set_data(days, lower, upper)
                lower = upper
            self.without.set_data(days, without)
            needed = max(float(lower[-1]), float(without[-1]), model.scale)
            if needed > self.top:  # rescale rarely: a new axis means a full redraw
                self.top = min(needed * 1.6, self.people * 1.02)
                self.axes.set_ylim(0, self.top)
                self.blitter.invalidate()

    def png(self) -> bytes:
        with self.lock:
            return self.blitter.png()


def audience_choices(model: ClassroomModel) -> dict[str, list[int]]:
    """Options of the audience highlight: none, a whole tier, or one influencer."""
    choices: dict[str, list[int]] = {"none": []}
    for tier in dict.fromkeys(inf.tier_name for inf in model.influencers):
        choices[f"all {tier} influencers"] = [i.index for i in model.influencers if i.tier_name == tier]
    for inf in model.influencers:
        choices[f"{inf.tier_name} #{inf.index} ({inf.followers:,.0f} followers)"] = [inf.index]
    return choices


@solara.component
def NetworkView(model: ClassroomModel):
    """The social graph coloured by funnel state, influencers by tier, one audience outlined."""
    update_counter.get()
    chosen = solara.use_reactive("none")
    picture = solara.use_memo(
        lambda: NetworkPicture(model.world, [inf.tier_name for inf in model.influencers]), [model]
    )
    choices = audience_choices(model)
    key = chosen.value if chosen.value in choices else "none"
    day = model.steps
    picture.update(model.state, model.influencers, day, highlight=choices[key])
    update = update_counter.value
    solara.use_effect(lambda: model.drawn(update), [model, update])  # runs once the picture is on the page
    with solara.Column(style={"padding": "4px"}):
        solara.Select("Highlight the audience of", values=list(choices), value=key, on_value=chosen.set)
        png = solara.use_memo(picture.png, [model, update_counter.value, key])
        solara.Image(png, format="png", classes=["wom-network"])
        if picture.aggregated:
            solara.Info(
                f"{model.world.n:,} consumers is more than {AGGREGATE_ABOVE:,}: each circle is a niche "
                "(size: consumers; green: share adopted), so the page stays fast."
            )


@solara.component
def AdoptionView(model: ClassroomModel):
    """The adoption chart and the running tally: day, adopters, incremental adopters, spend."""
    update_counter.get()
    chart = solara.use_memo(lambda: AdoptionChart(model), [model])
    chart.update(model)
    t = model.tally()
    per = f"{t['spend'] / t['incremental']:,.0f} USD per incremental adopter" if t["incremental"] > 0 else "-"
    with solara.Column(style={"padding": "4px"}):
        solara.Text(
            f"Day {model.steps} of {model.days}",
            classes=["wom-day"],
            style={"font-size": "20px", "font-weight": "bold"},
        )
        solara.Image(solara.use_memo(chart.png, [model, update_counter.value]), format="png", classes=["wom-chart"])
        solara.Text(f"Adopters with the campaign: {t['adopters']:,.0f} people")
        solara.Text(f"Adopters with no campaign: {t['baseline']:,.0f} people")
        solara.Text(f"Incremental adopters so far: {t['incremental']:+,.0f} people", style={"font-weight": "bold"})
        solara.Text(f"Spend so far: {t['spend']:,.0f} USD ({per})")
        solara.Text(f"{len(model.influencers)} influencers hired; one dot is {model.scale:,.0f} people")
        solara.Text(f"Settings: {model.describe()}", classes=["wom-settings"], style={"color": "#555"})
        for note in model.notes:
            solara.Warning(note)


@solara.component
def Page():
    """One page per browser session, each with its own model."""
    path = startup_scenario()
    params = solara.use_memo(lambda: model_params(path), [])
    model = solara.use_memo(
        lambda: ClassroomModel(**{k: v["value"] if isinstance(v, dict) else v for k, v in params.items()}), []
    )
    SolaraViz(
        model,
        components=[NetworkView, AdoptionView],
        model_params=params,
        name=f"wom classroom: {path.stem}",
        play_interval=1,
    )


# --- the server ---------------------------------------------------------------------------


def free_port(host: str, preferred: int = 8765) -> int:
    """``preferred`` if it is free on ``host``, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError(f"no free port on {host}")


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if ``wom app`` dies, so no server is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def serve(scenario: Path, host: str = "127.0.0.1", port: int | None = None, wait: float = 120.0) -> int:
    """Run the page's solara server as a child process until it stops or we are stopped."""
    port = free_port(host) if port is None else port
    env = {**os.environ, SCENARIO_ENV: str(scenario.resolve()), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}
    command = [sys.executable, "-m", "solara", "run", "sim.classroom.app", "--host", host, "--port", str(port)]
    command += ["--no-open", "--no-check-version", "--production", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)
    url = f"http://{host}:{port}/"
    print(f"wom classroom page: {url}  (server pid {server.pid}; Ctrl-C stops it)", flush=True)

    def stop(signum, _frame):
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    deadline = time.monotonic() + wait
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with direct.open(url, timeout=2):
                print(f"ready: open {url} in a browser", flush=True)
                break
        except OSError:
            time.sleep(0.3)
    return server.wait()


def app_main(scenario: Path | None, port: int | None, host: str) -> int:
    """``wom app``: check the scenario, then serve the page until stopped."""
    path = scenario or DEFAULT_SCENARIO
    load_scenario(path)  # bad input stops here with one line, before any server starts
    return serve(path, host, port)
