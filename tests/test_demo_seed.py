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

    users = db.session.scalar(select(func.count(User.id)))
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count(Enterprise.id))) == 865
    assert db.session.scalar(select(func.count(User.id))) == users
    assert db.session.scalar(select(func.count(Certificate.id))) == 40

    for username in DEMO_LOGINS:
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200, username
