"""Every role sees and touches only its own part of the district: list, detail, edit, export, import."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.factories import login

ALL = {"e_a1", "e_a2", "e_b1"}
VISIBLE = {
    "officer": {"e_a1"},
    "grid_worker": {"e_a1"},
    "street_regulator": {"e_a1", "e_a2"},
    "district_regulator": ALL,
    "agency_staff": set(),
    "admin": ALL,
}
EDITABLE = {
    "officer": {"e_a1"},
    "grid_worker": set(),
    "street_regulator": {"e_a1", "e_a2"},
    "district_regulator": ALL,
    "agency_staff": set(),
    "admin": ALL,
}
CAN_IMPORT = {"street_regulator", "district_regulator", "admin"}
ROLES = list(VISIBLE)


def _names(world, keys):
    return {world[key].name for key in keys}


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_only_enterprises_in_scope(world, client, role):
    login(client, world[role])
    response = client.get("/enterprises/?per_page=200")
    if role == "agency_staff":
        assert response.status_code == 404
        return
    page = response.get_data(as_text=True)
    for key in ALL:
        assert (world[key].name in page) == (key in VISIBLE[role]), (role, key)


@pytest.mark.parametrize("role", ROLES)
def test_search_cannot_reach_outside_scope(world, client, role):
    login(client, world[role])
    response = client.get(f"/enterprises/?q={world['e_b1'].credit_code}")
    if response.status_code == 200:
        assert (world["e_b1"].name in response.get_data(as_text=True)) == ("e_b1" in VISIBLE[role])


@pytest.mark.parametrize("role", ROLES)
def test_detail_is_404_outside_scope(world, client, role):
    login(client, world[role])
    for key in ALL:
        status = client.get(f"/enterprises/{world[key].id}").status_code
        assert status == (200 if key in VISIBLE[role] else 404), (role, key)


@pytest.mark.parametrize("role", ROLES)
def test_edit_respects_scope_and_role(world, client, role):
    login(client, world[role])
    for key in ALL:
        status = client.get(f"/enterprises/{world[key].id}/edit").status_code
        expected = 200 if key in EDITABLE[role] else (403 if key in VISIBLE[role] else 404)
        assert status == expected, (role, key)


@pytest.mark.parametrize("role", ROLES)
def test_edit_post_outside_scope_changes_nothing(world, client, role, db):
    from safetylist.registry.models import Enterprise
    login(client, world[role])
    target = world["e_b1"]
    client.post(f"/enterprises/{target.id}/edit", data={"name": "被篡改", "version": target.version})
    db.session.expire_all()
    assert db.session.get(Enterprise, target.id).name != "被篡改" or "e_b1" in EDITABLE[role]


@pytest.mark.parametrize("role", ROLES)
def test_export_contains_only_scope(world, client, role):
    login(client, world[role])
    response = client.get("/enterprises/export.xlsx")
    if role == "agency_staff":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == _names(world, VISIBLE[role])


@pytest.mark.parametrize("role", ROLES)
def test_import_is_for_regulators_only(world, client, role):
    login(client, world[role])
    status = client.get("/enterprises/import").status_code
    if role in CAN_IMPORT:
        assert status == 200
    else:
        assert status in (403, 404)


def test_street_regulator_cannot_import_into_another_street(world, client, db):
    from safetylist.registry.importer import import_enterprises
    from tests.registry.spreadsheets import csv_bytes, row_for
    row = row_for(street=world["street_b"].name_zh, community="", grid="")
    result = import_enterprises(world["street_regulator"], "x.csv", csv_bytes([row]))
    assert not result.ok
    assert any(e.column == "街道" and e.row == 2 for e in result.errors)


def test_grid_worker_scope_follows_the_assignment_dates(world, db):
    from datetime import date

    from safetylist.auth.scope import Scope
    from safetylist.grid.models import GridAssignment
    worker = world["grid_worker"]
    assignment = db.session.query(GridAssignment).filter_by(user_id=worker.id).one()
    assignment.ends_on = date(2021, 6, 30)
    db.session.commit()
    ids = lambda day: set(db.session.scalars(Scope(worker, on=day).enterprises()).unique().all())  # noqa: E731
    assert world["e_a1"] in ids(date(2021, 6, 30))
    assert ids(date(2021, 7, 1)) == set()


def test_runs_and_hazards_follow_the_enterprise_scope(world, db):
    """Checklist runs and hazards are visible exactly where their enterprise (or agency) is."""
    from safetylist.auth.scope import Scope
    from safetylist.checklists.models import ChecklistRun, ChecklistVersion
    from safetylist.remediation.models import Hazard
    version = ChecklistVersion(checklist_key="k", number=1, content_hash="h" * 64, title_zh="测", title_en="t",
                               kind="self_check", audience="enterprise", frequency="daily", definition={},
                               source="k.yaml")
    db.session.add(version)
    db.session.flush()
    owners = {"e_a1": {"enterprise_id": world["e_a1"].id}, "e_a2": {"enterprise_id": world["e_a2"].id},
              "e_b1": {"enterprise_id": world["e_b1"].id}, "agency": {"agency_id": world["agency"].id}}
    for owner in owners.values():
        db.session.add(ChecklistRun(version_id=version.id, **owner))
        db.session.add(Hazard(severity="general", title="t", found_on=date(2021, 1, 1),
                              deadline=date(2021, 1, 2), **owner))
    db.session.commit()
    seen_by = {**{role: VISIBLE[role] for role in ROLES},
               "agency_staff": {"agency"}, "district_regulator": ALL | {"agency"}, "admin": ALL | {"agency"}}
    names = {v.get("enterprise_id") or ("agency", v.get("agency_id")): k for k, v in owners.items()}
    for role in ROLES:
        scope = Scope(world[role])
        for query in (scope.runs(), scope.hazards()):
            rows = db.session.scalars(query).all()
            got = {names[r.enterprise_id or ("agency", r.agency_id)] for r in rows}
            assert got == seen_by[role], (role, query)
