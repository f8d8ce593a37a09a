"""Every overview figure against a direct count on fixed data, for the district and for a street."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from safetylist.checklists import runs
from safetylist.dashboard import figures
from safetylist.registry.models import Enterprise
from safetylist.remediation.models import Hazard
from safetylist.timeutil import local_today, utc_start_of
from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)


def add_hazard(db, enterprise, *, severity="general", status="open", found_on, deadline=None, closed_on=None):
    hazard = Hazard(enterprise_id=enterprise.id, severity=severity, status=status, title="测试隐患", found_on=found_on,
                    deadline=deadline or found_on + timedelta(days=7), source="self_check",
                    closed_at=utc_start_of(closed_on) + timedelta(hours=3) if closed_on else None)
    db.session.add(hazard)
    return hazard


@pytest.fixture
def district(world, db, library, app):
    today = local_today()
    e_a1, e_a2, e_b1 = world["e_a1"], world["e_a2"], world["e_b1"]
    e_b1.status = "suspended"
    # Hazards: a1 general open overdue, a1 major open not due, a2 general closed after 4 days,
    # b1 major closed after 10 days, b1 general withdrawn, a2 major submitted overdue.
    add_hazard(db, e_a1, found_on=today - timedelta(days=20), deadline=today - timedelta(days=2))
    add_hazard(db, e_a1, severity="major", found_on=today - timedelta(days=1), deadline=today + timedelta(days=5))
    add_hazard(db, e_a2, status="closed", found_on=today - timedelta(days=40), closed_on=today - timedelta(days=36))
    add_hazard(db, e_b1, severity="major", status="closed", found_on=today - timedelta(days=70),
               closed_on=today - timedelta(days=60))
    add_hazard(db, e_b1, status="withdrawn", found_on=today - timedelta(days=5))
    add_hazard(db, e_a2, severity="major", status="rectification_submitted", found_on=today - timedelta(days=30),
               deadline=today - timedelta(days=1))
    add_hazard(db, e_a2, status="closed", found_on=today - timedelta(days=500), closed_on=today - timedelta(days=480))
    db.session.commit()
    run = runs.start_run(world["officer"], "weekly-check", e_a1)
    runs.submit_run(world["officer"], run, {"has-gas": "no", "exits": "pass"})
    return world


def test_district_figures_match_direct_counts(district, app):
    with app.test_request_context():
        data = figures.overview(district["district_regulator"])
    assert (data.filed.value, data.active.value) == (
        Enterprise.query.count(), Enterprise.query.filter_by(status="active").count()) == (3, 2)
    assert data.self_checked.value == 1 and data.self_check_share == 0.5
    assert {s: data.hazards["active"][s].value for s in ("general", "major")} == {"general": 1, "major": 2}
    assert {s: data.hazards["overdue"][s].value for s in ("general", "major")} == {"general": 1, "major": 1}
    assert {s: data.hazards["closed"][s].value for s in ("general", "major")} == {"general": 2, "major": 1}
    # Found in the last 12 months and not withdrawn: 5, of which 2 closed.
    assert data.remediation_rate == pytest.approx(2 / 5)
    assert data.median_days_to_close == 7.0  # closed in 12 months after 4 and 10 days
    found = dict((m, f) for m, f, _c in data.trend)
    this_month = local_today().strftime("%Y-%m")
    direct = sum(1 for h in Hazard.query.all() if h.status != "withdrawn" and h.found_on.strftime("%Y-%m") == this_month)
    assert found[this_month] == direct
    assert len(data.trend) == 12 and data.trend[-1][0] == this_month
    assert sum(c for _m, _f, c in data.trend) == 2


def test_a_street_regulator_gets_the_figures_of_their_street(district, app):
    with app.test_request_context():
        data = figures.overview(district["street_regulator"])
    assert (data.filed.value, data.active.value) == (2, 2)
    assert data.hazards["active"]["major"].value == 2 and data.hazards["closed"]["major"].value == 0
    assert data.hazards["closed"]["general"].value == 2
    assert data.median_days_to_close == 4.0
    assert data.remediation_rate == pytest.approx(1 / 4)


def test_months_back_crosses_the_year():
    assert figures.months_back(date(2026, 2, 10), 4) == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1),
                                                          date(2026, 2, 1)]


def test_the_page_shows_the_figures_with_their_links_to_regulators_only(district, login_as):
    client = login_as(district["district_regulator"])
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "/hazards/?severity=general&amp;overdue=1" in page and page.count("<svg") == 2
    assert f"/hazards/?street_id={district['street_a'].id}" in page  # each street's bar opens its board
    street_page = login_as(district["street_regulator"]).get("/dashboard/").get_data(as_text=True)
    assert street_page.count("<svg") == 1  # one street: no chart of streets
    for role in ("officer", "grid_worker", "agency_staff"):
        assert login_as(district[role]).get("/dashboard/").status_code == 404


def test_counting_ignores_agency_hazards(district, db, app):
    db.session.add(Hazard(agency_id=district["agency"].id, severity="major", status="open", title="机构问题",
                          found_on=local_today(), deadline=local_today(), source="agency_self_check"))
    db.session.commit()
    with app.test_request_context():
        data = figures.overview(district["district_regulator"])
    assert data.hazards["active"]["major"].value == 2
    assert db.session.scalar(select(func.count(Hazard.id)).where(Hazard.agency_id.is_not(None))) == 1
