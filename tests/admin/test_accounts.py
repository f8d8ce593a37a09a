"""Account administration and grid responsibility."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from safetylist.timeutil import local_today
from tests.factories import login


def test_only_admins_manage_accounts(world, client):
    for role in ("officer", "grid_worker", "district_regulator", "agency_staff"):
        client.post("/logout")
        login(client, world[role])
        assert client.get("/admin/users").status_code == 404, role
        assert client.get("/admin/users/new").status_code == 404, role
    client.post("/logout")
    login(client, world["street_regulator"])
    assert client.get("/admin/users").status_code == 200
    assert client.get("/admin/users/new").status_code == 404


def test_street_regulator_sees_only_their_streets_grid_workers(world, client, make_user):
    other = make_user("grid_worker", street_id=world["street_b"].id)
    login(client, world["street_regulator"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert world["grid_worker"].username in page
    assert other.username not in page and world["admin"].username not in page
    assert client.get(f"/admin/users/{other.id}/grids").status_code == 404


def test_admin_creates_an_officer_bound_to_an_enterprise(world, client, db):
    from safetylist.auth.models import User
    login(client, world["admin"])
    response = client.post("/admin/users/new", data={
        "username": "new.officer", "display_name": "新安全员", "role": "officer",
        "enterprise_code": world["e_b1"].credit_code.lower(), "password": "goodpass1", "active": "y"})
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.username == "new.officer")).one()
    assert user.enterprise_id == world["e_b1"].id and user.street_id is None


@pytest.mark.parametrize("data, field", [
    ({"role": "officer", "enterprise_code": "91350100M000100Y43"}, "enterprise_code"),
    ({"role": "street_regulator"}, "street_id"),
    ({"role": "agency_staff"}, "agency_id"),
    ({"role": "admin", "password": "short1"}, "password"),
    ({"role": "admin", "password": "onlyletters"}, "password"),
    ({"role": "admin", "username": "a b"}, "username"),
])
def test_account_errors_name_the_field(world, client, db, data, field):
    from safetylist.auth.models import User
    login(client, world["admin"])
    form = {"username": "someone", "display_name": "某人", "password": "goodpass1", **data}
    before = db.session.query(User).count()
    response = client.post("/admin/users/new", data=form)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.query(User).count() == before


def test_role_change_drops_the_old_binding_and_is_audited(world, client, db):
    from safetylist.audit.models import AuditEntry
    login(client, world["admin"])
    user = world["street_regulator"]
    response = client.post(f"/admin/users/{user.id}/edit", data={
        "username": user.username, "display_name": user.display_name, "role": "district_regulator",
        "street_id": user.street_id, "version": user.version, "active": "y"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.role, user.street_id) == ("district_regulator", None)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "role_changed")).one()


def test_stale_account_edit_is_refused(world, client, db):
    login(client, world["admin"])
    user = world["grid_worker"]
    data = {"username": user.username, "display_name": "改名一", "role": "grid_worker",
            "street_id": user.street_id, "version": user.version, "active": "y"}
    assert client.post(f"/admin/users/{user.id}/edit", data=data).status_code == 302
    data["display_name"] = "改名二"
    assert client.post(f"/admin/users/{user.id}/edit", data=data).status_code == 409
    db.session.refresh(user)
    assert user.display_name == "改名一"


def test_database_refuses_an_officer_without_enterprise(app, db):
    from sqlalchemy.exc import IntegrityError

    from safetylist.auth.models import User
    user = User(username="x", display_name="x", role="officer", password_hash="x")
    db.session.add(user)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_assigning_grids_moves_responsibility_and_keeps_history(world, client, db, make_user):
    from safetylist.grid.models import GridAssignment
    from safetylist.grid.services import responsible_workers
    newcomer = make_user("grid_worker", street_id=world["street_a"].id)
    login(client, world["street_regulator"])
    grid_a1, grid_a2 = world["grid_a1"].id, world["grid_a2"].id
    response = client.post(f"/admin/users/{newcomer.id}/grids", data={"grids": [grid_a1, grid_a2]})
    assert response.status_code == 302
    holders = responsible_workers([grid_a1, grid_a2])
    assert holders[grid_a1].id == newcomer.id and holders[grid_a2].id == newcomer.id
    old = db.session.scalars(select(GridAssignment).where(GridAssignment.user_id == world["grid_worker"].id)).one()
    assert old.ends_on is not None and old.ends_on < local_today() + timedelta(days=1)
    # The old worker no longer sees the enterprise; the newcomer does.
    from safetylist.auth.scope import Scope
    assert db.session.scalars(Scope(world["grid_worker"]).enterprises()).first() is None
    assert world["e_a1"] in db.session.scalars(Scope(newcomer).enterprises()).unique().all()


def test_street_regulator_cannot_assign_grids_of_another_street(world, client, db):
    from safetylist.grid.services import responsible_workers
    login(client, world["street_regulator"])
    grid_b1 = world["grid_b1"].id
    client.post(f"/admin/users/{world['grid_worker'].id}/grids", data={"grids": [grid_b1]})
    assert grid_b1 not in responsible_workers([grid_b1])
