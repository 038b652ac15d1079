"""The recovery family of `wom validate`: its coverage bar, and bugs it must catch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import binom

from sim.inference import fit
from sim.validation import recovery
from sim.validation.common import QUICK

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize("campaigns", [3, 4, 5, 10, 20, 50])
def test_coverage_bar_is_the_binomial_quantile(campaigns):
    c = recovery.min_covered(campaigns)
    assert binom.cdf(c - 1, campaigns, 0.9) <= recovery.FALSE_ALARM < binom.cdf(c, campaigns, 0.9)


def test_coverage_bar_for_twenty_campaigns_is_the_issues_fifteen():
    assert recovery.min_covered(20) == 15 and recovery.min_covered(4) == 2


@pytest.fixture
def light(monkeypatch):
    monkeypatch.setattr(recovery, "WORKERS", 1)  # in process, so planted bugs reach the simulations
    return dataclasses.replace(QUICK, recovery=(4, 30, 3, 5_000, 10.0))


@pytest.mark.slow
def test_prior_in_natural_logs_fails_coverage(tmp_path, light, monkeypatch):
    """Planted bug: ABC's prior coordinates in natural logs while values are read back as powers of
    ten; conversion is then searched far below its prior, and no interval covers the truth."""
    import pyabc

    def wrong(priors):
        rvs = {}
        for i, r in enumerate(priors.values()):
            lo, hi = (np.log(r.min), np.log(r.max)) if r.log else (r.min, r.max)
            rvs[fit.coordinate(i)] = pyabc.RV("uniform", lo, hi - lo)
        return pyabc.Distribution(**rvs)

    monkeypatch.setattr(fit, "prior_distribution", wrong)
    checks = {c.name: c for c in recovery.check_recovery(light, tmp_path)}
    assert not checks["recovery.coverage.conversion"].passed
    assert checks["recovery.coverage.conversion"].measured == 0


@pytest.mark.slow
def test_uninformative_statistics_fail_shrinkage(tmp_path, light, monkeypatch):
    """Planted bug: statistics that do not depend on the campaign (pure noise): the
    posterior stays the prior, which still covers the truth but does not shrink."""
    from sim.inference import simulator

    monkeypatch.setattr(
        simulator, "statistics", lambda layout, impressions, orders, sales: {"orders": np.random.random()}
    )
    checks = {c.name: c for c in recovery.check_recovery(light, tmp_path)}
    assert not checks["recovery.shrinkage.conversion"].passed
    assert checks["recovery.shrinkage.conversion"].measured > 0.8
    assert (tmp_path / "recovery.png").stat().st_size > 10_000
