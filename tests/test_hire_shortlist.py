"""Reading a shortlist of creators: column variants, shares and amounts, tier defaults for blank
cells (and the record of which), and every bad row reported in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.core.errors import InputError
from sim.core.scenario import scenario_from_dict
from sim.core.world import World
from sim.planning.shortlist import ShortlistError, parse_amount, parse_share, read_shortlist

from .badinput import run_wom, snapshot
from .conftest import small


@pytest.fixture(scope="module")
def scenario():
    return scenario_from_dict(small(), "small.toml")


def write(folder: Path, text: str, name: str = "shortlist.csv") -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def test_column_variants_and_formats_read_the_same(tmp_path, scenario):
    canonical = write(
        tmp_path,
        "handle,tier,followers,fee_per_post,engagement_rate,fake_share,audience_group\n"
        "@a,micro,12500,1200,0.032,0.4,food\n@b,micro,40000,300,0.01,0.35,\n",
        "a.csv",
    )
    variant = write(
        tmp_path,
        "# exported from a platform\nCreator, Follower Count ,Price,ER,Fake Followers,Overlap-Group,Notes\n"
        '@a,12.5k,"$1,200",3.2%,40%,food,likes cats\n@b,40000,300 USD,1%,35 %,,\n',
        "b.csv",
    )
    a, b = read_shortlist(canonical, scenario), read_shortlist(variant, scenario)
    for column in ("handle", "tier"):
        assert a.creators[column].tolist() == b.creators[column].tolist()
    for column in ("followers", "fee_per_post", "engagement_rate", "fake_share"):
        assert a.creators[column].tolist() == pytest.approx(b.creators[column].tolist()), column
    assert b.creators["audience_group"].iloc[0] == "food" and pd.isna(b.creators["audience_group"].iloc[1])
    assert any("Notes" in n for n in b.notes)  # a column wom does not read is named, not silently dropped
    for header in ("fee", "rate", "price", "fee_per_post"):
        one = read_shortlist(write(tmp_path, f"handle,followers,{header}\n@a,20000,250\n", f"{header}.csv"), scenario)
        assert one.creators["fee_per_post"].tolist() == [250.0], header


@pytest.mark.parametrize(
    ("text", "value"),
    [("3.2%", 0.032), ("0.032", 0.032), (" 45 % ", 0.45), ("1", 1.0), ("0", 0.0)],
)
def test_shares_may_be_written_as_percentages_or_fractions(text, value):
    assert parse_share(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [("$1,200", 1200.0), ("1200 USD", 1200.0), ("12.5k", 12_500.0), ("1.2M", 1_200_000.0), ("1_000", 1000.0)],
)
def test_amounts_take_currency_signs_separators_and_suffixes(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["abc", "1.2.3", "-5", "12kk", "$", "1e5"])
def test_amounts_refuse_what_is_not_a_plain_number(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_blank_cells_take_the_tier_defaults_and_say_so_per_creator(tmp_path, scenario):
    path = write(
        tmp_path,
        "handle,tier,followers,fee,er,fake_share,niche\n"
        "@full,micro,20000,300,0.01,0.3,2\n"
        "@blank,micro,,,,,\n"
        "@derived,,600000,5000,0.005,0.4,1\n",
    )
    s = read_shortlist(path, scenario)
    micro = scenario.tiers.table["micro"]
    rows = s.creators.set_index("handle")
    assert rows.loc["@blank", "followers"] == round(np.sqrt(micro.followers_min * micro.followers_max))
    assert rows.loc["@blank", "fee_per_post"] == pytest.approx(
        micro.cost_per_follower * rows.loc["@blank", "followers"]
    )
    assert rows.loc["@derived", "tier"] == "macro"  # from the scenario's follower ranges
    assert s.filled["@full"] == []
    assert s.filled["@blank"] == ["followers", "fee_per_post", "engagement_rate", "fake_share", "niche (random)"]
    assert s.filled["@derived"] == ["tier (from followers)"]
    assert any("reach_rate, trust" in n for n in s.notes)  # absent columns: every creator, said once
    # the world fills the remaining rates with the tier's values, and keeps the given ones
    c = World.build(scenario, creators=s.creators).candidates
    assert c.engagement_rate[1] == micro.engagement_rate and c.engagement_rate[0] == 0.01
    assert c.fake_share[1] == micro.fake_share and c.trust[0] == micro.trust


def test_niche_labels_become_the_scenario_niches_in_order_of_appearance(tmp_path, scenario):
    path = write(tmp_path, "handle,followers,fee,niche\n@a,2000,20,food\n@b,2000,20,tech\n@c,2000,20,food\n")
    assert read_shortlist(path, scenario).creators["niche"].tolist() == [0, 1, 0]


BAD = (
    "handle,followers,fee,er,tier,niche\n"
    "@ok,2000,20,1%,nano,1\n"
    "@a,abc,20,1%,,1\n"  # row 2: followers not a number
    "@b,40000,-5,140%,micro,1\n"  # row 3: two bad cells, one line
    "@ok,3000,30,,nano,1\n"  # row 4: duplicate handle
    "@c,,10,,mirco,1\n"  # row 5: unknown tier (a typo)
    "@d,,10,,,1\n"  # row 6: neither followers nor tier
    "@e,20000,200,30%,micro,1\n"  # row 7: engagement above the tier's reach rate
    "@f,2000,20,1%,nano,9\n"  # row 8: niche 9 of 4
)


def test_every_bad_row_is_one_line_naming_file_row_column_value_and_what_is_allowed(tmp_path, scenario):
    path = write(tmp_path, BAD)
    with pytest.raises(ShortlistError) as info:
        read_shortlist(path, scenario)
    lines = str(info.value).splitlines()
    expected = {
        2: ("column followers = 'abc'", "a number of followers"),
        3: ("column fee = '-5'", "column er = '140%'"),
        4: ("column handle = '@ok'", "unique"),
        5: ("column tier = 'mirco'", "did you mean 'micro'"),
        6: ("followers or a tier",),
        7: ("column er = '30%'", "at most the reach rate"),
        8: ("column niche = '9'", "0-3"),
    }
    assert len(lines) == len(expected)
    for line, (row, fragments) in zip(lines, sorted(expected.items()), strict=True):
        assert line.startswith(f"{path}: row {row} (line {row + 1}): "), line
        for fragment in fragments:
            assert fragment in line, (fragment, line)
    assert isinstance(info.value, InputError)


def test_a_missing_fee_column_is_one_line_with_a_suggestion(tmp_path, scenario):
    path = write(tmp_path, "handle,followers,fees_usd\n@a,2000,20\n")
    with pytest.raises(InputError, match=r"fee_per_post = '\(missing column\)'.*fees_usd"):
        read_shortlist(path, scenario)


def test_the_command_reports_every_bad_row_exits_2_and_writes_nothing(tmp_path):
    from sim.core import tomlio

    write(tmp_path, BAD, "bad.csv")
    (tmp_path / "s.toml").write_text(tomlio.dumps(small(name="s")))
    before = snapshot(tmp_path)
    result = run_wom(["hire", "s.toml", "--shortlist", "bad.csv"], tmp_path)
    assert result.code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 7 and all(line.startswith("error: bad.csv: row ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before
