"""The district reference data (longgang.yaml) and the demo enterprise generator; no app or database needed."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from safetylist.registry import demo
from safetylist.registry.credit_code import is_valid

DATA = Path(demo.__file__).parent / "data"
STREET_NAMES = ["平湖街道", "坂田街道", "布吉街道", "南湾街道", "横岗街道", "龙城街道", "龙岗街道", "坪地街道",
                "吉华街道", "园山街道", "宝龙街道"]
KEYS = {"name", "credit_code", "sector", "street", "community", "grid", "address", "risk_level", "confined_space",
        "hazardous_chemicals", "gas_user", "key_enterprise", "headcount", "legal_representative", "contact_name",
        "contact_phone", "filed_on", "status"}
SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")


@pytest.fixture(scope="module")
def district() -> dict:
    return yaml.safe_load((DATA / "longgang.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sectors() -> list[str]:
    return [row["code"] for row in yaml.safe_load((DATA / "sectors.yaml").read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def streets(district) -> list[dict]:
    """What the caller passes: the yaml streets with each community's grid codes filled in."""
    return [{**street, "communities": [{**c, "grid_codes": demo.grid_codes(c)} for c in street["communities"]]}
            for street in district["streets"]]


@pytest.fixture(scope="module")
def rows(streets, sectors) -> list[dict]:
    return demo.generate_enterprises(streets, sectors)


def communities(district):
    return [c for street in district["streets"] for c in street["communities"]]


# --- reference data -------------------------------------------------------------------------------------------

def test_district_and_its_eleven_streets(district):
    assert district["district"] == {"code": "440307", "zh": "龙岗区", "en": "Longgang District"}
    assert [s["zh"] for s in district["streets"]] == STREET_NAMES
    codes = [s["code"] for s in district["streets"]]
    assert len(set(codes)) == 11 and all(SLUG.match(c) for c in codes)
    assert all(s["en"].endswith("Subdistrict") for s in district["streets"])


def test_communities_have_unique_codes_and_names(district):
    all_communities = communities(district)
    assert len(all_communities) == 111
    codes = [c["code"] for c in all_communities]
    assert len(set(codes)) == len(codes)
    assert all(SLUG.match(code) for code in codes)
    for street in district["streets"]:
        names = [c["zh"] for c in street["communities"]]
        assert len(set(names)) == len(names), street["zh"]
        assert all(name.endswith("社区") and HAN.match(name) for name in names)
        assert all(c["code"].startswith(street["code"] + "-") for c in street["communities"])


def test_grids_per_community(district):
    grids = [c["grids"] for c in communities(district)]
    assert all(isinstance(g, int) and 2 <= g <= 6 for g in grids)
    assert 380 <= sum(grids) <= 420


def test_grid_codes_are_numbered_per_community():
    assert demo.grid_codes({"code": "pinghu-shanxia", "grids": 3}) == [
        "pinghu-shanxia-01", "pinghu-shanxia-02", "pinghu-shanxia-03"]


# --- generator ------------------------------------------------------------------------------------------------

def test_deterministic(streets, sectors, rows):
    assert demo.generate_enterprises(streets, sectors) == rows
    assert demo.generate_enterprises(streets, sectors, seed=7) != rows


def test_yields_n_rows_with_exactly_the_agreed_keys(streets, sectors, rows):
    assert len(rows) == 865
    assert all(set(row) == KEYS for row in rows)
    assert len(demo.generate_enterprises(streets, sectors, n=40)) == 40
    assert demo.generate_enterprises(streets, sectors, n=0) == []


def test_credit_codes_valid_unique_and_realistic(rows):
    codes = [row["credit_code"] for row in rows]
    assert all(is_valid(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert {code[:2] for code in codes} == {"91", "92"}
    assert {code[2:8] for code in codes} <= {"440300", "440307"}


def test_names_unique_and_chinese(rows):
    names = [row["name"] for row in rows]
    assert len(set(names)) == len(names)
    assert all(re.search(r"[\u4e00-\u9fff]{4,}", name) for name in names)
    companies = [row for row in rows if row["name"].endswith("有限公司")]
    assert companies and all(row["credit_code"].startswith("91") for row in companies)


def test_places_are_consistent(streets, rows):
    grid_home = {grid: (street["code"], community["code"]) for street in streets
                 for community in street["communities"] for grid in community["grid_codes"]}
    zh = {street["code"]: street["zh"] for street in streets}
    for row in rows:
        assert grid_home[row["grid"]] == (row["street"], row["community"])
        assert row["address"].startswith("深圳市龙岗区" + zh[row["street"]])


def test_every_street_sector_and_grid_covered(streets, sectors, rows):
    assert {row["street"] for row in rows} == {street["code"] for street in streets}
    by_sector = Counter(row["sector"] for row in rows)
    assert set(by_sector) == set(sectors) and min(by_sector.values()) >= 5
    top4 = {sector for sector, _ in by_sector.most_common(4)}
    assert top4 == {"manufacturing", "retail_markets", "catering", "small_works"}
    all_grids = {grid for street in streets for c in street["communities"] for grid in c["grid_codes"]}
    assert {row["grid"] for row in rows} == all_grids


def test_bigger_streets_get_more_enterprises(streets, rows):
    per_street = Counter(row["street"] for row in rows)
    size = {s["code"]: sum(len(c["grid_codes"]) for c in s["communities"]) for s in streets}
    biggest, smallest = max(size, key=size.get), min(size, key=size.get)
    assert per_street[biggest] > per_street[smallest]


def test_risk_mix_roughly_as_specified(rows):
    share = {level: count / len(rows) for level, count in Counter(row["risk_level"] for row in rows).items()}
    assert 0.01 <= share["red"] <= 0.06
    assert 0.08 <= share["orange"] <= 0.17
    assert 0.28 <= share["yellow"] <= 0.42
    assert 0.42 <= share["blue"] <= 0.58


def test_risk_skews_higher_in_dangerous_sectors(rows):
    def high_share(selected):
        return sum(row["risk_level"] in ("red", "orange") for row in selected) / len(selected)
    dangerous = [row for row in rows if row["sector"] in demo.HIGH_RISK_SECTORS]
    others = [row for row in rows if row["sector"] not in demo.HIGH_RISK_SECTORS]
    assert high_share(dangerous) > 2 * high_share(others)


def test_flags_fit_the_sector_and_risk(rows):
    assert all(row["gas_user"] for row in rows if row["sector"] == "catering")
    assert all(row["hazardous_chemicals"] for row in rows if row["sector"] == "hazardous_chemicals")
    assert any(row["confined_space"] for row in rows if row["sector"] == "manufacturing")
    flags = ("confined_space", "hazardous_chemicals", "gas_user", "key_enterprise")
    assert all(isinstance(row[flag], bool) for row in rows for flag in flags)
    red = [row for row in rows if row["risk_level"] == "red"]
    blue = [row for row in rows if row["risk_level"] == "blue"]
    assert sum(r["key_enterprise"] for r in red) / len(red) > 0.6 > sum(r["key_enterprise"] for r in blue) / len(blue)


def test_people_dates_and_status(rows):
    for row in rows:
        assert HAN.match(row["legal_representative"]) and 2 <= len(row["legal_representative"]) <= 3
        assert HAN.match(row["contact_name"]) and 2 <= len(row["contact_name"]) <= 3
        assert re.fullmatch(r"1[3-9]\d{9}", row["contact_phone"])
        assert isinstance(row["filed_on"], date) and row["filed_on"].year == 2021
        assert isinstance(row["headcount"], int) and row["headcount"] >= 1
        assert row["status"] == "active"


def test_person_name_is_deterministic():
    import random
    names = [demo.person_name(random.Random(5)) for _ in range(2)]
    assert names[0] == names[1] and HAN.match(names[0])


def test_unknown_sector_codes_are_accepted(streets):
    rows = demo.generate_enterprises(streets, ["manufacturing", "new_sector"], n=30)
    assert Counter(row["sector"] for row in rows)["new_sector"] >= 5


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=0, max_value=120), seed=st.integers(min_value=0, max_value=10 ** 6))
def test_any_size_and_seed(streets, sectors, n, seed):
    rows = demo.generate_enterprises(streets, sectors, n=n, seed=seed)
    assert len(rows) == n
    assert len({row["credit_code"] for row in rows}) == n and all(is_valid(row["credit_code"]) for row in rows)
    assert len({row["name"] for row in rows}) == n
    assert len({row["sector"] for row in rows}) == min(n, len(sectors))
