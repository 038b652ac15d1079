"""The behavioural rules against their closed forms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core import decision, rules
from sim.core.decision import Consumers

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


# Talk codes (``rules.talk_code``): 2 x NPS class + 1 with a referral code.
PASSIVE_TALKER, PROMOTER_TALKER, CODED_PROMOTER, DETRACTOR_TALKER = 2, 4, 5, 0
CASCADE = decision.DayRules(base_rate=0.0, cascade=True, tie_prob=0.1, talk_negative=(1.0, 0.0, 0.0), talk_boost=2.0)


def counts(**talkers) -> np.ndarray:
    """One consumer's talking neighbours per talk code, e.g. ``counts(passive=2, detractor=1)``."""
    row = np.zeros(rules.TALK_CODES, np.int64)
    codes = {"passive": PASSIVE_TALKER, "promoter": PROMOTER_TALKER, "coded": CODED_PROMOTER, "detractor": 0}
    for name, k in talkers.items():
        row[codes[name]] = k
    return row


def test_cascade_word_of_mouth_is_one_chance_per_talking_tie():
    for m in range(5):
        wom, referral, negative, talkers, heard = decision.talk_hazards(counts(passive=m, detractor=m), 7.0, CASCADE)
        assert rules.chance_from_rate(wom) == pytest.approx(1 - 0.9**m)
        assert rules.chance_from_rate(negative) == pytest.approx(1 - 0.9**m)  # a detractor's tie: negative
        assert talkers == m and referral == 0.0 and heard == (m > 0)
    referral = decision.talk_hazards(counts(coded=1), 7.0, CASCADE)[1]
    assert rules.chance_from_rate(referral) == pytest.approx(1 - 0.9**2)  # a code boosts the hazard x 2


def test_bass_word_of_mouth_is_q_times_talking_share():
    bass = decision.DayRules(base_rate=0.0, q=0.38, talk_positive=(0.0, 0.5, 2.0))
    wom = decision.talk_hazards(counts(passive=2, promoter=1), 12.0, bass)[0]
    assert wom == pytest.approx(0.38 / 365 * (2 * 0.5 + 2.0) / 12)
    assert decision.talk_hazards(counts(), 0.0, bass)[:4] == (0.0, 0.0, 0.0, 0)  # isolated consumers hear nothing


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
    gate = CASCADE._replace(threshold=2)
    assert decision.talk_hazards(counts(passive=1), 7.0, CASCADE)[0] > 0  # threshold 1 never gates
    assert decision.talk_hazards(counts(passive=1, detractor=1), 7.0, gate)[0] == 0.0  # a detractor is no social proof
    wom, _, negative, talkers, _ = decision.talk_hazards(counts(passive=1, promoter=1), 7.0, gate)
    assert wom > 0 and talkers == 2
    assert decision.talk_hazards(counts(passive=1, detractor=1), 7.0, gate)[2] > 0  # negative talk is never gated


def test_day_hazards_sum_the_channels_and_views():
    dr = decision.DayRules(
        base_rate=0.001,
        q=36.5,
        threshold=2,
        talk_positive=(0.0, 1.0, 1.0),
        talk_boost=1.0,
        talk_negative=(0.5, 0.0, 0.0),
    )
    c = np.array([counts(passive=1, promoter=1, coded=1, detractor=1), counts(coded=1), counts()])
    degree = np.array([4.0, 4.0, 0.0])
    h = decision.day_hazards(c, degree, np.array([0, 0, 2]), np.array([0.2, 0.3, 0.05]), dr)
    assert h.channels[0].tolist() == pytest.approx([0.001, 0.1 * 2 / 4, 0.1 * 1 / 4])
    assert h.channels[1].tolist() == pytest.approx([0.001, 0.0, 0.0])  # one positive talker < threshold 2
    assert h.negative[0] == pytest.approx(0.1 * 0.5 / 4)  # negative talk is never gated
    assert h.sponsored.tolist() == pytest.approx([0.5, 0.0, 0.05])
    assert h.total.tolist() == pytest.approx([0.001 + 0.05 + 0.025 + 0.5, 0.001, 0.051])


def test_attribute_cause_lays_chances_end_to_end():
    channels = np.array([1.0, 2.0, 3.0])
    rates = np.array([4.0, 0.0])  # one view of rate 4, then a backlash view (rate 0)
    picks = [decision.attribute(u, channels, rates) for u in (0.0, 0.15, 0.25, 0.35, 0.6, 1.0)]
    # total 10: running sums 1, 3, 6, 10, 10; u = 1 (the top end) takes the last positive chance
    assert picks == [(0, -1), (1, -1), (1, -1), (2, -1), (decision.VIEW, 0), (decision.VIEW, 0)]


def test_attribute_cause_gives_certain_chance_to_its_own_post_not_the_last_exposure():
    channels = np.array([0.01, 0.0, 0.0])
    assert decision.attribute(0.99, channels, np.array([np.inf, 0.2])) == (decision.VIEW, 0)
    assert decision.attribute(0.7, channels, np.array([0.1, np.inf, np.inf])) == (decision.VIEW, 2)  # second of two
    assert decision.attribute(0.3, channels, np.array([np.inf, np.inf])) == (decision.VIEW, 0)


def random_day(rng, n):
    """Inputs of one day for ``n`` consumers: talk, views (some certain), accounts and thresholds."""
    c = rng.integers(0, 3, (n, rules.TALK_CODES))
    owner = np.sort(rng.integers(0, n, 60))
    rng.shuffle(owner)
    rate = rules.rate_from_chance(np.where(rng.random(60) < 0.05, 1.0, rng.random(60) * 0.5))
    account = decision.Standing(
        np.where(rng.random(n) < 0.5, 0.01, rng.random(n)),
        rng.random(n) * 0.1,
        rng.random(n),
        rng.random(n) * 0.5,
        rng.integers(0, 4, n),
    )
    thresholds = decision.Thresholds(rng.exponential(1, n) + 1, rng.exponential(1, n), rng.random(n))
    return c, owner, rate, account, thresholds, rng.lognormal(0, 0.5, n), rng.integers(1, 9, n) * 1.0


def copied(account):
    return decision.Standing(*(x.copy() for x in account))


def flags(positions, n):
    out = np.zeros(n, bool)
    out[positions] = True
    return out


def test_decide_day_for_one_consumer_equals_its_row_of_a_batch():
    """Why the two engines agree exactly: a consumer's decision reads and writes its own row only."""
    n = 40
    dr = decision.DayRules(
        base_rate=0.01,
        q=400.0,
        threshold=2,
        talk_positive=(0.0, 0.7, 1.4),
        talk_negative=(0.9, 0.0, 0.0),
        talk_boost=1.5,
    )
    c, owner, rate, account, thresholds, resp, degree = random_day(np.random.default_rng(5), n)
    aware = np.arange(n) % 3 == 0
    everyone, ones = np.arange(n), np.ones(n)
    batch_account = copied(account)
    batch = decision.decide_day(
        5, everyone, Consumers(batch_account, thresholds, resp, ones, aware, degree), c, owner, rate, dr
    )
    assert (
        batch.adopters.size > 5 and (batch.cause == decision.VIEW).any() and (batch.cause == rules.WORD_OF_MOUTH).any()
    )
    assert batch.hit.size and batch.heard.size and not aware[batch.heard].any()
    one_account = copied(account)
    for i in range(n):
        rows = np.flatnonzero(owner == i)
        mine = np.zeros(rows.size, np.int64)
        one = decision.decide_day(
            5, [i], Consumers(one_account, thresholds, resp, ones, aware, degree), c[i], mine, rate[rows], dr
        )
        assert (one.adopters.size == 1) == (i in batch.adopters)
        if one.adopters.size:
            k = np.searchsorted(batch.adopters, i)
            assert one.cause[0] == batch.cause[k] and decision.rows_of(one.view, rows)[0] == batch.view[k]
        assert (one.hit.size == 1) == (i in batch.hit) and (one.heard.size == 1) == (i in batch.heard)
    stay = ~flags(batch.adopters, n)
    for mine, theirs in zip(one_account, batch_account, strict=True):
        assert np.array_equal(mine[stay], theirs[stay])


def still(n):
    """Accounts of consumers who have heard nothing yet (pressure: a zero baseline)."""
    return decision.Standing(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, np.int64))


def test_certain_views_convert_and_an_immune_consumer_never_adopts():
    account = still(3)
    d = decision.decide_day(
        1,
        np.arange(3),
        Consumers(
            account,
            decision.Thresholds(np.full(3, 50.0), np.ones(3), np.full(3, 0.5)),
            np.array([0.0, 1.0, 1.0]),
            np.ones(3),
            np.zeros(3, bool),
            np.ones(3),
        ),
        np.zeros((3, rules.TALK_CODES)),
        np.array([0, 1, 2]),
        np.array([np.inf, np.inf, 0.0]),
        decision.DayRules(base_rate=0.0),
    )
    assert d.adopters.tolist() == [1] and d.cause[0] == decision.VIEW and d.view[0] == 1
    assert account.since[[0, 2]].tolist() == [1, 1]  # viewers' accounts are booked through today
    assert account.accrued[[0, 2]].tolist() == [0.0, 0.0]  # an immune viewer accrues nothing


# --- the threshold scheme against the daily-draw law -------------------------------------------


def run_days(days, account, thresholds, resp, talk_of_day, views_of_day, dr, hits=None):
    """Decide consumers day by day with ``decision.decide_day`` (every day, like the Mesa engine);
    a hit draws a fresh negative threshold from ``hits``. Returns the adoption day (0: never)
    and the number of negative hits of each consumer."""
    n = account.pressure.size
    adopted_on = np.zeros(n, np.int64)
    n_hits = np.zeros(n, np.int64)
    aware, ones = np.ones(n, bool), np.ones(n)
    for day in range(1, days + 1):
        who = np.flatnonzero(adopted_on == 0)
        owner, rate = views_of_day(day, who.size)
        d = decision.decide_day(
            day,
            who,
            Consumers(account, thresholds, resp, ones, aware, ones),
            talk_of_day(day, who.size),
            owner,
            rate,
            dr,
        )
        adopted_on[who[d.adopters]] = day
        hit = who[d.hit]
        n_hits[hit] += 1
        if hits is not None:
            thresholds.negative[hit] = hits.exponential(1, hit.size)
    return adopted_on, n_hits


def fresh(n, base_rate):
    return decision.Standing(np.full(n, base_rate), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, np.int64))


def no_views(day, k):
    return np.zeros(0, np.int64), np.zeros(0)


def silence(day, k):
    return np.zeros((k, rules.TALK_CODES), np.int64)


def chi_square_p(observed, expected):
    from scipy import stats

    return stats.chisquare(observed, expected).pvalue


def observed_days(adopted_on, days):
    """Adopters per day 1..days, then those not adopted."""
    return np.append(np.bincount(adopted_on, minlength=days + 1)[1 : days + 1], (adopted_on == 0).sum())


def test_constant_hazard_gives_a_geometric_adoption_day():
    """One Exp(1) threshold per consumer and a constant daily hazard h: the adoption day is
    geometric with success probability 1 - exp(-h), as with a fresh uniform draw each day."""
    n, days, h = 60_000, 12, 0.15
    rng = np.random.default_rng(2024)
    thresholds = decision.Thresholds(rng.standard_exponential(n), np.full(n, np.inf), rng.random(n))
    adopted_on, _ = run_days(
        days, fresh(n, h), thresholds, np.ones(n), silence, no_views, decision.DayRules(base_rate=h)
    )
    p = -np.expm1(-h)
    law = np.append(p * (1 - p) ** np.arange(days), (1 - p) ** days)  # days 1..12, then "not yet"
    observed = observed_days(adopted_on, days)
    assert chi_square_p(observed, n * law) > 0.001
    assert np.all(np.abs(observed / n - law) < 4 * np.sqrt(law * (1 - law) / n))


def test_changing_hazards_give_the_daily_draw_law_exactly():
    """Word of mouth that starts, grows and stops, a view on day 3, susceptibility 1.7: the law of
    the adoption day is prod_{s<t} exp(-r h_s) (1 - exp(-r h_t)), enumerated exactly."""
    n, days, r = 80_000, 8, 1.7
    dr = CASCADE._replace(base_rate=0.02)
    talkers = {1: 0, 2: 1, 3: 1, 4: 3, 5: 3, 6: 0, 7: 2, 8: 2}
    view = rules.rate_from_chance(0.2)

    def talk_of_day(day, k):
        return np.tile(counts(passive=talkers[day]), (k, 1))

    def views_of_day(day, k):
        return (np.arange(k), np.full(k, view)) if day == 3 else no_views(day, k)

    hazard = np.array([0.02 + rules.rate_from_chance(0.1) * talkers[d] + (view if d == 3 else 0) for d in range(1, 9)])
    survive = np.exp(-r * np.concatenate([[0.0], np.cumsum(hazard)]))
    law = np.append(survive[:-1] * -np.expm1(-r * hazard), survive[-1])
    rng = np.random.default_rng(7)
    thresholds = decision.Thresholds(rng.standard_exponential(n), np.full(n, np.inf), rng.random(n))
    adopted_on, _ = run_days(days, fresh(n, 0.02), thresholds, np.full(n, r), talk_of_day, views_of_day, dr)
    observed = observed_days(adopted_on, days)
    assert chi_square_p(observed, n * law) > 0.001
    assert np.all(np.abs(observed / n - law) < 4 * np.sqrt(law * (1 - law) / n))


def test_cause_is_drawn_in_proportion_to_the_adoption_days_hazards():
    """Adopters on a day with baseline, word of mouth, referral and a view: causes in proportion."""
    n = 40_000
    rng = np.random.default_rng(11)
    dr = CASCADE._replace(base_rate=0.05)
    c = np.tile(counts(passive=2, coded=2), (n, 1))
    everyone, ones = np.arange(n), np.ones(n)
    thresholds = decision.Thresholds(rng.standard_exponential(n), np.full(n, np.inf), rng.random(n))
    d = decision.decide_day(
        1,
        everyone,
        Consumers(fresh(n, 0.05), thresholds, ones, ones, np.ones(n, bool), ones),
        c,
        everyone,
        np.full(n, 0.3),
        dr,
    )
    h = decision.day_hazards(c[:1], np.ones(1), np.zeros(1, np.int64), np.array([0.3]), dr)
    share = np.append(h.channels[0], 0.3) / h.total[0]
    cause = np.where(d.cause == decision.VIEW, 3, d.cause)
    assert cause.size > 1_000 and chi_square_p(np.bincount(cause, minlength=4), cause.size * share) > 0.001


def test_negative_hits_are_daily_bernoulli_with_fresh_thresholds():
    """Constant negative hazard v and a fresh Exp(1) threshold after each hit: hits over T days are
    Binomial(T, 1 - exp(-v)) (at most one a day), mean and variance within 4 standard errors."""
    n, days, v = 20_000, 10, 0.4
    rng = np.random.default_rng(3)
    dr = CASCADE._replace(tie_prob=-np.expm1(-v))
    account = decision.Standing(np.zeros(n), np.full(n, v), np.zeros(n), np.zeros(n), np.zeros(n, np.int64))
    thresholds = decision.Thresholds(np.full(n, np.inf), rng.standard_exponential(n), rng.random(n))

    def one_detractor(day, k):
        return np.tile(counts(detractor=1), (k, 1))

    _, hits = run_days(days, account, thresholds, np.ones(n), one_detractor, no_views, dr, hits=rng)
    p = -np.expm1(-v)
    mean, var = days * p, days * p * (1 - p)
    assert abs(hits.mean() - mean) < 4 * np.sqrt(var / n)
    assert abs(hits.var() - var) < 4 * var * np.sqrt(2 / n)


def test_calendar_day_is_the_day_the_daily_rule_decides():
    """``next_event_day`` (the frontier's calendar) agrees exactly with deciding every day, for
    consumers whose talk does not change (adoption and negative hits, varied accounts)."""
    n, days = 5_000, 60
    rng = np.random.default_rng(9)
    dr = CASCADE._replace(base_rate=0.004, tie_prob=0.01)
    c = np.zeros((n, rules.TALK_CODES), np.int64)
    c[:, PASSIVE_TALKER] = rng.integers(0, 4, n)
    c[:, DETRACTOR_TALKER] = rng.integers(0, 3, n)
    h = decision.day_hazards(c, np.ones(n), np.zeros(0, np.int64), np.zeros(0), dr)
    pressure = h.channels[:, 0] + h.channels[:, 1] + h.channels[:, 2]
    since = rng.integers(0, 3, n)
    account = decision.Standing(pressure, h.negative, rng.random(n) * 0.1, rng.random(n) * 0.1, since.copy())
    thresholds = decision.Thresholds(
        rng.standard_exponential(n) + 0.1, rng.standard_exponential(n) + 0.1, rng.random(n)
    )
    resp, ones = rng.lognormal(0, 0.5, n), np.ones(n)
    calendar = decision.next_event_day(np.arange(n), account, thresholds, resp, ones, days + 1)
    first = np.full(n, days + 1)
    for day in range(1, days + 1):
        who = np.flatnonzero((first > days) & (since < day))
        aware = np.ones(n, bool)
        d = decision.decide_day(day, who, Consumers(account, thresholds, resp, ones, aware, ones), c[who], [], [], dr)
        event = np.union1d(d.adopters, d.hit)
        quiet = np.setdiff1d(np.arange(who.size), event)
        assert np.array_equal(account.since[who[quiet]], since[who[quiet]])  # untouched: the account stays
        first[who[event]] = day
    assert (first <= days).sum() > n / 4 and (calendar > days).any()  # both kinds of answer occur
    assert np.array_equal(first, calendar)
