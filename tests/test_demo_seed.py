"""`flask seed demo`: the district with 865 enterprises, staff for every grid, a login per role."""
from __future__ import annotations

from sqlalchemy import func, select

from safetylist.demo_seed import DEMO_LOGINS, DEMO_PASSWORD


def test_seed_demo_is_complete_and_idempotent(app, db, client):
    from safetylist.auth.models import User
    from safetylist.grid.models import Grid
    from safetylist.grid.services import staffed_grid_ids
    from safetylist.registry.credit_code import is_valid
    from safetylist.registry.models import Enterprise, Street
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Enterprise.id)).where(Enterprise.status == "active")) == 865
    codes = db.session.scalars(select(Enterprise.credit_code)).all()
    assert all(is_valid(code) for code in codes)
    per_street = dict(db.session.execute(select(Enterprise.street_id, func.count()).group_by(Enterprise.street_id)).all())
    assert len(per_street) == db.session.scalar(select(func.count(Street.id))) == 11
    unstaffed = db.session.scalar(select(func.count(Grid.id)).where(Grid.id.not_in(staffed_grid_ids())))
    assert unstaffed == 0
    risks = dict(db.session.execute(select(Enterprise.risk_level, func.count()).group_by(Enterprise.risk_level)).all())
    assert set(risks) == {"red", "orange", "yellow", "blue"} and risks["blue"] > risks["red"]

    from safetylist.standardization.models import Certificate
    assert db.session.scalar(select(func.count(Certificate.id))) == 40
    assert db.session.scalars(select(User.email).where(User.username == "officer")).one()

    from datetime import timedelta
    from decimal import Decimal

    from safetylist.auth.system import SYSTEM
    from safetylist.interviews.accident_stats import Period, compare
    from safetylist.interviews.models import Accident
    from safetylist.timeutil import local_today, utc_start_of, utcnow
    report = compare(SYSTEM, Period.full_year(2021))  # the bureau's figures for 2021
    assert (report.all.totals.accidents, report.all.totals.deaths) == (1581, 66)
    assert [(t.accidents, t.deaths) for t in report.all.earlier] == [(1264, 56), (532, 82)]
    assert report.all.changes[1]["accidents"] == Decimal("197.18") and report.all.changes[0]["deaths"] == Decimal("17.86")
    assert 0.3 < report.lines["fire"].totals.accidents / 1581 < 0.8
    year_ago = utc_start_of(local_today() - timedelta(days=365))
    recent = select(Accident).where(Accident.occurred_at >= year_ago)
    assert 1200 < db.session.scalar(select(func.count()).select_from(recent.subquery())) < 1800
    assert db.session.scalar(select(func.max(Accident.occurred_at))) < utcnow()
    repeats = db.session.execute(recent.with_only_columns(Accident.enterprise_id, func.count())
                                 .where(Accident.enterprise_id.is_not(None))
                                 .group_by(Accident.enterprise_id).having(func.count() >= 2)).all()
    assert 8 <= len(repeats) <= 40  # a few accident-prone enterprises, not the whole register
    officer = db.session.scalars(select(User).where(User.username == "officer")).one()
    assert officer.enterprise_id in {enterprise_id for enterprise_id, _ in repeats}
    accidents = db.session.scalar(select(func.count(Accident.id)))

    from safetylist.standardization.models import Assessment
    applications = dict(db.session.execute(select(Assessment.status, func.count()).group_by(Assessment.status)).all())
    assert applications == {"in_review": 1, "reviewed": 1}
    agency_user = db.session.scalars(select(User).where(User.username == "agency")).one()
    assert db.session.scalar(select(Assessment.reviewer_agency_id).where(Assessment.status == "in_review")) \
        == agency_user.agency_id

    users = db.session.scalar(select(func.count(User.id)))
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count(Enterprise.id))) == 865
    assert db.session.scalar(select(func.count(User.id))) == users
    assert db.session.scalar(select(func.count(Certificate.id))) == 40
    assert db.session.scalar(select(func.count(Accident.id))) == accidents
    assert db.session.scalar(select(func.count(Assessment.id))) == 2

    for username in DEMO_LOGINS:
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200, username
