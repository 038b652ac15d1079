"""Make the SYNTHETIC creator shortlist of scenarios/hire_example.toml (run from the repository root).

    .venv/bin/python data/make_example_shortlist.py

Writes data/example_shortlist.csv: 200 made-up creators, none of them real. Each is drawn around
the published tier figures wom uses as defaults (``sim.core.defaults``, the STIM tier ranges):

- followers: log-uniform in the tier's range (nano 1k-10k, micro 10k-50k, mid 50k-500k, macro
  500k-1M, mega 1M-10M; Mediakix / HypeAuditor tier standard);
- engagement rate: the tier's (HypeAuditor State of Influencer Marketing 2026 via eMarketer:
  Instagram nano 1.78%, micro 0.54%, over 1M 0.33%), times a lognormal spread of 40%;
- fee per post: about 1% of followers in USD (USA TODAY 2019 rule of thumb), times a lognormal
  spread of 35%, so some creators are cheap for their audience and some dear;
- fake-follower share: the tier's (HypeAuditor 2021: 35% nano to 45% mega), plus a few creators
  (5%) with bought audiences (60-80% fake);
- niche: one of eight interest labels, the product's own ("fitness") first; 30 creators in ten
  audience overlap groups (creators who share one community reach largely the same people).

Some cells are left blank on purpose (engagement rate, fake share, followers of a few creators
with a tier), so the report shows which figures were filled in from the tier defaults.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.core import defaults  # noqa: E402

COUNTS = {"nano": 80, "micro": 70, "mid": 35, "macro": 12, "mega": 3}
NICHES = ["fitness", "food", "beauty", "travel", "gaming", "parenting", "tech", "fashion"]
GROUPS, GROUP_SIZE = 10, 3
SPREAD = {"engagement": 0.4, "fee": 0.35}
BOUGHT, BOUGHT_FAKE = 0.05, (0.6, 0.8)
BLANK = {"engagement_rate": 0.08, "fake_share": 0.05, "followers": 0.02}
SEED = 20261123
OUT = ROOT / "data" / "example_shortlist.csv"
HEADER = "# SYNTHETIC shortlist made by data/make_example_shortlist.py from published tier figures; not real creators\n"


def shortlist(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for tier, count in COUNTS.items():
        lo, hi = defaults.TIER_PRESETS["stim"][tier]
        t = defaults.tier_defaults(lo, hi)
        for i in range(count):
            followers = float(np.exp(rng.uniform(np.log(lo), np.log(hi))).round())
            engagement = min(t["reach_rate"], t["engagement_rate"] * rng.lognormal(0, SPREAD["engagement"]))
            fake = rng.uniform(*BOUGHT_FAKE) if rng.random() < BOUGHT else t["fake_share"]
            rows.append(
                {
                    "handle": f"@example_{tier}_{i + 1:03d}",
                    "tier": tier,
                    "followers": int(followers),
                    "fee_per_post": max(
                        5, round(defaults.COST_PER_FOLLOWER * followers * rng.lognormal(0, SPREAD["fee"]))
                    ),
                    "engagement_rate": f"{100 * engagement:.2f}%",
                    "fake_share": round(float(fake), 3),
                    "niche": NICHES[0] if not rows else str(rng.choice(NICHES)),
                    "audience_group": "",
                }
            )
    frame = pd.DataFrame(rows).astype(object)
    members = rng.choice(len(frame), GROUPS * GROUP_SIZE, replace=False).reshape(GROUPS, GROUP_SIZE)
    for g, ids in enumerate(members):
        frame.loc[ids, "audience_group"] = f"community-{g + 1:02d}"
        frame.loc[ids, "niche"] = frame.loc[ids[0], "niche"]  # one community, one interest
    for column, share in BLANK.items():
        frame.loc[rng.random(len(frame)) < share, column] = ""
    return frame


def main() -> None:
    frame = shortlist(np.random.default_rng(SEED))
    OUT.write_text(HEADER + frame.to_csv(index=False))
    print(f"wrote {OUT.relative_to(ROOT)}: {len(frame)} synthetic creators")


if __name__ == "__main__":
    main()
