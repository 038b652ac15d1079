"""Make the SYNTHETIC past campaign of scenarios/calibrate_example.toml (run from the repository root).

    .venv/bin/python data/make_example_campaign.py

Writes data/example_campaign.csv (one row per creator, column names as a platform export might
spell them) and data/example_sales.csv (daily total sales). Nothing here is real: 24 creators
are drawn around the scenario's tier defaults and their campaign is simulated by wom itself at
full resolution (one simulated consumer per person) with the parameters in TRUTH, so a
calibration can be checked against known values.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.core.scenario import load_scenario  # noqa: E402
from sim.inference.campaign import Campaign  # noqa: E402
from sim.inference.simulator import CampaignSimulator  # noqa: E402

TRUTH = {  # the parameters the synthetic campaign was simulated with
    "influence.conversion": 0.006,
    "influence.engaged_boost": 4.0,
    "word_of_mouth.q": 0.5,
    "consumers.baseline_p": 0.02,
}
CREATORS = {"nano": 10, "micro": 9, "mid": 5}
DAYS, START_DAY = 60, 15
SEED = 7


def creators(scenario, rng: np.random.Generator) -> pd.DataFrame:
    """Creators drawn around the tier defaults: followers log-uniform in the tier, rates spread +-20%."""
    rows = []
    for tier, count in CREATORS.items():
        t = scenario.tiers.table[tier]
        for i in range(count):
            followers = float(np.exp(rng.uniform(np.log(t.followers_min), np.log(t.followers_max))).round())
            reach = t.reach_rate * rng.lognormal(0, 0.2)
            rows.append(
                {
                    "handle": f"@{tier}_{i + 1:02d}",
                    "tier": tier,
                    "followers": followers,
                    "fee_per_post": round(0.01 * followers * rng.lognormal(0, 0.3), -1) or 10.0,
                    "reach_rate": reach,
                    "engagement_rate": min(reach, t.engagement_rate * rng.lognormal(0, 0.4)),
                    "posts": int(rng.integers(1, 4)),
                    "niche": int(rng.integers(0, scenario.network.niches)),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "calibrate_example.toml")
    full = scenario.with_overrides({"market.consumers": scenario.market.population, "seed": SEED})
    rng = np.random.default_rng(SEED)
    table = creators(full, rng)
    truth = Campaign("synthetic", table, table[["handle", "tier", "posts"]], sales=np.zeros(DAYS))
    sim = CampaignSimulator(full, truth, start_day=START_DAY).simulate(TRUTH, replication=0)
    export = pd.DataFrame(
        {
            "Creator": table["handle"],
            "Followers": table["followers"].astype(int),
            "Niche": [f"segment-{n}" for n in table["niche"]],
            "Total fee": table["fee_per_post"] * table["posts"],
            "Posts": table["posts"],
            "Impressions": sim.impressions.round().astype(int),
            "Engagements": sim.engagements.round().astype(int),
            "Promo orders": sim.orders.round().astype(int),
        }
    )
    head = "# SYNTHETIC data made by data/make_example_campaign.py from stated parameters; not a real campaign\n"
    (ROOT / "data" / "example_campaign.csv").write_text(head + export.to_csv(index=False))
    sales = pd.DataFrame({"day": np.arange(1, DAYS + 1), "sales": sim.sales.round().astype(int)})
    (ROOT / "data" / "example_sales.csv").write_text(head + sales.to_csv(index=False))
    print(f"wrote data/example_campaign.csv ({len(export)} creators, {export['Promo orders'].sum()} promo orders)")
    print(f"wrote data/example_sales.csv ({DAYS} days, campaign from day {START_DAY}, {sales['sales'].sum()} sales)")


if __name__ == "__main__":
    main()
