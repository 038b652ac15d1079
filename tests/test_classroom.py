"""The classroom page without a browser: towns, controls, the session behind a tab, the play loop."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from sim.classroom.charts import Limits, nice_ceiling
from sim.classroom.model import OTHER_RUNS, Tally, Town, other_runs, plural
from sim.classroom.player import Player
from sim.classroom.session import Session
from sim.classroom.settings import campaign_values, classroom_scenario, town_values
from sim.core.model import InfluenceModel
from sim.core.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "scenarios" / "classroom.toml"
SIDE_BY_SIDE = ROOT / "scenarios" / "classroom_macro_vs_micro.toml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(CLASSROOM)


@pytest.fixture(scope="module")
def finished(scenario):
    """Run 2 of the classroom town, stepped to its last day."""
    town = Town(scenario, 2)
    while town.step():
        pass
    return town


# --- towns ----------------------------------------------------------------------------------


def test_a_town_steps_its_campaign_and_no_campaign_twin_in_lockstep(scenario):
    town = Town(scenario, 0)
    alone = InfluenceModel(scenario, campaign=False)
    for _ in range(15):
        town.step()
        alone.step()
    assert town.day == town.baseline.steps == 15
    assert np.array_equal(town.baseline.state.adopted, alone.state.adopted)  # the runner's streams


def test_step_stops_at_the_last_day(finished):
    assert finished.day == finished.days == 60 and finished.finished
    assert finished.step() is False
    assert finished.day == 60 and finished.baseline.steps == 60


def test_curves_agree_with_the_models_records(finished):
    by_source = finished.adopters_by_source()
    assert by_source.shape == (61, len(finished.sources))
    records = finished.campaign.daily_frame()
    assert np.allclose(by_source.sum(axis=1)[1:], records["cumulative_adopters"])
    for j, source in enumerate(finished.sources):  # each source's daily additions, as recorded
        assert np.allclose(np.diff(by_source[:, j]), records[f"new_{source}"])
    without = finished.baseline.daily_frame()["cumulative_adopters"]
    assert np.allclose(finished.without_campaign()[1:], without)


def test_the_page_runs_are_the_replications_of_sim_run(scenario, finished):
    import sim

    runs = other_runs(scenario, 3)
    assert runs.runs == 3 and runs.campaign.shape == (3, 61)
    assert np.allclose(runs.incremental[2], finished.incremental())
    assert not np.allclose(runs.incremental[0], finished.incremental())  # another run, other luck
    daily = sim.run(scenario, replications=3).daily
    for world, curves in (("campaign", runs.campaign), ("baseline", runs.baseline)):
        table = daily[daily.world == world].pivot(index="replication", columns="day", values="cumulative_adopters")
        assert np.allclose(curves[:, 1:], table.to_numpy())


def test_other_runs_stop_when_cancelled(scenario):
    calls = []
    assert other_runs(scenario, 3, lambda: calls.append(1) or len(calls) > 5) is None
    assert len(calls) == 6


def test_tally_and_cost_per_incremental_adopter(finished):
    t = finished.tally()
    assert t.incremental == t.adopters - t.without
    assert t.spend == pytest.approx(sum(inf.spend for inf in finished.campaign.influencers))
    assert t.spend <= t.budget
    assert Tally(3, 60, adopters=500, without=300, spend=123.45, budget=200).cost_per_incremental == pytest.approx(
        0.61725
    )
    assert Tally(3, 60, adopters=300, without=300, spend=50, budget=200).cost_per_incremental is None


def test_tier_reach_counts_each_person_once(finished):
    rows = {r.tier: r for r in finished.tier_rows()}
    frame = finished.campaign.influencer_frame()
    for tier, group in frame.groupby("tier"):
        row = rows[tier]
        assert row.hired == len(group) and row.posts == group["posts"].sum()
        assert row.spend == pytest.approx(group["spend"].sum())
        assert row.conversions == pytest.approx(group["converted"].sum())
        assert row.reach <= group["reach"].sum() + 1e-9  # overlapping audiences count once
        seen = set()
        for inf in finished.campaign.influencers:
            if inf.tier_name == tier:
                seen |= set(inf.audience[inf.seen].tolist())
        assert row.reach == pytest.approx(len(seen) * finished.scale)
    micro = rows["micro"]
    assert micro.reach < frame[frame.tier == "micro"]["reach"].sum()  # the classroom's micro audiences overlap
    records = finished.campaign.records().tier_reach
    assert [r.reach for r in finished.tier_rows()] == pytest.approx(list(records[list(rows)]))


def test_grammar_of_counts(scenario):
    assert plural(1, "influencer") == "1 influencer" and plural(2, "influencer") == "2 influencers"
    one_macro = classroom_scenario(scenario, town_values(scenario, "x"), {**campaign_values(scenario), "budget": 6_000,
                                   "micro_share": 0.0})[0]  # fmt: skip
    assert Town(one_macro).hired() == "1 influencer hired (1 macro)"


# --- controls -------------------------------------------------------------------------------


def test_controls_reproduce_the_scenario(scenario):
    town, campaign = town_values(scenario, "classroom.toml"), campaign_values(scenario)
    assert campaign == {"budget": 16_000, "micro_share": 0.5, "trust": 1.0, "backlash": 0.0}
    built, notes = classroom_scenario(scenario, town, campaign)
    assert notes == []
    assert built.content_hash() == scenario.content_hash()


def test_trust_multiplies_and_caps_backlash_adds(scenario):
    town = town_values(scenario, "x")
    built, _ = classroom_scenario(scenario, town, {**campaign_values(scenario), "trust": 3.0, "backlash": 0.5})
    for name, tier in built.tiers.table.items():
        base = scenario.tiers.table[name]
        assert tier.trust == pytest.approx(min(1.0, 3 * base.trust))
        assert tier.backlash_prob == pytest.approx(min(1.0, base.backlash_prob + 0.5))


def test_a_share_too_small_for_one_post_moves_to_the_other_tier(scenario):
    campaign = {**campaign_values(scenario), "budget": 12_000, "micro_share": 0.9}
    built, notes = classroom_scenario(scenario, town_values(scenario, "x"), campaign)
    assert built.budget.split["macro"] == 0 and built.budget.split["micro"] == 1
    assert len(notes) == 1 and "macro" in notes[0]


def test_more_consumers_than_people_raises_the_population(scenario):
    town = {**town_values(scenario, "x"), "consumers": 60_000}
    built, notes = classroom_scenario(scenario, town, campaign_values(scenario))
    assert built.market.population == 60_000 and "population raised" in notes[0]


# --- the session behind one browser tab -----------------------------------------------------


def test_picking_a_scenario_loads_its_values_and_its_scale():
    session = Session(CLASSROOM)
    trust = load_scenario(ROOT / "scenarios" / "sweep_trust.toml")
    town, campaigns = session.defaults("sweep_trust.toml")
    assert town["consumers"] == trust.market.consumers and town["network_kind"] == trust.network.kind
    assert campaigns[0]["budget"] == round(trust.budget.total)
    session.apply(town, campaigns, "one")
    frame = session.frame()
    assert frame.towns[0].scale == pytest.approx(trust.market.population / trust.market.consumers)
    assert frame.towns[0].tally.budget == trust.budget.total


def test_the_picker_offers_only_file_names_in_the_start_folder(tmp_path):
    shutil.copy(CLASSROOM, tmp_path / "town.toml")
    (tmp_path / "broken.toml").write_text("market = 5\n")
    session = Session(tmp_path / "town.toml")
    assert session.files() == ["town.toml"]
    for name in ("broken.toml", "../town.toml", str(tmp_path / "town.toml"), "missing.toml"):
        with pytest.raises(ValueError):
            session.path(name)


def test_step_in_the_session_stops_at_the_last_day():
    session = Session(CLASSROOM)
    while session.step():
        pass
    frame = session.frame()
    assert frame.day == frame.days == 60 and frame.finished
    assert session.step() is False and session.frame().day == 60


def test_side_by_side_plays_two_campaigns_in_one_town():
    session = Session(SIDE_BY_SIDE)
    assert session.has_variants(SIDE_BY_SIDE.name)
    session.set_view("side")
    a, b = session.towns
    assert (a.label, b.label) == ("macro_only", "micro_only")
    assert set(a.tiers) == {"macro"} and set(b.tiers) == {"micro"}
    assert a.scenario.budget.total == b.scenario.budget.total == 6_000
    for _ in range(20):
        session.step()
    assert a.day == b.day == 20
    assert np.array_equal(a.baseline.state.adopted, b.baseline.state.adopted)  # one town, one no-campaign twin
    assert session.compute_runs()
    frame = session.frame()
    gap = b.tally().incremental - a.tally().incremental
    assert frame.towns[1].tally.incremental - frame.towns[0].tally.incremental == gap
    runs = session.runs
    expected = runs[1].incremental[:, 20] - runs[0].incremental[:, 20]
    assert frame.difference.runs == OTHER_RUNS and frame.difference.mean == pytest.approx(expected.mean())


def test_a_file_without_variants_compares_macro_only_with_micro_only():
    session = Session(CLASSROOM)
    _, campaigns = session.defaults(CLASSROOM.name)
    assert [c["micro_share"] for c in campaigns] == [0.5, 0.0, 1.0]
    assert {c["budget"] for c in campaigns} == {16_000}


def test_other_runs_of_an_old_setting_are_dropped():
    session = Session(CLASSROOM)
    generation, scenarios = session.runs_job()
    session.rebuild()
    assert session.generation == generation + 1
    assert session.compute_runs()  # computes for the new generation
    assert all(r is not None for r in session.runs)


def test_mean_of_runs_on_screen_matches_the_runs():
    session = Session(CLASSROOM)
    session.compute_runs()
    for _ in range(20):
        session.step()
    summary = session.frame().towns[0].runs
    values = session.runs[0].incremental[:, 20]
    assert summary.runs == OTHER_RUNS and summary.mean == pytest.approx(values.mean())
    assert summary.se == pytest.approx(values.std(ddof=1) / np.sqrt(OTHER_RUNS))


def test_axes_only_grow_to_round_numbers():
    assert [nice_ceiling(v) for v in (0.7, 1.0, 1.2, 3.3, 7_200, 19_001)] == [0.8, 1.0, 1.5, 4.0, 8_000, 20_000]
    limits = Limits(1.0)
    assert limits.include(np.array([0.0, 900.0])) and (limits.low, limits.high) == (0.0, 1_000.0)
    assert not limits.include(np.array([10.0, 500.0]))  # a smaller run keeps the scale
    assert limits.include(np.array([-300.0])) and limits.low == -400.0 and limits.high == 1_000.0


# --- play and pause -------------------------------------------------------------------------


class FakeDays:
    """A town of ``days`` days whose frames are numbered 1, 2, ...; records what was shown."""

    def __init__(self, days: int) -> None:
        self.days, self.day, self.shown = days, 0, []
        self.browser_drawn = 0

    def advance(self):
        if self.day >= self.days:
            return None
        self.day += 1
        return type("Frame", (), {"number": self.day})()

    def publish(self, frame) -> None:
        self.shown.append(frame.number)


def test_play_never_runs_more_than_one_frame_ahead_of_the_browser():
    town = FakeDays(40)
    ahead = []

    def publish(frame):
        town.publish(frame)
        ahead.append(frame.number - player.drawn_number)
        threading.Thread(target=player.drawn, args=(frame.number,)).start()  # the browser, later

    player = Player(town.advance, publish, speed=1000, drawn_timeout=60)
    player.play()
    player.run()
    assert town.shown == list(range(1, 41))  # every day shown, in order, then the loop ends
    assert max(ahead) <= 1 and not player.playing  # the next frame goes out only once the last is drawn


def test_pause_stops_at_the_day_the_towns_are_on():
    town = FakeDays(1_000)
    paused = threading.Event()

    def publish(frame):
        town.publish(frame)
        if frame.number == 5:
            player.pause()
            paused.set()
        player.drawn(frame.number)

    player = Player(town.advance, publish, speed=1000, drawn_timeout=60)
    player.play()
    worker = threading.Thread(target=player.run)
    worker.start()
    worker.join(timeout=60)
    assert paused.is_set() and not worker.is_alive()
    assert town.shown[-1] == town.day <= 6  # the page shows the day the town is on: one more at most


def test_a_browser_that_never_answers_does_not_stall_play():
    town = FakeDays(3)
    player = Player(town.advance, town.publish, speed=1000, drawn_timeout=0.01)
    player.play()
    player.run()
    assert town.shown == [1, 2, 3]


# --- the lesson sheet -----------------------------------------------------------------------


def test_side_by_side_names_say_what_differs():
    from sim.classroom.settings import campaign_labels

    base = {"budget": 6_000, "micro_share": 0.0, "trust": 1.0, "backlash": 0.0}
    assert campaign_labels(base, {**base, "micro_share": 1.0}) == ("macro only", "micro only")
    assert campaign_labels({**base, "trust": 0.3}, {**base, "trust": 2.0}) == ("trust x0.3", "trust x2.0")
    assert campaign_labels(base, {**base, "backlash": 1.0, "budget": 8_000}) == (
        "6,000 USD, backlash +0%",
        "8,000 USD, backlash +100%",
    )


@pytest.fixture(scope="module")
def lesson():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lesson_numbers", ROOT / "docs" / "lesson_numbers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.mark.slow
def test_the_lesson_sheet_quotes_the_computed_numbers(lesson):
    doc = (ROOT / "docs" / "classroom.md").read_text(encoding="utf-8")
    assert lesson.lesson_numbers() in doc, "run docs/lesson_numbers.py --write"


@pytest.mark.slow
def test_what_students_should_observe_holds(lesson):
    """The lesson's claims (docs/classroom.md, sim/classroom/lesson.py), checked on runs 0-9."""
    from sim.classroom.lesson import MACRO, MICRO, SCENARIO_BUDGET

    macro, micro = lesson.play(MACRO, "macro"), lesson.play(MICRO, "micro")
    assert micro.reach["micro"].mean() > 2 * macro.reach["macro"].mean()
    assert micro.conversions["micro"].mean() > 2 * macro.conversions["macro"].mean()
    gap = micro.incremental - macro.incremental  # paired: the same runs of the same town
    se = gap.std(axis=0, ddof=1) / np.sqrt(gap.shape[0])
    assert gap[:, 20].mean() > 1.5 * se[20]  # micro adds more by day 20, on average
    assert abs(gap[:, 60].mean()) < 2 * se[60] and gap[:, 60].mean() < gap[:, 20].mean()  # they end close
    assert micro.spend.mean() > macro.spend.mean()
    per = [o.spend.mean() / o.incremental[:, 20].mean() for o in (micro, macro)]
    assert per[0] < per[1]
    assert 0 < macro.incremental[5, 20] < 0.1 * macro.incremental[:, 20].mean()  # run 5: the macro post barely moves

    trust = [lesson.play({**SCENARIO_BUDGET, "trust": t}, f"trust {t}") for t in (0.3, 1.0, 2.0)]
    for tier in ("micro", "macro"):
        assert np.array_equal(trust[0].reach[tier], trust[2].reach[tier])  # the same posts reach the same people
        conversions = [o.conversions[tier].mean() for o in trust]
        assert conversions == sorted(conversions) and conversions[0] < conversions[2]
    added = [o.incremental[:, 20].mean() for o in trust]
    assert added[0] < added[1] < added[2] and added[2] - added[1] < added[1] - added[0]  # saturates

    full, half = (lesson.play({**SCENARIO_BUDGET, "backlash": b}, f"backlash {b}") for b in (1.0, 0.5))
    assert full.incremental[:, 60].mean() < 0 and full.spend.mean() > 0.9 * SCENARIO_BUDGET["budget"]
    assert sum(v.sum() for v in full.conversions.values()) == 0
    assert half.incremental[:, 20].mean() > 0 and half.incremental[:, 60].mean() < trust[1].incremental[:, 60].mean()
