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


def test_cascade_talk_weights_make_every_talking_tie_one_chance():
    """Cascade mode: promoters' and passives' ties are positive, detractors' negative, weight 1 each."""
    shares = rules.nps_class_shares(0.8)
    pos, neg = rules.talk_weights(shares, 0.8, 1 / 3, "cascade")
    assert list(pos) == [0.0, 1.0, 1.0] and list(neg) == [1.0, 0.0, 0.0]
    pos, neg = rules.talk_weights(shares, 0.8, 0.0, "cascade")
    assert list(neg) == [0.0, 0.0, 0.0]  # negative_ratio 0 silences detractors in both modes
    bass_pos, _ = rules.talk_weights(shares, 0.8, 1 / 3, "bass")
    assert bass_pos[rules.PROMOTER] > 2 > bass_pos[rules.PASSIVE]  # bass: volumes, not ties


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


def test_certain_chance_is_handled_exactly_without_nan():
    with np.errstate(all="raise"):  # no divide-by-zero, no 0 x inf
        assert rules.rate_from_chance(1.0) == np.inf
        assert rules.adoption_probability(np.inf, 0.7) == 1.0
        assert rules.adoption_probability(np.inf, 0.0) == 0.0  # an immune consumer never adopts
        assert rules.adoption_probability(np.array([0.0, 1.0]), np.array([0.0, 2.0]))[0] == 0.0


def test_arrival_rank_counts_earlier_counted_rows_of_the_same_owner():
    owner = np.array([2, 0, 2, 2, 0, 1])
    counted = np.array([True, True, False, True, True, True])
    assert list(rules.arrival_rank(owner, counted)) == [0, 0, 1, 1, 1, 0]


def test_view_hazards_wear_out_by_arrival_and_backlash_converts_no_one():
    r = rules.ViewRules(conversion=0.1, engaged_boost=3.0, wearout_decay=0.5, off_niche_relevance=0.2)
    owner = np.array([0, 0, 1, 0])
    prior = np.array([2, 2, 0, 2])
    trust = np.array([0.8, 0.8, 0.5, 0.8])
    same = np.array([True, False, True, True])
    engaged = np.array([False, False, True, False])
    backlash = np.array([False, True, False, False])
    rate = rules.view_hazards(owner, prior, trust, same, engaged, backlash, r)
    chance = rules.chance_from_rate(rate)
    assert chance[0] == pytest.approx(0.1 * 0.8 * 0.5**2)  # third positive view ever
    assert rate[1] == 0.0  # backlash post: no conversion, and it does not count for wear-out
    assert chance[2] == pytest.approx(0.1 * 0.5 * 3.0)
    assert chance[3] == pytest.approx(0.1 * 0.8 * 0.5**3)  # fourth positive view


def test_complex_contagion_gate_counts_positive_talkers_only():
    assert rules.reinforced(np.array([0, 1, 5]), 1).all()  # threshold 1 never gates
    assert list(rules.reinforced(np.array([1, 2, 3]), 2)) == [False, True, True]


def talk(plain, coded=0.0, negative=0.0, talkers=0):
    """A ``rules.Talk`` with every column as long as ``plain``."""
    return rules.Talk(*np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (plain, coded, negative, talkers))))


def test_day_hazards_sum_the_channels_and_views():
    dr = rules.DayRules(base_rate=0.001, mode="bass", q=36.5, tie_prob=0.0, threshold=2)
    t = talk([2.0, 2.0, 0.0], [1.0, 1.0, 0.0], [0.5, 0.0, 0.0], [2, 1, 0])
    degree = np.array([4.0, 4.0, 0.0])
    h = rules.day_hazards(t, degree, np.array([0, 0, 2]), np.array([0.2, 0.3, 0.05]), dr)
    assert h.channels[0].tolist() == pytest.approx([0.001, 0.1 * 2 / 4, 0.1 * 1 / 4])
    assert h.channels[1].tolist() == pytest.approx([0.001, 0.0, 0.0])  # one positive talker < threshold 2
    assert h.negative[0] == pytest.approx(0.1 * 0.5 / 4)  # negative talk is never gated
    assert h.sponsored.tolist() == pytest.approx([0.5, 0.0, 0.05])
    assert h.total.tolist() == pytest.approx([0.001 + 0.05 + 0.025 + 0.5, 0.001, 0.051])


def test_attribute_cause_lays_chances_end_to_end():
    channels = np.array([[1.0, 2.0, 3.0]] * 6)
    owner = np.repeat(np.arange(6), 2)
    rate = np.tile([4.0, 0.0], 6)  # each adopter: one view of rate 4, then a backlash view (rate 0)
    u = np.array([0.0, 0.15, 0.25, 0.35, 0.6, 1.0])  # total 10: running sums 1, 3, 6, 10, 10
    cause, row = rules.attribute_cause(u, channels, owner, rate)
    assert cause.tolist() == [0, 1, 1, 2, rules.VIEW, rules.VIEW]
    assert row.tolist() == [-1, -1, -1, -1, 8, 10]  # the rate-4 view, never the rate-0 one (u = 1: top end)


def test_attribute_cause_gives_certain_chance_to_its_own_post_not_the_last_exposure():
    channels = np.array([[0.01, 0.0, 0.0], [0.01, 0.0, 0.0]])
    owner = np.array([0, 0, 1, 1, 1])
    rate = np.array([np.inf, 0.2, 0.1, np.inf, np.inf])
    cause, row = rules.attribute_cause(np.array([0.99, 0.7]), channels, owner, rate)
    assert cause.tolist() == [rules.VIEW, rules.VIEW]
    assert row[0] == 0  # the certain post, although the consumer's last view was row 1
    assert row[1] == 4  # u = 0.7 picks the second of two certain posts
    assert rules.attribute_cause(np.array([0.3]), channels[:1], np.array([0, 0]), np.array([np.inf, np.inf]))[1][0] == 0


def test_decide_day_for_one_consumer_equals_its_row_of_a_batch():
    """Why the two engines agree exactly: a consumer's decision does not depend on the others."""
    rng = np.random.default_rng(5)
    n = 40
    dr = rules.DayRules(base_rate=0.01, mode="bass", q=400.0, tie_prob=0.0, threshold=2)
    t = rules.Talk(rng.random(n) * 3, rng.random(n) * (rng.random(n) < 0.3), rng.random(n), rng.integers(0, 4, n) * 1.0)
    owner = np.sort(rng.integers(0, n, 60))
    rng.shuffle(owner)
    rate = rules.rate_from_chance(np.where(rng.random(60) < 0.05, 1.0, rng.random(60) * 0.5))
    adopted = rng.random(n) < 0.2
    resp = rng.lognormal(0, 0.5, n)
    degree = rng.integers(1, 9, n) * 1.0
    u = rng.random((3, n))
    batch = rules.decide_day(adopted, resp, degree, t, owner, rate, *u, dr)
    assert batch.adopt.sum() > 5 and (batch.cause == rules.VIEW).any() and (batch.cause == rules.WORD_OF_MOUTH).any()
    for i in range(n):
        rows = np.flatnonzero(owner == i)
        one = rules.decide_day(
            adopted[i : i + 1],
            resp[i : i + 1],
            degree[i : i + 1],
            rules.Talk(*(x[i : i + 1] for x in t)),
            np.zeros(rows.size, np.int64),
            rate[rows],
            *u[:, i : i + 1],
            dr,
        )
        assert (one.adopt[0], one.cause[0], one.negative_hit[0], one.heard[0]) == (
            batch.adopt[i],
            batch.cause[i],
            batch.negative_hit[i],
            batch.heard[i],
        )
        assert (rows[one.view[0]] if one.view[0] >= 0 else -1) == batch.view[i]


def test_decide_day_never_adopts_twice_and_certain_views_convert():
    dr = rules.DayRules(base_rate=0.0)
    t = talk([0.0, 0.0, 0.0])
    d = rules.decide_day(
        np.array([True, False, False]),
        np.ones(3),
        np.ones(3),
        t,
        np.array([0, 1, 2]),
        np.array([np.inf, np.inf, 0.0]),
        np.full(3, 0.999),
        np.full(3, 0.5),
        np.zeros(3),
        dr,
    )
    assert d.adopt.tolist() == [False, True, False]
    assert d.cause[1] == rules.VIEW and d.view[1] == 1 and d.view[0] == -1
