"""Grid responsibility: history on any date, backups, and tasks (and drafts) handed over on reassignment."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safetylist.errors import ValidationFailed
from safetylist.grid.inspections import due_inspections
from safetylist.grid.models import GridAssignment
from safetylist.grid.services import assign_grids, backup_workers, responsible_workers
from safetylist.timeutil import local_today
from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)
from tests.factories import login


def test_history_answers_who_was_responsible_on_any_day(world, db, make_user):
    grid = world["grid_a1"].id
    newcomer = make_user("grid_worker", street_id=world["street_a"].id)
    handover = local_today() + timedelta(days=3)
    assign_grids(world["street_regulator"], newcomer, [grid], starts_on=handover)
    before, after = handover - timedelta(days=1), handover
    assert responsible_workers([grid], on=before)[grid].id == world["grid_worker"].id
    assert responsible_workers([grid], on=after)[grid].id == newcomer.id
    assert responsible_workers([grid], on=date(2020, 12, 31)) == {}  # before anyone
    rows = db.session.scalars(select(GridAssignment).where(GridAssignment.grid_id == grid)
                              .order_by(GridAssignment.starts_on)).all()
    assert [(r.user_id, r.starts_on, r.ends_on) for r in rows] == [
        (world["grid_worker"].id, date(2021, 1, 1), before), (newcomer.id, handover, None)]


def test_reassignment_hands_over_tasks_drafts_and_scope(world, client, library, db, make_user):
    from safetylist.checklists import runs
    old = world["grid_worker"]
    draft = runs.start_run(old, "site-visit", world["e_a1"])
    runs.save_answers(old, draft, {"extinguishers": "fail"}, {})
    newcomer = make_user("grid_worker", street_id=world["street_a"].id)
    assign_grids(world["street_regulator"], newcomer, [world["grid_a1"].id])
    assert due_inspections(old) == []
    assert [t.enterprise.id for t in due_inspections(newcomer)] == [world["e_a1"].id]
    # The newcomer continues the same draft; the old worker no longer reaches it or the enterprise.
    assert runs.start_run(newcomer, "site-visit", world["e_a1"]).id == draft.id
    login(client, old)
    assert client.get(f"/runs/{draft.id}").status_code == 404
    assert client.get(f"/enterprises/{world['e_a1'].id}").status_code == 404
    assert world["e_a1"].name not in client.get("/grid/inspections").get_data(as_text=True)
    client.post("/logout")
    login(client, newcomer)
    assert client.get(f"/runs/{draft.id}").status_code == 200
    assert client.get(f"/enterprises/{world['e_a1'].id}").status_code == 200


def test_backups_see_the_grid_and_are_told_so(world, library, db, make_user):
    backup = make_user("grid_worker", street_id=world["street_a"].id)
    assign_grids(world["street_regulator"], backup, [world["grid_a2"].id], backup_grid_ids=[world["grid_a1"].id])
    tasks = {t.enterprise.id: t for t in due_inspections(backup)}
    assert set(tasks) == {world["e_a1"].id, world["e_a2"].id}
    assert tasks[world["e_a1"].id].backup and not tasks[world["e_a2"].id].backup
    assert not due_inspections(world["grid_worker"])[0].backup
    # A backup does not take responsibility away from the primary worker.
    grid = world["grid_a1"].id
    assert responsible_workers([grid])[grid].id == world["grid_worker"].id
    assert [u.id for u in backup_workers([grid])[grid]] == [backup.id]


def test_becoming_responsible_ends_being_the_backup(world, db, make_user):
    worker = make_user("grid_worker", street_id=world["street_a"].id)
    grid = world["grid_a2"].id
    assign_grids(world["admin"], worker, [], backup_grid_ids=[grid])
    assign_grids(world["admin"], worker, [grid])  # backups not given: left as they are, except this grid
    assert backup_workers([grid]) == {} and responsible_workers([grid])[grid].id == worker.id


def test_a_grid_cannot_be_both_primary_and_backup(world, db, make_user):
    worker = make_user("grid_worker", street_id=world["street_a"].id)
    with pytest.raises(ValidationFailed) as caught:
        assign_grids(world["admin"], worker, [world["grid_a2"].id], backup_grid_ids=[world["grid_a2"].id])
    assert "backup_grids" in caught.value.errors
    assert db.session.scalars(select(GridAssignment).where(GridAssignment.user_id == worker.id)).all() == []


def test_backup_grids_from_the_admin_page(world, client, db, make_user):
    worker = make_user("grid_worker", street_id=world["street_a"].id)
    login(client, world["street_regulator"])
    response = client.post(f"/admin/users/{worker.id}/grids",
                           data={"grids": [world["grid_a2"].id], "backup_grids": [world["grid_a1"].id]})
    assert response.status_code == 302
    roles = {(a.grid_id, a.role) for a in db.session.scalars(
        select(GridAssignment).where(GridAssignment.user_id == worker.id))}
    assert roles == {(world["grid_a2"].id, "primary"), (world["grid_a1"].id, "backup")}
    page = client.get(f"/admin/users/{world['grid_worker'].id}/grids").get_data(as_text=True)
    assert worker.display_name in page  # the other worker's page names the backup


def test_the_district_list_is_paged(world, client, library, make_enterprise):
    for n in range(55):
        make_enterprise(name=f"分页企业{n:02d}")
    login(client, world["district_regulator"])
    first = client.get("/grid/inspections").get_data(as_text=True)
    assert first.count('class="card task') == 50 and "58" in first
    second = client.get("/grid/inspections?page=2").get_data(as_text=True)
    assert second.count('class="card task') == 8
