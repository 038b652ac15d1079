"""The behavioural rules against their closed forms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core import rules

chances = st.lists(st.floats(0, 0.99), min_size=0, max_size=8)


@settings(deadline=None, derandomize=True)
@given(a=st.floats(0, 0.99), bs=chances)
def test_hazards_combine_as_independent_chances(a, bs):
    """P = 1 - (1 - a) prod (1 - b_e): the Goldenberg-Libai-Muller combination."""
    hazard = rules.rate_from_chance(a) + sum(rules.rate_from_chance(b) for b in bs)
    expected = 1 - (1 - a) * np.prod([1 - b for b in bs])
    assert rules.adoption_probability(hazard, 1.0) == pytest.approx(expected, abs=1e-12)
    assert rules.combine_chances([a, *bs]) == pytest.approx(expected, abs=1e-12)


def test_susceptibility_scales_the_hazard():
    h = rules.rate_from_chance(0.2)
    assert rules.adoption_probability(h, 2.0) == pytest.approx(1 - 0.8**2)
    assert rules.adoption_probability(h, 0.0) == 0.0


def test_wearout_first_exposure_weighs_most_and_response_is_concave():
    k = np.arange(1, 11)
    w = rules.wearout_weight(k, 0.6)
    assert w[0] == 1.0
    assert np.all(np.diff(w) < 0)  # marginal effect falls with each exposure
    cumulative = np.cumsum(w)
    assert np.all(np.diff(cumulative, 2) < 0)  # concave response


def test_sponsored_chance_is_trust_relevance_boost_and_capped():
    c = rules.sponsored_chance(0.02, 0.5, 1.0, True, 3.0, 1, 0.6)
    assert c == pytest.approx(0.02 * 0.5 * 3.0)
    assert rules.sponsored_chance(0.02, 0.5, 0.3, False, 3.0, 2, 0.6) == pytest.approx(0.02 * 0.5 * 0.3 * 0.6)
    assert rules.sponsored_chance(0.9, 1.0, 1.0, True, 3.0, 1, 1.0) == 1.0


def test_nps_classes_follow_reichheld_thresholds():
    scores = np.arange(11)
    classes = rules.nps_class(scores)
    assert list(classes[:7]) == [rules.DETRACTOR] * 7
    assert list(classes[7:9]) == [rules.PASSIVE] * 2
    assert list(classes[9:]) == [rules.PROMOTER] * 2


def test_nps_class_shares_match_drawn_scores_within_3_se():
    rng = np.random.default_rng(3)
    n = 200_000
    drawn = np.bincount(rules.nps_class(rules.draw_scores(rng, n, 0.8)), minlength=3) / n
    exact = rules.nps_class_shares(0.8)
    se = np.sqrt(exact * (1 - exact) / n)
    assert exact.sum() == pytest.approx(1.0)
    assert np.all(np.abs(drawn - exact) < 3 * se)


@pytest.mark.parametrize("satisfaction", [0.5, 0.8, 0.95, 1.0])
def test_talk_weights_keep_q_meaningful(satisfaction):
    shares = rules.nps_class_shares(satisfaction)
    pos, neg = rules.talk_weights(shares, 0.8, 1 / 3)
    positive_volume = shares @ pos
    assert positive_volume == pytest.approx(1.0)  # the average adopter talks with weight 1
    if shares[rules.PROMOTER] > 0 and shares[rules.PASSIVE] > 0:
        assert shares[rules.PROMOTER] * pos[rules.PROMOTER] == pytest.approx(0.8)
    if shares[rules.DETRACTOR] > 0:
        assert shares @ neg == pytest.approx(1 / 3)  # East et al.: 3:1 positive to negative


def test_cascade_word_of_mouth_is_one_chance_per_talking_tie():
    for m in range(5):
        rate = rules.wom_rate(np.array([float(m)]), np.array([7.0]), "cascade", 0.0, 0.1)
        assert rules.chance_from_rate(rate)[0] == pytest.approx(1 - 0.9**m)


def test_bass_word_of_mouth_is_q_times_talking_share():
    rate = rules.wom_rate(np.array([3.0, 0.0]), np.array([12.0, 0.0]), "bass", 0.38, 0.0)
    assert rate[0] == pytest.approx(0.38 / 365 * 3 / 12)
    assert rate[1] == 0.0  # isolated consumers hear nothing


def test_talking_window():
    adopt_day = np.array([-1, 0, 3, 5, 5])
    assert list(rules.is_talking(adopt_day, 5, 0)) == [False, True, True, False, False]
    assert list(rules.is_talking(adopt_day, 4, 1)) == [False, False, True, False, False]


def test_susceptibility_has_mean_one():
    s = rules.susceptibility(np.random.default_rng(0), 200_000, 0.5)
    assert s.mean() == pytest.approx(1.0, abs=3 * s.std() / np.sqrt(s.size))
    assert np.all(rules.susceptibility(np.random.default_rng(0), 10, 0.0) == 1.0)
