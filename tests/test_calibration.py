"""Calibration and parameter uncertainty: reproducible posteriors, per-replication draws that
leave the simulation's own random numbers alone, wider bands, the calibrated scenario's round
trip, and recovery of known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.core.errors import InputError
from sim.core.scenario import Scenario, as_scenario, scenario_from_dict
from sim.inference import draws
from sim.inference.calibrate import calibrate, weighted_quantiles
from sim.inference.campaign import Campaign, read_campaign
from sim.inference.simulator import CampaignSimulator
from sim.reporting.runner import run

TRUTH = {"influence.conversion": 0.02, "word_of_mouth.q": 0.5}
PRIORS = {
    "influence.conversion": {"min": 0.002, "max": 0.2, "log": True},
    "word_of_mouth.q": {"min": 0.0, "max": 1.5},
}


def small_scenario(**extra) -> Scenario:
    data = {
        "name": "small",
        "seed": 5,
        "replications": 8,
        "market": {"population": 10_000, "consumers": 1_000, "days": 30},
        "network": {"niches": 3},
        "budget": {"total": 10_000, "split": {"nano": 0.5, "micro": 0.5}},
        "contracts": {"start_day": 5, "interval_days": 5},
        **extra,
    }
    return scenario_from_dict(data)


def creators() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    tiers = ["nano"] * 4 + ["micro"] * 4
    followers = [3000, 5000, 7000, 9000, 15_000, 25_000, 35_000, 45_000]
    return pd.DataFrame(
        {
            "handle": [f"@c{i}" for i in range(8)],
            "tier": tiers,
            "followers": followers,
            "fee_per_post": [f / 100 for f in followers],
            "reach_rate": 0.3,
            "engagement_rate": rng.uniform(0.005, 0.05, 8),
            "posts": [1, 2] * 4,
        }
    )


@pytest.fixture(scope="module")
def campaign_files(tmp_path_factory):
    """A synthetic past campaign simulated at TRUTH, written as a platform export would be."""
    folder = tmp_path_factory.mktemp("campaign")
    sc = small_scenario()
    table = creators()
    truth = Campaign("truth", table, table[["handle", "tier", "posts"]], sales=np.zeros(30))
    sim = CampaignSimulator(sc, truth).simulate(TRUTH, replication=99)
    export = table[["handle", "tier", "followers", "fee_per_post", "posts"]].assign(
        impressions=sim.impressions.round(), engagements=sim.engagements.round(), orders=sim.orders.round()
    )
    export.to_csv(folder / "campaign.csv", index=False)
    pd.DataFrame({"day": range(1, 31), "sales": sim.sales.round()}).to_csv(folder / "sales.csv", index=False)
    return folder / "campaign.csv", folder / "sales.csv"


def quick(campaign_files, **settings):
    data, sales = campaign_files
    options = {"particles": 20, "generations": 2, "predictive": 10, "priors": PRIORS, **settings}
    return calibrate(small_scenario(), data, sales=sales, **options)


@pytest.mark.slow  # a process pool
def test_posterior_is_identical_on_one_and_two_workers(campaign_files):
    """Each particle is seeded in order from the scenario's seed, whichever process samples it."""
    one = quick(campaign_files, workers=1)
    two = quick(campaign_files, workers=2)
    pd.testing.assert_frame_equal(one.fit.posterior, two.fit.posterior, check_exact=True)
    assert one.fit.simulations == two.fit.simulations
    assert one.fit.posterior["influence.conversion"].nunique() > 1


def test_calibrated_scenario_round_trip(campaign_files, tmp_path):
    """The written scenario validates, points at its posterior by a relative path, and runs; a
    changed posterior file is refused in one line."""
    cal = quick(campaign_files, out=tmp_path / "out")
    folder = tmp_path / "out"
    for name in ("small.calibrated.toml", "posterior.parquet", "report.md", "report.html", "parameters.csv"):
        assert (folder / name).is_file(), name
    for figure in ("parameters.png", "predictive.png", "progress.png"):
        assert (folder / "figures" / figure).is_file()
    posterior = pd.read_parquet(folder / "posterior.parquet")
    assert set(posterior.columns) == {*PRIORS, "weight", "seed", "scenario_hash"}
    assert (posterior["seed"] == 5).all() and (posterior["scenario_hash"] == small_scenario().content_hash()).all()
    assert posterior["weight"].sum() == pytest.approx(1.0)
    sc = as_scenario(folder / "small.calibrated.toml")
    assert sc.uncertain.posterior == str((folder / "posterior.parquet").resolve())
    medians = cal.summary().set_index("parameter")["posterior_median"]
    assert sc.influence.conversion == pytest.approx(medians["influence.conversion"])
    res = run(sc, replications=2)
    assert len(res.kpis) == 2
    text = (folder / "report.md").read_text()
    assert "Not pinned down" in text or "Every calibrated parameter is pinned down" in text
    posterior.assign(weight=posterior["weight"][::-1].to_numpy()).to_parquet(folder / "posterior.parquet")
    with pytest.raises(InputError, match="the posterior file changed since calibration"):
        run(as_scenario(folder / "small.calibrated.toml"), replications=1)


def test_output_folder_is_checked_before_any_work(campaign_files, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("a user's file")
    with pytest.raises(InputError, match="holds files wom did not create"):
        quick(campaign_files, out=tmp_path / "mine", particles=10_000)  # would take hours if it started


def test_priors_must_name_numbers_of_the_dynamics(campaign_files):
    with pytest.raises(InputError, match=r"calibrate.priors.tiers.micro.trust .*the world stays fixed"):
        quick(campaign_files, priors={"tiers.micro.trust": {"min": 0.1, "max": 0.9}})
    with pytest.raises(InputError, match=r"calibrate.priors.influence.conversion .*out of bounds"):
        quick(campaign_files, priors={"influence.conversion": {"min": 0.1, "max": 2.0}})


def test_cli_bad_data_is_one_line_and_exit_2(tmp_path, capsys):
    from sim.cli import main

    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\n[market]\npopulation = 10000\nconsumers = 1000\ndays = 30\n')
    data = tmp_path / "c.csv"
    data.write_text("handle,followers,fee,posts,impressions,engagements,orders\n@a,5000,50,1,1000,20,many\n")
    with pytest.raises(SystemExit) as exit_:
        main(["calibrate", str(scenario), "--data", str(data), "--out", str(tmp_path / "o")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {data}: line 2, column orders = 'many': a whole number >= 0"
    assert not (tmp_path / "o").exists()


# --- per-replication draws --------------------------------------------------------------------


def posterior_file(tmp_path, rows: dict[str, list[float]], weight=None) -> str:
    frame = pd.DataFrame(rows)
    frame["weight"] = weight if weight is not None else 1.0 / len(frame)
    path = tmp_path / "posterior.parquet"
    frame.to_parquet(path)
    return str(path)


def test_draw_depends_on_seed_and_replication_only(tmp_path):
    sc = small_scenario(
        uncertain={
            "posterior": posterior_file(tmp_path, {"influence.conversion": [0.001, 0.01, 0.1]}, [0.2, 0.3, 0.5]),
            "parameters": {"word_of_mouth": {"q": {"min": 0.1, "max": 10.0, "log": True}}},
        }
    )
    first = [draws.draw(sc, r) for r in range(400)]
    assert first == [draws.draw(sc, r) for r in range(400)]  # pure in (seed, replication)
    assert draws.draw(sc, 7) != draws.draw(sc.model_copy(update={"seed": 6}), 7)
    conversion = np.array([d["influence.conversion"] for d in first])
    q = np.array([d["word_of_mouth.q"] for d in first])
    # weighted resampling: shares near 0.2 / 0.3 / 0.5 (binomial sd at n=400 is at most 0.025)
    for value, share in ((0.001, 0.2), (0.01, 0.3), (0.1, 0.5)):
        assert abs(np.mean(conversion == value) - share) < 4 * np.sqrt(share * (1 - share) / 400)
    # log-uniform on [0.1, 10]: log10 q is uniform on [-1, 1] (mean 0, sd 0.577; se of the mean 0.029)
    assert q.min() >= 0.1 and q.max() <= 10.0
    assert abs(np.log10(q).mean()) < 4 * 0.577 / np.sqrt(400)
    assert draws.for_replication(sc, 3).influence.conversion == draws.draw(sc, 3)["influence.conversion"]


def test_a_posterior_at_the_scenarios_own_values_changes_nothing(tmp_path):
    """The draw has its own random stream: drawing the values a scenario already has must give
    bit-identical runs (a draw that consumed the simulation's streams would not)."""
    plain = small_scenario(replications=3)
    same = plain.with_overrides(
        {"uncertain": {"posterior": posterior_file(tmp_path, {"influence.conversion": [plain.influence.conversion]})}}
    )
    a, b = run(plain), run(same)
    columns = [c for c in a.kpis.columns if c != "scenario_hash"]
    pd.testing.assert_frame_equal(a.kpis[columns], b.kpis[columns], check_exact=True)


def test_parameter_uncertainty_widens_the_bands():
    plain = small_scenario(replications=12)
    uncertain = plain.with_overrides(
        {"uncertain": {"parameters": {"influence.conversion": {"min": 0.002, "max": 0.1, "log": True}}}}
    )
    a, b = run(plain).summary["incremental_adopters"], run(uncertain).summary["incremental_adopters"]
    assert b["p97_5"] - b["p2_5"] > 2 * (a["p97_5"] - a["p2_5"])


def test_report_says_what_intervals_cover():
    plain = small_scenario()
    uncertain = plain.with_overrides({"uncertain": {"parameters": {"word_of_mouth.q": {"min": 0.1, "max": 1.0}}}})
    assert draws.interval_note(plain).startswith("Intervals cover simulation noise only")
    note = draws.interval_note(uncertain)
    assert "simulation noise and parameter uncertainty" in note and "word_of_mouth.q" in note
    assert "one purchase per buyer" in note and "no price effect" in note


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"parameters": {"tiers.micro.trust": {"min": 0.1, "max": 0.5}}}, "the world stays fixed"),
        ({"parameters": {"influence.conversion": {"min": 0.1, "max": 2.0}}}, "2 is out of bounds"),
        ({"parameters": {"influence.conversion": {"min": 0.1, "max": 0.01}}}, "empty range"),
        ({"parameters": {"word_of_mouth.q": {"min": 0.0, "max": 1.0, "log": True}}}, "a log range needs min > 0"),
        ({"parameters": {"influence.conversio": {"min": 0.1, "max": 0.2}}}, "did you mean 'conversion'"),
        ({"posterior": 3}, "uncertain.posterior"),
    ],
)
def test_bad_uncertain_tables_are_one_line(table, message):
    with pytest.raises(InputError, match=message) as err:
        small_scenario(uncertain=table)
    assert "\n" not in str(err.value) and "uncertain" in str(err.value)


def test_a_posterior_column_must_be_a_dynamics_number(tmp_path):
    sc = small_scenario(uncertain={"posterior": posterior_file(tmp_path, {"market.price": [10.0, 20.0]})})
    with pytest.raises(InputError, match="market.price.*the world stays fixed"):
        draws.draw(sc, 0)


def test_weighted_quantiles_of_an_even_sample():
    x = np.arange(1.0, 101.0)
    lo, mid, hi = weighted_quantiles(x, np.ones(100), [0.05, 0.5, 0.95])
    assert (lo, mid, hi) == pytest.approx((5.5, 50.5, 95.5))


@pytest.mark.slow
def test_sweeps_draw_the_same_parameters_on_one_and_two_workers(tmp_path):
    from sim.experiments.spec import experiment_from_dict
    from sim.experiments.sweep import sweep

    data = small_scenario(replications=3).resolved()
    data["market"]["consumers"] = 500
    data["uncertain"] = {"parameters": {"influence.conversion": {"min": 0.002, "max": 0.1, "log": True}}}
    data["experiment"] = {"design": "grid", "parameters": {"word_of_mouth.q": [0.2, 0.6]}}
    exp = experiment_from_dict(data, "u.toml")
    one = sweep(exp, workers=1, out=tmp_path / "one", progress=False)
    two = sweep(exp, workers=2, out=tmp_path / "two", progress=False)
    pd.testing.assert_frame_equal(one.runs, two.runs, check_exact=True)
    assert one.runs["adopters"].nunique() > 1


@pytest.mark.slow
def test_quick_recovery_covers_the_truth_and_shrinks_conversion(campaign_files):
    """The test-suite version of benchmarks/recovery.py: 4 campaigns at truths drawn from the prior."""
    from sim.core.sections import Range
    from sim.inference.recovery import coverage, recovery

    data, sales = campaign_files
    sc = small_scenario()
    simulator = CampaignSimulator(sc, read_campaign(str(data), sc, sales=str(sales)))
    priors = {k: Range(**v) for k, v in PRIORS.items()}
    table = recovery(simulator, priors, campaigns=4, particles=40, generations=4, seed=3)
    summary = coverage(table).set_index("parameter")
    assert summary["covered"].sum() >= 6  # of 8 intervals (90% each: 8 x 0.9 = 7.2 expected)
    assert summary.loc["influence.conversion", "covered"] >= 3
    assert summary.loc["influence.conversion", "median_width_ratio"] < 0.5


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('particles = "many"', "calibrate.particles = 'many': must be a valid integer"),
        ("particles = 5", "calibrate.particles = 5: must be greater than or equal to 20"),
        ("priors = { influence = { conversion = { min = 0.1 } } }", "priors.influence.conversion.max = '(missing)'"),
        ("prior = {}", "calibrate.prior"),
        ("start_day = 0", "calibrate.start_day = 0"),
        ("consumers = 10", "calibrate.consumers = 10: must be greater than or equal to 100"),
    ],
)
def test_bad_calibrate_tables_are_one_line(tmp_path, campaign_files, table, message):
    path = tmp_path / "s.toml"
    path.write_text(f"[calibrate]\n{table}\n")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        calibrate(path, campaign_files[0])
    assert str(err.value).startswith(str(path))


def test_calibration_without_data_says_how_to_give_it(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[market]\ndays = 30\n")
    with pytest.raises(InputError, match=r"calibrate.data = '\(missing\)': give the past campaign's CSV: --data FILE"):
        calibrate(path)


def test_template_optional_tables_are_valid_when_uncommented(tmp_path):
    """The commented [uncertain] and [calibrate] examples of `wom scenario new` work once uncommented."""
    import re

    from sim.core.template import template
    from sim.inference.calibrate import read_spec

    text = template("mine")
    assert as_scenario_text(tmp_path, text).uncertain.parameters == {}  # commented: not active
    live = "\n".join(line[2:] if re.match(r"# (\[|[a-z_.]+ = )", line) else line for line in text.splitlines())
    path = tmp_path / "live.toml"
    path.write_text(live)
    sc = as_scenario(path)
    assert set(sc.uncertain.parameters) == {"influence.conversion", "word_of_mouth.q"}
    assert sc.uncertain.parameters["influence.conversion"].log
    spec = read_spec(path)
    assert spec.start_day == 15 and spec.data == str((tmp_path / "past_campaign.csv").resolve())
    assert set(spec.priors) == {"influence.conversion", "consumers.baseline_p"}


def as_scenario_text(tmp_path, text: str) -> Scenario:
    path = tmp_path / "plain.toml"
    path.write_text(text)
    return as_scenario(path)


def test_past_campaign_runs_on_its_own_number_of_consumers(campaign_files):
    """``[calibrate] consumers`` sets the past campaign's simulated consumers only: one per person
    makes a simulated order one order (not market.population / market.consumers of them)."""
    data, sales = campaign_files
    sc = small_scenario()
    campaign = read_campaign(str(data), sc, sales=str(sales))
    coarse = CampaignSimulator(sc, campaign)
    fine = CampaignSimulator(sc, campaign, consumers=sc.market.population)
    assert coarse.scenario.market.consumers == 1_000 and fine.scenario.market.consumers == 10_000
    assert fine.world.graph.n == 10_000 and fine.scenario.market.population == sc.market.population
    steps = sc.market.population / sc.market.consumers
    coarse_orders = np.concatenate([coarse.simulate(TRUTH, r).orders for r in range(3)])
    fine_orders = np.concatenate([fine.simulate(TRUTH, r).orders for r in range(3)])
    assert np.allclose(coarse_orders % steps, 0) and coarse_orders.sum() > 0
    assert not np.allclose(fine_orders % steps, 0)
