"""Parameter uncertainty reaches `wom compare` and `wom sweep`: every replication draws its own
parameters from the scenario's ``[uncertain]`` table (the same draw for every variant or point,
so comparisons stay paired), the same seed gives the same draws, and the reports say that their
intervals cover assumptions as well as simulation noise."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.experiments.compare import compare, comparison_text
from sim.experiments.spec import experiment_from_dict
from sim.experiments.sweep import sweep, sweep_text
from sim.reporting import runner

from .conftest import small

CONVERSION = {"min": 0.002, "max": 0.1, "log": True}


def scenario_data(uncertain: bool = True) -> dict:
    data = small(
        name="drawn",
        replications=3,
        market={"population": 5_000, "consumers": 500, "days": 20},
        network={"niches": 3},
        budget={"total": 5_000, "split": {"nano": 0.5, "micro": 0.5}},
        contracts={"start_day": 3, "interval_days": 5},
    )
    if uncertain:
        data["uncertain"] = {"parameters": {"influence.conversion": CONVERSION}}
    return data


@pytest.fixture
def drawn(monkeypatch):
    """(replication, conversion) of every run, as the runner's replication function saw it."""
    seen: list[tuple[int, float]] = []
    real = runner.for_replication

    def spy(scenario, replication):
        out = real(scenario, replication)
        seen.append((replication, out.influence.conversion))
        return out

    monkeypatch.setattr(runner, "for_replication", spy)
    return seen


def per_replication(seen: list[tuple[int, float]]) -> dict[int, float]:
    """The one conversion drawn for each replication (every variant or point draws the same)."""
    frame = pd.DataFrame(seen, columns=["replication", "conversion"])
    assert (frame.groupby("replication")["conversion"].nunique() == 1).all(), "a replication's draw differs"
    return frame.groupby("replication")["conversion"].first().to_dict()


def compare_experiment(uncertain: bool = True):
    data = scenario_data(uncertain)
    data["variants"] = {
        "all_nano": {"budget": {"split": {"nano": 1.0, "micro": 0.0}}},
        "all_micro": {"budget": {"split": {"nano": 0.0, "micro": 1.0}}},
    }
    return experiment_from_dict(data, "drawn.toml")


def sweep_experiment(uncertain: bool = True):
    data = scenario_data(uncertain)
    data["experiment"] = {"design": "grid", "parameters": {"word_of_mouth.q": [0.2, 0.8]}}
    return experiment_from_dict(data, "drawn.toml")


def test_compare_draws_each_replications_parameters(tmp_path, drawn):
    first = compare(compare_experiment(), workers=1, out=tmp_path / "one", progress=False)
    draws = per_replication(drawn)
    assert len(drawn) == 2 * 3 and len(set(draws.values())) == 3  # two variants x three replications
    assert all(CONVERSION["min"] <= v <= CONVERSION["max"] for v in draws.values())
    drawn.clear()
    again = compare(compare_experiment(), workers=1, out=tmp_path / "two", progress=False)
    assert per_replication(drawn) == draws  # same seed, same draws
    pd.testing.assert_frame_equal(first.runs, again.runs, check_exact=True)
    fixed = compare(compare_experiment(uncertain=False), workers=1, out=tmp_path / "fixed", progress=False)
    assert not first.runs["adopters"].equals(fixed.runs["adopters"])  # the draws reach the model


def test_sweep_draws_each_replications_parameters(tmp_path, drawn):
    first = sweep(sweep_experiment(), workers=1, out=tmp_path / "one", progress=False)
    draws = per_replication(drawn)
    assert len(drawn) == 2 * 3 and len(set(draws.values())) == 3  # two points x three replications
    drawn.clear()
    again = sweep(sweep_experiment(), workers=1, out=tmp_path / "two", progress=False)
    assert per_replication(drawn) == draws
    pd.testing.assert_frame_equal(first.runs, again.runs, check_exact=True)
    fixed = sweep(sweep_experiment(uncertain=False), workers=1, out=tmp_path / "fixed", progress=False)
    assert not first.runs["adopters"].equals(fixed.runs["adopters"])


def test_compare_and_sweep_reports_say_their_intervals_cover_assumptions(tmp_path):
    with_draws = comparison_text(compare(compare_experiment(), workers=1, out=tmp_path / "c", progress=False))
    assert "parameter uncertainty" in with_draws and "influence.conversion" in with_draws
    fixed = comparison_text(compare(compare_experiment(False), workers=1, out=tmp_path / "f", progress=False))
    assert "simulation noise only" in fixed and "parameter uncertainty" not in fixed
    text = sweep_text(sweep(sweep_experiment(), workers=1, out=tmp_path / "s", progress=False))
    assert "parameter uncertainty" in text and "influence.conversion" in text
