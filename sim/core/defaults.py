"""Published figures behind every default, with their sources, in one place.

Per-tier defaults are read off curves anchored on published figures (cited next to each), at
the geometric mid-point of each tier's follower range, so any tier preset (or a user's own
bounds) gets consistent values. Where no published figure exists the value is marked
ASSUMPTION and is a scenario key. Confidence tags: [V-primary] read in the original
publication, [V-secondary] via a report or article that quotes it.
"""

from __future__ import annotations

import math

import numpy as np

# (followers, value) anchors; interpolated linearly in log10(followers), flat outside.
ENGAGEMENT_ANCHORS = ((3_162, 0.0178), (22_361, 0.0054), (3_162_278, 0.0033))
ENGAGEMENT_SOURCE = (
    "HypeAuditor State of Influencer Marketing 2026 via eMarketer: Instagram ER nano 1.78%, "
    "micro 0.54%, >1M 0.33% [V-secondary]; mid/macro interpolated in log(followers)"
)
# (upper follower bound, value): a step function; the band holding a tier's mid-point applies.
REACH_BANDS = ((20_000, 0.377), (1_000_000, 0.229), (math.inf, 0.191))
REACH_SOURCE = (
    "Minter.io 2019 median Instagram post reach by follower band: 37.7% below 20K, 22.9% for 20K-1M, "
    "19.1% above 1M [V-primary]; a tier takes the band of its geometric mid-point (the band is flat "
    "from 20K to 1M, so micro, mid and macro share 22.9%)"
)
FAKE_ANCHORS = ((3_162, 0.35), (3_162_278, 0.45))
FAKE_SOURCE = (
    "HypeAuditor 2021: ~45% of followers not real people; fraud rises from nano to mega "
    "[V-secondary]; interpolated 0.35 (nano) to 0.45 (mega)"
)
TRUST_ANCHORS = ((3_162, 0.66), (3_162_278, 0.46))
TRUST_SOURCE = (
    "Nielsen Global Trust in Advertising 2015: online consumer opinions 66%, ads on social "
    "networks 46% [V-primary]; nano ~ online opinion, mega ~ social ad, log-interpolated"
)
COST_PER_FOLLOWER = 0.01
COST_SOURCE = (
    "USA TODAY 2019 rule of thumb, ~1% of followers in USD per Instagram post [V-secondary]; "
    "consistent with the Influencer Marketing Hub rate table"
)
BACKLASH_ANCHORS = ((3_162, 0.001), (3_162_278, 0.01))
BACKLASH_SOURCE = (
    "ASSUMPTION: no published rate; larger tiers riskier ('Micro-Influencers vs. Macro-Influencers: "
    "Choosing the Right Partners for Your Brand', blog article: smaller influencers pose less reputation risk)"
)
NICHE_FOCUS_ANCHORS = ((3_162, 0.9), (3_162_278, 0.2))
NICHE_FOCUS_SOURCE = (
    "ASSUMPTION: small tiers niche-concentrated, large broad ('Micro-Influencers vs. Macro-Influencers: "
    "Choosing the Right Partners for Your Brand', blog article; N. Michaelis, 'Micro influencers vs influencers')"
)
IN_MARKET_ANCHORS = ((3_162, 0.3), (3_162_278, 0.05))
IN_MARKET_SOURCE = "ASSUMPTION: share of genuine followers who belong to the modelled market"

# Tier presets: name -> (followers_min, followers_max). The top tier is capped at 10x its floor.
TIER_PRESETS: dict[str, dict[str, tuple[int, int]]] = {
    # Mediakix STIM / HypeAuditor, the most common current standard [V-primary].
    "stim": {
        "nano": (1_000, 10_000),
        "micro": (10_000, 50_000),
        "mid": (50_000, 500_000),
        "macro": (500_000, 1_000_000),
        "mega": (1_000_000, 10_000_000),
    },
    # Later x Fohr 2021 [V-secondary]; also 'Micro-Influencers vs. Macro-Influencers: Choosing the
    # Right Partners for Your Brand' (blog article): micro up to 100K, mid 100K-500K, macro 500K+.
    "later_fohr": {
        "micro": (1_000, 100_000),
        "mid": (100_000, 500_000),
        "macro": (500_000, 5_000_000),
    },
    # Viral Nation 2019 [V-primary]: micro influencers have fewer than 10,000 followers.
    "viral_nation_2019": {
        "micro": (1_000, 10_000),
        "macro": (10_000, 10_000_000),
    },
    # Insights Atlas / CNBC [V-secondary]; also 'Micro-influencer Marketing vs. Influencer Marketing:
    # Is There a Difference?' (blog article): micro between 1,000 and 100,000 followers.
    "insights_atlas": {
        "micro": (1_000, 100_000),
        "macro": (100_000, 10_000_000),
    },
}
# Candidates per tier in a generated marketplace: many small accounts, few large ones
# (HypeAuditor 2026: 81.5% of Instagram creators nano, 14.4% micro, 0.1% over 1M [V-secondary]).
DEFAULT_CANDIDATES = {"nano": 400, "micro": 200, "mid": 80, "macro": 20, "mega": 8}
FALLBACK_CANDIDATES = 100

# Spread of individual candidates around their tier's value in a generated marketplace
# (lognormal sigma, mean preserved), and the highest reach rate a post can have.
MARKET_SPREAD = {"engagement_rate": 0.3, "reach_rate": 0.15, "trust": 0.1, "cost": 0.3}
MARKET_SPREAD_SOURCE = "ASSUMPTION: influencers of one tier differ by tens of percent; sweep it"
MAX_REACH_RATE = 0.95
MAX_REACH_SOURCE = "ASSUMPTION: no post reaches every follower; caps the spread of reach rates"

# Market dynamics.
BASS_P = 0.03
BASS_Q = 0.38
BASS_SOURCE = "Sultan, Farley & Lehmann 1990 meta-analysis means, per year [V-secondary]"
NEGATIVE_TO_POSITIVE = 1 / 3
NEGATIVE_SOURCE = "East, Hammond & Wright 2007: PWOM outnumbers NWOM 3:1 [V-primary]"
PROMOTER_REFERRAL_SHARE = 0.8
PROMOTER_SOURCE = "Reichheld, The Ultimate Question 2006: promoters give ~80% of referrals [V-secondary]"
WEAROUT_SOURCE = (
    "Jones 1995: the first exposure sells most; Krugman 1972 / Naples 1979: ~3 exposures "
    "[V-primary]; geometric decay of each further sponsored exposure"
)


def log_interp(followers: float | np.ndarray, anchors: tuple[tuple[float, float], ...]):
    """Interpolate a tier curve in log10(followers), flat beyond the outer anchors."""
    xs = np.log10([a[0] for a in anchors])
    ys = np.array([a[1] for a in anchors])
    return np.interp(np.log10(followers), xs, ys)


def band_value(followers: float | np.ndarray, bands: tuple[tuple[float, float], ...]):
    """The value of the band holding ``followers``: bands are (upper bound, value), ascending."""
    upper = np.array([b[0] for b in bands])
    values = np.array([b[1] for b in bands])
    return values[np.minimum(np.searchsorted(upper, followers, side="right"), len(bands) - 1)]


def tier_midpoint(followers_min: float, followers_max: float) -> float:
    """Geometric mid-point of a follower range: where a tier's typical account sits."""
    return math.sqrt(followers_min * followers_max)


def tier_defaults(followers_min: float, followers_max: float) -> dict[str, float]:
    """Cited default parameters for a tier spanning [followers_min, followers_max)."""
    mid = tier_midpoint(followers_min, followers_max)
    return {
        "followers_min": int(followers_min),
        "followers_max": int(followers_max),
        "engagement_rate": round(float(log_interp(mid, ENGAGEMENT_ANCHORS)), 5),
        "reach_rate": round(float(band_value(mid, REACH_BANDS)), 4),
        "fake_share": round(float(log_interp(mid, FAKE_ANCHORS)), 4),
        "trust": round(float(log_interp(mid, TRUST_ANCHORS)), 4),
        "cost_per_follower": COST_PER_FOLLOWER,
        "backlash_prob": round(float(log_interp(mid, BACKLASH_ANCHORS)), 5),
        "niche_focus": round(float(log_interp(mid, NICHE_FOCUS_ANCHORS)), 4),
        "in_market": round(float(log_interp(mid, IN_MARKET_ANCHORS)), 4),
    }


TIER_PARAM_SOURCES = {
    "followers_min": "tier preset",
    "followers_max": "tier preset",
    "engagement_rate": ENGAGEMENT_SOURCE,
    "reach_rate": REACH_SOURCE,
    "fake_share": FAKE_SOURCE,
    "trust": TRUST_SOURCE,
    "cost_per_follower": COST_SOURCE,
    "backlash_prob": BACKLASH_SOURCE,
    "niche_focus": NICHE_FOCUS_SOURCE,
    "in_market": IN_MARKET_SOURCE,
}


# --- scenario defaults ---------------------------------------------------------------------------
# The default of every scenario key that is not a tier curve above, with its source or an explicit
# ASSUMPTION (docs/model.md gives the same table for readers). The example market is the
# shipped baseline: a direct-to-consumer launch.

MARKET_POPULATION = 2_000_000  # ASSUMPTION: a national niche market (the baseline scenario)
MARKET_CONSUMERS = 100_000  # ASSUMPTION: 1 simulated consumer = 20 people, ~1 min for 10 replications
MARKET_DAYS = 90  # ASSUMPTION: a launch quarter
MARKET_PRICE = 60.0  # ASSUMPTION: USD, a typical DTC product
MARKET_UNIT_MARGIN = 25.0  # ASSUMPTION: USD contribution per unit (about 40% of price)
SEED = 12345  # any fixed number: results are reproducible by default
REPLICATIONS = 10  # ASSUMPTION: enough for a 95% CI of the mean in a minute

NETWORK_MEAN_DEGREE = 10.0  # ASSUMPTION: within the 5-29 personal-network sizes of Goldenberg, Libai & Muller 2001
NETWORK_NICHES = 8  # ASSUMPTION: interest communities / market segments
NETWORK_HOMOPHILY = 0.8  # ASSUMPTION: most ties inside one's niche (homophily, Aral, Muchnik & Sundararajan 2009)
NETWORK_DEGREE_EXPONENT = 2.5  # ASSUMPTION: a scale-free tail between 2 and 3, as in most social graphs
NETWORK_CLUSTERING = 0.3  # ASSUMPTION: triangle probability of powerlaw_cluster (Holme & Kim 2002 model)
NETWORK_REWIRING = 0.1  # ASSUMPTION: small-world regime of Watts & Strogatz 1998

BUDGET_TOTAL = 50_000.0  # ASSUMPTION: USD, the baseline launch budget

CONTRACT_POSTS = 1  # ASSUMPTION: a one-off sponsored post
CONTRACT_START_DAY = 1
CONTRACT_INTERVAL_DAYS = 7  # ASSUMPTION: a weekly cadence

SUSCEPTIBILITY_SIGMA = 0.5  # ASSUMPTION: susceptibility varies between people (Aral & Walker 2012)
SATISFACTION = 0.8  # ASSUMPTION: scores ~ Binomial(10, 0.8): 38% promoters, 12% detractors; classes per Reichheld 2003

TIE_PROB = 0.05  # per tie per talking day (cascade); Kempe, Kleinberg & Tardos 2003 used 0.01 and 0.10
ACTIVE_DAYS = 0  # adopters talk for ever, as in the Bass model (0 = for ever)
NEGATIVE_IMPACT = 0.3  # ASSUMPTION: attitude lost per negative message (East, Hammond & Lomax 2008: depends on prior)
COMPLEX_THRESHOLD = 1  # simple contagion; Centola 2010 for higher thresholds

CONVERSION = 0.01  # ASSUMPTION: purchase chance of one full-trust, relevant, unengaged view
ENGAGED_BOOST = 3.0  # ASSUMPTION: multiplier for viewers who engage with the post
WEAROUT_DECAY = 0.6  # weight of the k-th sponsored view is 0.6^(k-1); see WEAROUT_SOURCE
OFF_NICHE_RELEVANCE = 0.3  # ASSUMPTION: relevance of a post outside the influencer's niche (1 inside)
BACKLASH_TRUST_DROP = 0.5  # ASSUMPTION: share of trust an influencer loses after a backlash
ATTRIBUTION_WINDOW = 7  # ASSUMPTION: days, a common affiliate promo-code window

REFERRAL_BUDGET = 0.0  # no referral programme unless asked for
REFERRAL_REWARD = 10.0  # ASSUMPTION: USD per referred sale
REFERRAL_CODE_SHARE = 0.5  # ASSUMPTION: share of promoters who take a code
REFERRAL_TALK_BOOST = 1.5  # ASSUMPTION: a code holder talks 1.5x as much
