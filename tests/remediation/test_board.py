"""The hazard board: filters, scope, sorting, counts per street, escalation, the .xlsx export and a
constant number of queries."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from bench.timing import count_queries
from safetylist.audit.models import AuditEntry
from safetylist.errors import ValidationFailed
from safetylist.registry.models import Enterprise, Sector
from safetylist.remediation import board
from safetylist.remediation.board import HazardFilters
from safetylist.remediation.models import Hazard
from safetylist.timeutil import local_today


def add_hazard(db, enterprise, title, severity="general", due_in=5, status="open", source="site_inspection",
               found_ago=40, **extra):
    """A hazard found `found_ago` days ago, due `due_in` days from today (negative: overdue)."""
    today = local_today()
    hazard = Hazard(enterprise_id=enterprise.id, severity=severity, title=title, status=status, source=source,
                    found_on=today - timedelta(days=found_ago), deadline=today + timedelta(days=due_in), **extra)
    db.session.add(hazard)
    db.session.commit()
    return hazard


def titles(actor, sort="deadline", **filters) -> list[str]:
    page = board.list_hazards(actor, HazardFilters(**filters), per_page=100, sort=sort)
    return [h.title for h in page.items]


@pytest.fixture
def hazards(world, db):
    """Hazards across the three enterprises of `world`, one per thing the board filters on."""
    e_a1, e_a2, e_b1 = world["e_a1"], world["e_a2"], world["e_b1"]
    return {h.title: h for h in [
        add_hazard(db, e_a1, "a1-open", due_in=3, source="self_check"),
        add_hazard(db, e_a1, "a1-overdue", due_in=-2, source="site_inspection"),
        add_hazard(db, e_a1, "a1-closed", due_in=-20, status="closed", source="self_check"),
        add_hazard(db, e_a2, "a2-major", severity="major", due_in=10, status="rectification_submitted",
                   source="campaign", found_ago=5),
        add_hazard(db, e_a2, "a2-withdrawn", due_in=1, status="withdrawn", source="interview"),
        add_hazard(db, e_b1, "b1-interview", due_in=-1, source="interview", found_ago=2),
    ]}


# --- filters ---------------------------------------------------------------------------------
@pytest.mark.parametrize("filters, expected", [
    ({}, {"a1-open", "a1-overdue", "a2-major", "b1-interview"}),  # default: still to be fixed
    ({"status": "all"}, {"a1-open", "a1-overdue", "a1-closed", "a2-major", "a2-withdrawn", "b1-interview"}),
    ({"status": "closed"}, {"a1-closed"}),
    ({"status": "withdrawn"}, {"a2-withdrawn"}),
    ({"status": "rectification_submitted"}, {"a2-major"}),
    ({"status": "open"}, {"a1-open", "a1-overdue", "b1-interview"}),
    ({"severity": "major"}, {"a2-major"}),
    ({"severity": "general"}, {"a1-open", "a1-overdue", "b1-interview"}),
    ({"overdue": True}, {"a1-overdue", "b1-interview"}),
    ({"overdue": True, "status": "all"}, {"a1-overdue", "b1-interview"}),  # closed ones are never overdue
    ({"source": "self_check", "status": "all"}, {"a1-open", "a1-closed"}),
    ({"source": "site_inspection"}, {"a1-overdue"}),
    ({"source": "campaign"}, {"a2-major"}),
    ({"source": "interview"}, {"b1-interview"}),
    ({"q": "甲二"}, {"a2-major"}),
])
def test_each_filter(world, hazards, filters, expected):
    assert set(titles(world["district_regulator"], **filters)) == expected


def test_place_filters(world, hazards, db, make_enterprise):
    district = world["district_regulator"]
    assert set(titles(district, street_id=world["street_b"].id)) == {"b1-interview"}
    assert set(titles(district, community_id=world["community_a"].id)) == {"a1-open", "a1-overdue", "a2-major"}
    other = db.session.scalars(select(Sector).where(Sector.id != world["sector"].id)).first()
    add_hazard(db, make_enterprise(sector_id=other.id), "other-sector")
    assert titles(district, sector_id=other.id) == ["other-sector"]
    assert set(titles(district, street_id=world["street_a"].id, severity="major")) == {"a2-major"}


def test_enterprise_history_shows_every_state_newest_first(world, hazards, login_as):
    args = MultiDict({"enterprise_id": str(world["e_a1"].id)})
    filters = HazardFilters.from_args(args)
    assert filters.status == "all" and board.sort_from_args(args, filters) == "found_on"
    assert set(titles(world["district_regulator"], **vars(filters))) == {"a1-open", "a1-overdue", "a1-closed"}

    client = login_as(world["street_regulator"])
    page = client.get(f"/hazards/?enterprise_id={world['e_a1'].id}").get_data(as_text=True)
    assert "a1-closed" in page and "a1-open" in page and "a2-major" not in page
    detail = client.get(f"/enterprises/{world['e_a1'].id}").get_data(as_text=True)
    assert f"/hazards/?enterprise_id={world['e_a1'].id}" in detail


def test_filters_through_http(world, hazards, login_as):
    client = login_as(world["district_regulator"])
    page = client.get(f"/hazards/?street_id={world['street_a'].id}&overdue=yes").get_data(as_text=True)
    assert "a1-overdue" in page and "a1-open" not in page and "b1-interview" not in page
    page = client.get("/hazards/?severity=major&source=campaign&status=all").get_data(as_text=True)
    assert "a2-major" in page and "a1-open" not in page


@pytest.mark.parametrize("query, field, value", [
    ("severity=huge", "severity", "huge"),
    ("status=pending", "status", "pending"),
    ("source=rumour", "source", "rumour"),
    ("overdue=maybe", "overdue", "maybe"),
    ("escalated=perhaps", "escalated", "perhaps"),
    ("street_id=abc", "street_id", "abc"),
    ("enterprise_id=-3", "enterprise_id", "-3"),
    ("sort=colour", "sort", "colour"),
])
def test_unknown_filter_value_is_refused_naming_the_field(world, login_as, query, field, value):
    response = login_as(world["district_regulator"]).get(f"/hazards/?{query}")
    assert response.status_code == 400
    assert f"“{value}”" in response.get_data(as_text=True)
    assert login_as(world["district_regulator"]).get(f"/hazards/export.xlsx?{query}").status_code == 400
    with pytest.raises(ValidationFailed) as failure:
        args = MultiDict([query.split("=")])
        board.sort_from_args(args, HazardFilters.from_args(args))
    assert list(failure.value.errors) == [field]


def test_every_bad_value_is_reported_at_once(world, login_as):
    page = login_as(world["district_regulator"]).get("/hazards/?severity=huge&sort=colour")
    assert page.status_code == 400
    assert "“huge”" in page.get_data(as_text=True) and "“colour”" in page.get_data(as_text=True)


# --- scope -----------------------------------------------------------------------------------
def test_street_regulator_sees_only_their_street(world, hazards, login_as):
    regulator = world["street_regulator"]
    assert set(titles(regulator, status="all")) == {"a1-open", "a1-overdue", "a1-closed", "a2-major", "a2-withdrawn"}
    assert titles(regulator, street_id=world["street_b"].id) == []  # asking for another street shows nothing
    page = login_as(regulator).get("/hazards/?status=all").get_data(as_text=True)
    assert "a2-major" in page and "b1-interview" not in page


def test_grid_worker_sees_only_their_grids(world, hazards, login_as):
    assert set(titles(world["grid_worker"], status="all")) == {"a1-open", "a1-overdue", "a1-closed"}
    page = login_as(world["grid_worker"]).get("/hazards/")
    assert page.status_code == 200 and "a1-open" in page.get_data(as_text=True)
    assert "a2-major" not in page.get_data(as_text=True)


def test_officer_sees_only_their_enterprise_with_few_filters(world, hazards, login_as):
    assert set(titles(world["officer"])) == {"a1-open", "a1-overdue"}
    page = login_as(world["officer"]).get("/hazards/").get_data(as_text=True)
    assert "a1-open" in page and "a2-major" not in page and "b1-interview" not in page
    assert 'name="street_id"' not in page and 'name="source"' not in page and 'name="escalated"' not in page
    assert 'name="status"' in page and 'name="overdue"' in page


def test_enterprise_outside_scope_answers_404(world, hazards, login_as):
    outsider = world["e_b1"].id
    client = login_as(world["street_regulator"])
    assert client.get(f"/hazards/?enterprise_id={outsider}").status_code == 404
    assert client.get(f"/hazards/export.xlsx?enterprise_id={outsider}").status_code == 404
    assert login_as(world["officer"]).get(f"/hazards/?enterprise_id={world['e_a2'].id}").status_code == 404
    assert titles(world["officer"], enterprise_id=outsider, status="all") == []


def test_links_to_each_hazard_and_the_menu_links_to_the_board(world, hazards, login_as):
    page = login_as(world["street_regulator"]).get("/hazards/").get_data(as_text=True)
    assert f'href="/hazards/{hazards["a1-open"].id}"' in page
    assert 'href="/hazards/"' in page


# --- sorting ---------------------------------------------------------------------------------
def test_default_sort_puts_the_most_overdue_first(world, hazards):
    assert titles(world["district_regulator"]) == ["a1-overdue", "b1-interview", "a1-open", "a2-major"]
    # with closed ones shown too, those still to be fixed come first
    assert titles(world["district_regulator"], status="all")[:4] == ["a1-overdue", "b1-interview", "a1-open",
                                                                     "a2-major"]


def test_other_sorts(world, hazards, db):
    district = world["district_regulator"]
    assert titles(district, sort="found_on") == ["b1-interview", "a2-major", "a1-overdue", "a1-open"]
    assert titles(district, sort="severity") == ["a2-major", "a1-overdue", "b1-interview", "a1-open"]
    by_name = db.session.scalars(select(Enterprise.id).order_by(Enterprise.name)).all()  # the database's collation
    assert titles(district, sort="enterprise") == sorted(
        titles(district), key=lambda t: (by_name.index(hazards[t].enterprise_id), hazards[t].deadline))
    page = board.list_hazards(district, HazardFilters(), page=2, per_page=3)
    assert page.total == 4 and page.pages == 2 and [h.title for h in page.items] == ["a2-major"]


# --- escalation ------------------------------------------------------------------------------
@pytest.fixture
def escalation_cases(world, db):
    e_a1 = world["e_a1"]
    return {
        "general-8": add_hazard(db, e_a1, "general-8", due_in=-8),
        "general-6": add_hazard(db, e_a1, "general-6", due_in=-6),
        "general-31": add_hazard(db, e_a1, "general-31", due_in=-31, found_ago=60),
        "major-1": add_hazard(db, e_a1, "major-1", severity="major", due_in=-1),
        "major-due": add_hazard(db, e_a1, "major-due", severity="major", due_in=0),
        "closed-major": add_hazard(db, e_a1, "closed-major", severity="major", due_in=-10, status="closed"),
    }


def test_escalated_filter_follows_the_rules(world, escalation_cases):
    # a street regulator sees everything escalated (to the street, or on to the district)
    assert set(titles(world["street_regulator"], escalated=True)) == {"general-8", "general-31", "major-1"}
    # the district sees what the rules send to the district: majors overdue at all, generals after 30 days
    assert set(titles(world["district_regulator"], escalated=True)) == {"general-31", "major-1"}
    assert set(titles(world["district_regulator"], escalated=True, status="all")) == {"general-31", "major-1"}


def test_escalated_hazards_carry_the_rule_on_the_board(world, escalation_cases, login_as):
    client = login_as(world["street_regulator"])
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/hazards/?escalated=yes").get_data(as_text=True)
    assert "General hazard more than 7 days overdue, escalated to the street" in page
    assert "Major hazard overdue, escalated to the district" in page
    assert "8 days overdue" in page


# --- counts per street -----------------------------------------------------------------------
def test_counts_per_street(world, hazards, escalation_cases, login_as):
    counts = {row.street.id: row for row in board.street_counts(world["district_regulator"], HazardFilters())}
    a, b = counts[world["street_a"].id], counts[world["street_b"].id]
    # street A: a1-open, a1-overdue, a2-major + the five active escalation cases
    assert (a.active, a.overdue, a.major, a.escalated) == (8, 5, 3, 2)
    assert (b.active, b.overdue, b.major, b.escalated) == (1, 1, 0, 0)
    assert all(row.active == 0 for sid, row in counts.items() if sid not in (a.street.id, b.street.id))
    severity = {row.street.id: row for row in board.street_counts(world["district_regulator"],
                                                                     HazardFilters(severity="major"))}
    assert severity[a.street.id].active == 3 and severity[b.street.id].active == 0

    page = login_as(world["district_regulator"]).get("/hazards/").get_data(as_text=True)
    assert f"/hazards/?street_id={world['street_a'].id}&amp;overdue=yes" in page
    assert 'id="by-street"' not in login_as(world["street_regulator"]).get("/hazards/").get_data(as_text=True)


# --- export ----------------------------------------------------------------------------------
def read_sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == board.XLSX
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def test_export_has_the_board_rows_in_chinese_columns(world, hazards, db, login_as):
    hazards["a2-major"].supervision_level = "district"
    db.session.commit()
    rows = read_sheet(login_as(world["district_regulator"]).get("/hazards/export.xlsx?status=all"))
    assert rows[0] == ("编号", "企业名称", "统一社会信用代码", "街道", "社区", "行业", "隐患描述", "等级", "来源",
                       "状态", "发现日期", "整改期限", "逾期天数", "挂牌督办", "升级")
    assert len(rows) == 1 + 6
    by_title = {row[6]: row for row in rows[1:]}
    overdue = by_title["a1-overdue"]
    assert overdue[0] == hazards["a1-overdue"].id and overdue[1] == world["e_a1"].name
    assert overdue[2] == world["e_a1"].credit_code and overdue[3] == world["street_a"].name_zh
    assert overdue[4] == world["community_a"].name_zh and overdue[5] == world["sector"].name_zh
    assert overdue[7] == "一般隐患" and overdue[10].date() == hazards["a1-overdue"].found_on
    assert overdue[11].date() == hazards["a1-overdue"].deadline and overdue[12] == 2
    assert by_title["a1-closed"][12] == 0
    assert by_title["a2-major"][13]  # supervised by the district
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "hazards_exported")).one()
    assert entry.details["count"] == 6 and entry.details["filters"]["status"] == "all"


def test_export_follows_filters_and_scope(world, hazards, escalation_cases, login_as):
    rows = read_sheet(login_as(world["street_regulator"]).get("/hazards/export.xlsx?status=all"))
    assert "b1-interview" not in {row[6] for row in rows[1:]}
    assert len(rows) == 1 + 5 + 6
    rows = read_sheet(login_as(world["grid_worker"]).get("/hazards/export.xlsx?overdue=yes&severity=general"))
    assert {row[6] for row in rows[1:]} == {"a1-overdue", "general-8", "general-6", "general-31"}
    escalated = {row[6]: row[14] for row in rows[1:]}
    assert "街道" in escalated["general-8"] and escalated["general-6"] in ("", None)
    rows = read_sheet(login_as(world["officer"]).get(f"/hazards/export.xlsx?enterprise_id={world['e_a1'].id}"))
    assert {row[1] for row in rows[1:]} == {world["e_a1"].name}


# --- queries ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role, url", [
    ("district_regulator", "/hazards/?status=all"),
    ("district_regulator", "/hazards/?overdue=yes&escalated=yes&sort=enterprise"),
    ("street_regulator", "/hazards/?status=all&sort=severity"),
    ("grid_worker", "/hazards/?status=all"),
    ("officer", "/hazards/?status=all"),
])
def test_constant_number_of_queries(world, hazards, db, make_enterprise, login_as, role, url):
    client = login_as(world[role])
    before = count_queries(client, url)
    for n in range(12):  # more enterprises, in both streets and other communities, with more hazards
        street = world["street_a"] if n % 2 else world["street_b"]
        community = street.communities[n % len(street.communities)]
        enterprise = make_enterprise(street_id=street.id, community_id=community.id, grid_id=community.grids[0].id)
        for k in range(3):
            add_hazard(db, enterprise, f"more-{n}-{k}", severity=("general", "major")[k % 2],
                       due_in=k - 2, supervision_level="street" if k == 1 else None)
        add_hazard(db, world["e_a1"], f"own-{n}", due_in=-n)
    assert count_queries(client, url) == before
