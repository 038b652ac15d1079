"""Reading a past campaign: column-name variants, derived figures, and one-line errors."""

from __future__ import annotations

import math

import pytest

from sim.core.errors import InputError
from sim.core.scenario import Scenario
from sim.inference.campaign import read_campaign, read_sales

SCENARIO = Scenario(market={"consumers": 500, "population": 5_000, "days": 30}, network={"niches": 3})
GOOD = """handle,tier,followers,fee_per_post,posts,impressions,engagements,orders
@a,nano,4000,40,2,3000,90,3
@b,micro,20000,200,1,4000,100,5
"""


def write(tmp_path, text: str, name: str = "campaign.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_column_variants_and_derived_rates(tmp_path):
    """A platform export's spelling: totals become fees per post, rates are measured per post and
    follower, a missing tier comes from the scenario's follower ranges, a missing follower count
    from impressions per post at the tier's reach rate, and niche labels become niche numbers."""
    text = """# exported from a platform; comment lines above the header are skipped
Creator,Follower Count,Tier,Total Fee,Number of Posts,Views,Interactions,Conversions,Category
@a,4000,,300,3,3000,90,3,food
@b,20000,,200,1,4000,100,5,beauty
@c,,mid,1000,2,30000,600,0,food
"""
    c = read_campaign(write(tmp_path, text), SCENARIO)
    cr = c.creators.set_index("handle")
    assert list(cr.index) == ["@a", "@b", "@c"]
    assert cr.loc["@a", "fee_per_post"] == pytest.approx(100.0)  # 300 USD in total over 3 posts
    assert cr.loc["@a", "reach_rate"] == pytest.approx(3000 / (3 * 4000))
    assert cr.loc["@a", "engagement_rate"] == pytest.approx(90 / (3 * 4000))
    assert list(cr["tier"]) == ["nano", "micro", "mid"]  # nano 1k-10k, micro 10k-50k by the stim preset
    mid_reach = SCENARIO.tiers.table["mid"].reach_rate
    assert cr.loc["@c", "followers"] == round(30000 / (2 * mid_reach))
    assert cr.loc["@c", "reach_rate"] == pytest.approx(30000 / (2 * cr.loc["@c", "followers"]))
    assert list(cr["niche"]) == [0, 1, 0]  # labels in order of first appearance
    assert list(c.observed["orders"]) == [3, 5, 0]
    assert c.fees == pytest.approx(300 + 200 + 1000)
    assert any("without followers" in n for n in c.notes)


def test_reach_above_the_cap_is_capped_and_said(tmp_path):
    text = "handle,followers,fee,posts,impressions,engagements,orders\n@a,1000,50,1,2000,40,1\n"
    c = read_campaign(write(tmp_path, text), SCENARIO)
    assert c.creators["reach_rate"].iloc[0] == pytest.approx(0.95)
    assert any("capped" in n for n in c.notes)


def test_a_creators_table_builds_the_real_roster(tmp_path):
    """The past campaign's world hires exactly the file's creators, at their fees and post counts."""
    from sim.core.world import World

    c = read_campaign(write(tmp_path, GOOD), SCENARIO)
    sc = SCENARIO.with_overrides({"budget.total": 10_000, "budget.split": {"nano": 0.5, "micro": 0.5}})
    world = World.build(sc, creators=c.creators, roster=c.handles)
    assert [str(h) for h in world.candidates.handle[world.roster.candidate]] == ["@a", "@b"]
    assert list(world.roster.cost) == [80.0, 200.0]
    assert [d.size for d in world.roster.post_days] == [2, 1]


BAD = [
    ("handle,posts,impressions,engagements,fee\n@a,1,10,1,5\n", "orders = '(missing column)'"),
    (GOOD.replace("3000,90,3", "3000,90,-3"), "line 2, column orders = '-3': a whole number >= 0"),
    (GOOD.replace("3000,90,3", "3000,90,2.5"), "line 2, column orders = '2.5'"),
    (GOOD.replace("4000,100,5", "lots,100,5"), "line 3, column impressions = 'lots': a number > 0"),
    (GOOD.replace("@a,nano,4000,40,2", "@a,nano,4000,40,0"), "line 2, column posts = '0': a whole number >= 1"),
    (
        GOOD.replace("3000,90,3", "3000,9000,3"),
        "line 2, column engagements = '9000': at most the creator's impressions",
    ),
    (GOOD.replace("@b,", "@a,"), "line 3, column handle = '@a': handles must be unique"),
    (
        GOOD.replace("@b,micro", "@b,mikro"),
        "line 3, column tier = 'mikro': not a tier of preset 'stim'; did you mean 'micro'?",
    ),
    (GOOD.replace("@a,nano,4000", "@a,,"), "line 2, column followers = '': followers or a tier for every creator"),
    (GOOD.replace("@a,nano,4000,40", "@a,nano,4000,"), "line 2, column fee_per_post = '': a number > 0 (blank)"),
    (GOOD.replace("orders\n", "orders,conversions\n"), "conversions = '(column)': a second column for orders"),
    (
        GOOD.replace("fee_per_post", "fee_per_post,fee")
        .replace(",2,3000", ",1,2,3000")
        .replace(",1,4000", ",1,1,4000"),
        "fee = '(column)': give the fee per post",
    ),
    ("handle,tier\n", "(rows) = 0"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_campaign_data_is_one_line_naming_line_and_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_campaign(path, SCENARIO)
    line = str(err.value)
    assert "\n" not in line
    assert line.startswith(path)
    assert message in line


def test_more_niche_labels_than_niches_is_refused(tmp_path):
    text = GOOD.replace("orders\n", "orders,niche\n").replace(",3\n", ",3,a\n").replace(",5\n", ",5,b\n")
    sc = SCENARIO.with_overrides({"network.niches": 1})
    with pytest.raises(InputError, match=r"line 3, column niche = 'b': at most 1 different niches"):
        read_campaign(write(tmp_path, text), sc)


def test_sales_by_day_or_date(tmp_path):
    days = read_sales(write(tmp_path, "day,sales\n1,5\n2,7\n3,0\n", "s.csv"))
    dates = read_sales(write(tmp_path, "Date,Daily Sales\n2025-03-01,5\n2025-03-02,7\n2025-03-03,0\n", "d.csv"))
    assert list(days) == list(dates) == [5, 7, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,sales\n1,5\n3,7\n", "line 3, column day = '3': consecutive days"),
        ("date,sales\n2025-03-01,5\n2025-03-01,7\n", "line 3, column date = '2025-03-01': consecutive days"),
        ("date,sales\n2025-03-01,5\nMarch 2,7\n", "line 3, column date = 'March 2': an ISO date"),
        ("day,sales\n1,5\n2,-1\n", "line 3, column sales = '-1': a number >= 0"),
        ("day,units_sold\n1,5\n", "sales = '(missing column)'"),
    ],
)
def test_bad_sales_are_one_line(tmp_path, text, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_sales(write(tmp_path, text, "sales.csv"))


def test_unreadable_files_are_one_line(tmp_path):
    with pytest.raises(InputError, match="no such campaign data file"):
        read_campaign(str(tmp_path / "nope.csv"), SCENARIO)
    path = tmp_path / "latin1.csv"
    path.write_bytes("handle\n@caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="must be UTF-8"):
        read_campaign(str(path), SCENARIO)


def test_no_engagements_is_a_tiny_positive_rate(tmp_path):
    c = read_campaign(write(tmp_path, GOOD.replace("3000,90,3", "3000,0,3")), SCENARIO)
    assert 0 < c.creators["engagement_rate"].iloc[0] < 1e-9
    assert not math.isnan(c.creators["engagement_rate"].iloc[0])
