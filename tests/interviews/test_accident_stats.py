"""Accident statistics: the year-on-year percentages of the bureau's report reproduced exactly,
local-time periods, the fire scope apart, breakdowns on small crafted data, and scope."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from safetylist.auth.system import SYSTEM
from safetylist.interviews.accident_stats import (Period, Totals, breakdown, by_year, compare, format_pct,
                                                  pct_change)
from safetylist.timeutil import local_today
from tests.interviews.accident_data import bulk_insert, local, place_row


@pytest.fixture(autouse=True)
def english(app):
    from flask_babel import force_locale
    with app.app_context(), force_locale("en"):
        yield


# --- the arithmetic --------------------------------------------------------------------------------
@pytest.mark.parametrize("current, earlier, expected", [
    (1581, 532, Decimal("197.18")), (66, 82, Decimal("-19.51")), (1581, 1264, Decimal("25.08")),
    (66, 56, Decimal("17.86")),
    (801, 800, Decimal("0.13")),    # 0.125 exactly: half up, not to even (0.12)
    (799, 800, Decimal("-0.13")),   # −0.125: half away from zero, like the report's "下降"
    (5, 5, Decimal("0.00")), (0, 3, Decimal("-100.00")),
    (Decimal("150.50"), Decimal("100.00"), Decimal("50.50")),
])
def test_pct_change_rounds_half_up_to_two_decimals(current, earlier, expected):
    result = pct_change(current, earlier)
    assert result == expected and result.as_tuple().exponent == -2


def test_nothing_to_compare_with_gives_no_percentage():
    assert pct_change(7, 0) is None and pct_change(0, 0) is None
    assert format_pct(None) == "—"


def test_percentages_are_shown_with_sign_and_a_real_minus():
    assert [format_pct(Decimal(v)) for v in ("197.18", "-19.51", "0.00")] == ["+197.18 %", "−19.51 %", "0.00 %"]


def test_periods_are_local_calendar_days_and_29_february_falls_back_to_the_28th():
    assert Period.year_to(2020, 2, 29).years_earlier(1) == Period(date(2019, 1, 1), date(2019, 2, 28))
    assert Period.year_to(2021, 11, 30).years_earlier(2) == Period(date(2019, 1, 1), date(2019, 11, 30))
    assert Period.full_year(2021).whole_year and not Period.year_to(2021, 12, 30).whole_year


# --- the seed's figures ----------------------------------------------------------------------------
SEED_YEARS = {2019: (532, 82), 2020: (1264, 56), 2021: (1581, 66)}  # accidents, deaths


def generated_year(year: int, accidents: int, deaths: int, streets, rng: random.Random) -> list[dict]:
    """`accidents` rows spread over the local year with exactly `deaths` deaths in all."""
    start = datetime(year, 1, 1)
    days = (datetime(year + 1, 1, 1) - start).days
    rows = []
    for n in range(accidents):
        moment = start + timedelta(days=rng.randrange(days), minutes=rng.randrange(24 * 60))
        rows.append(place_row(rng.choice(streets), moment.strftime("%Y-%m-%d %H:%M"),
                              category=rng.choice(["fire", "fire", "machinery", "vehicle", "fall_from_height"])))
    for n in range(deaths):  # some accidents with several deaths
        rows[rng.randrange(accidents)]["deaths"] += 1
    return rows


@pytest.fixture
def seed_years(world, db):
    rng = random.Random(2021)
    streets = [world["street_a"], world["street_b"]]
    rows = [row for year, (count, deaths) in SEED_YEARS.items()
            for row in generated_year(year, count, deaths, streets, rng)]
    bulk_insert(db, rows)
    return rows


def test_a_generated_year_reproduces_the_reported_year_on_year_percentages(seed_years):
    result = compare(SYSTEM, Period.full_year(2021))
    line = result.all
    assert (line.totals.accidents, line.totals.deaths) == (1581, 66)
    assert [p.year for p in result.earlier] == [2020, 2019]
    assert [(t.accidents, t.deaths) for t in line.earlier] == [(1264, 56), (532, 82)]
    against_2020, against_2019 = line.changes
    assert (against_2019["accidents"], against_2019["deaths"]) == (Decimal("197.18"), Decimal("-19.51"))
    assert (against_2020["accidents"], against_2020["deaths"]) == (Decimal("25.08"), Decimal("17.86"))
    # Fire on its own line, production safety without it, and both adding up to all.
    fire, production = result.lines["fire"].totals, result.lines["production"].totals
    assert fire.accidents > 0 and production.accidents > 0
    assert fire + production == line.totals
    assert [year for year, _ in by_year(SYSTEM)][-3:] == [2021, 2020, 2019]
    assert {year: (t.accidents, t.deaths) for year, t in by_year(SYSTEM) if year in SEED_YEARS} == SEED_YEARS


def test_the_statistics_page_shows_the_reported_figures(seed_years, world, login_as):
    client = login_as(world["district_regulator"])
    page = client.get("/accidents/stats?year=2021&until=").get_data(as_text=True)
    assert "Against 2019: accidents +197.18 %, deaths −19.51 %." in page
    assert "Against 2020: accidents +25.08 %, deaths +17.86 %." in page
    assert "1,581" in page


# --- periods in Beijing time ------------------------------------------------------------------------
def test_new_year_and_month_ends_are_counted_in_beijing_time(world, db):
    street = world["street_a"]
    bulk_insert(db, [
        place_row(street, "2021-12-31 23:30"),  # 15:30 UTC on the 31st: 2021, December
        place_row(street, "2022-01-01 00:10"),  # 16:10 UTC on 31 December 2021: but 2022, January
        place_row(street, "2021-06-30 23:59", deaths=1),
        place_row(street, "2021-07-01 00:00"),
    ])
    years = {year: t.accidents for year, t in by_year(SYSTEM)}
    assert years == {**{y: 0 for y in range(2021, local_today().year + 1)}, 2021: 3, 2022: 1}
    months = {row.key: row.totals.accidents for row in breakdown(SYSTEM, Period.full_year(2021), "month")}
    assert months == {**{m: 0 for m in range(1, 13)}, 6: 1, 7: 1, 12: 1}
    half = compare(SYSTEM, Period.year_to(2021, 6, 30)).all.totals
    assert (half.accidents, half.deaths) == (1, 1)
    january = breakdown(SYSTEM, Period.year_to(2022, 1, 31), "month")
    assert [(row.key, row.totals.accidents, row.previous.accidents) for row in january] == [(1, 1, 0)]


def test_year_to_date_compares_the_same_days_of_earlier_years(world, db):
    street = world["street_a"]
    bulk_insert(db, [
        place_row(street, "2021-03-01 10:00"), place_row(street, "2021-03-02 10:00"),
        place_row(street, "2020-02-29 10:00"), place_row(street, "2020-03-02 10:00"),  # before/after the cut
        place_row(street, "2019-03-01 23:59"), place_row(street, "2019-03-02 00:00"),
    ])
    result = compare(SYSTEM, Period.year_to(2021, 3, 1))
    assert [t.accidents for t in [result.all.totals, *result.all.earlier]] == [1, 1, 1]
    whole = compare(SYSTEM, Period.full_year(2021))
    assert [t.accidents for t in [whole.all.totals, *whole.all.earlier]] == [2, 2, 2]
    assert whole.all.changes[0]["accidents"] == Decimal("0.00")


# --- breakdowns on crafted data ---------------------------------------------------------------------
@pytest.fixture
def crafted(world, db):
    a, b = world["street_a"], world["street_b"]
    sector = world["sector"].id
    bulk_insert(db, [
        place_row(a, "2021-02-03 10:00", category="fire", deaths=1, injuries=2, direct_loss=Decimal("1000.10")),
        place_row(a, "2021-02-04 10:00", category="fire", injuries=1, direct_loss=Decimal("0.20")),
        place_row(a, "2021-05-05 10:00", category="machinery", injuries=3, sector_id=sector,
                  direct_loss=Decimal("50000")),
        place_row(b, "2021-05-06 10:00", category="fall_from_height", deaths=2, sector_id=sector),
        place_row(a, "2020-05-05 10:00", category="machinery", injuries=1),
        place_row(b, "2020-08-01 10:00", category="fall_from_height"),
        place_row(b, "2020-08-02 10:00", category="fall_from_height"),
        place_row(b, "2020-09-01 10:00", category="vehicle", deaths=1),
    ])


def test_per_street_totals_and_change(crafted, world):
    rows = {row.key: row for row in breakdown(SYSTEM, Period.full_year(2021), "street")}
    a, b = rows[world["street_a"].id], rows[world["street_b"].id]
    assert a.totals == Totals(3, 1, 6, Decimal("51000.30")) and a.previous == Totals(1, 0, 1, Decimal("0.00"))
    assert b.totals == Totals(1, 2, 0, Decimal("0.00")) and b.previous.accidents == 3
    assert (a.changes["accidents"], b.changes["accidents"]) == (Decimal("200.00"), Decimal("-66.67"))
    assert len(rows) == 11 and all(r.totals.accidents == 0 for k, r in rows.items() if k not in (a.key, b.key))
    assert a.label == world["street_a"].name_en


def test_per_category_with_the_fire_scope_apart(crafted):
    def table(line):
        return {row.key: (row.totals.accidents, row.totals.deaths, row.previous.accidents)
                for row in breakdown(SYSTEM, Period.full_year(2021), "category", line)}
    assert table("all") == {"vehicle": (0, 0, 1), "machinery": (1, 0, 1), "fire": (2, 1, 0),
                            "fall_from_height": (1, 2, 2)}
    assert table("fire") == {"fire": (2, 1, 0)}
    assert table("production") == {"vehicle": (0, 0, 1), "machinery": (1, 0, 1), "fall_from_height": (1, 2, 2)}
    result = compare(SYSTEM, Period.full_year(2021))
    assert (result.lines["fire"].totals.accidents, result.lines["production"].totals.accidents) == (2, 2)
    assert result.lines["fire"].changes[0]["accidents"] is None  # no fire in 2020: nothing to compare with
    assert result.lines["production"].changes[0]["accidents"] == Decimal("-50.00")


def test_per_sector_lists_accidents_without_a_sector_apart(crafted, world):
    rows = [(row.key, row.label, row.totals.accidents) for row in breakdown(SYSTEM, Period.full_year(2021), "sector")]
    assert rows == [(world["sector"].id, world["sector"].name_en, 2), (None, "Sector not given", 2)]


# --- scope ---------------------------------------------------------------------------------------
def test_statistics_count_only_what_the_user_may_see(crafted, world, db):
    from safetylist.interviews import accidents
    accidents.record_accident(world["admin"], occurred_at=local("2021-07-07 07:07"), enterprise_id=world["e_a1"].id,
                              category="burns", injuries=1, summary="烫伤")
    assert compare(world["street_regulator"], Period.full_year(2021)).all.totals.accidents == 4  # street A
    officer = compare(world["officer"], Period.full_year(2021)).all.totals
    assert (officer.accidents, officer.injuries) == (1, 1)  # their enterprise's only
    streets = breakdown(world["street_regulator"], Period.full_year(2021), "street")
    assert [(row.key, row.totals.accidents) for row in streets] == [(world["street_a"].id, 4)]


def test_the_page_defaults_to_this_year_so_far(world, db, login_as):
    today = local_today()
    bulk_insert(db, [place_row(world["street_a"], f"{today.year}-01-01 08:00")])
    client = login_as(world["officer"])  # nothing of theirs: zeros, and no percentages
    page = client.get("/accidents/stats").get_data(as_text=True)
    assert f"{today.year}-01-01 to {today.isoformat()}" in page and "accidents —" in page
    page = login_as(world["street_regulator"]).get("/accidents/stats?line=fire&year=1990").get_data(as_text=True)
    assert f'<option value="{today.year}" selected>' in page  # an unknown year falls back to one with data
