"""Grid inspection plans: due dates from risk levels and the last inspection, the worker's list."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, update

from safetylist.grid.inspections import add_months, due_inspections
from safetylist.timeutil import local_today
from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)
from tests.factories import login


def inspect(db, worker, enterprise, days_ago: int, result="pass"):
    from safetylist.checklists import runs
    from safetylist.checklists.models import ChecklistRun
    from safetylist.timeutil import utcnow
    run = runs.start_run(worker, "site-visit", enterprise)
    runs.submit_run(worker, run, {"extinguishers": result})
    db.session.execute(update(ChecklistRun).where(ChecklistRun.id == run.id)
                       .values(submitted_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


def test_add_months_keeps_the_end_of_month():
    assert add_months(date(2021, 1, 31), 1) == date(2021, 2, 28)
    assert add_months(date(2021, 11, 15), 3) == date(2022, 2, 15)


def test_never_inspected_is_due_now(world, library):
    today = local_today()
    [task] = due_inspections(world["grid_worker"], today=today)
    assert task.enterprise.id == world["e_a1"].id
    assert task.due_on == today and task.last_inspected_on is None and task.overdue_days == 0


@pytest.mark.parametrize("risk, months", [("red", 1), ("orange", 2), ("yellow", 3), ("blue", 6)])
def test_due_date_follows_the_risk_level_and_the_last_inspection(world, library, db, risk, months):
    enterprise = world["e_a1"]
    enterprise.risk_level = risk
    db.session.commit()
    inspect(db, world["grid_worker"], enterprise, days_ago=10, result="fail")
    [task] = due_inspections(world["grid_worker"])
    last = local_today() - timedelta(days=10)
    assert task.last_inspected_on == last and task.last_passed is False
    assert task.due_on == add_months(last, months)
    assert task.open_hazards == 1


def test_frequencies_are_data(world, library, db):
    from safetylist.grid.models import InspectionFrequency
    inspect(db, world["grid_worker"], world["e_a1"], days_ago=40)  # yellow: quarterly by default
    assert due_inspections(world["grid_worker"])[0].overdue_days == 0
    db.session.query(InspectionFrequency).filter_by(risk_level="yellow").update({"months": 1})
    db.session.commit()
    try:
        assert due_inspections(world["grid_worker"])[0].overdue_days > 0
    finally:  # the table is reference data, kept between tests
        db.session.query(InspectionFrequency).filter_by(risk_level="yellow").update({"months": 3})
        db.session.commit()


def test_the_list_follows_reassignment(world, library, db, make_user):
    from safetylist.grid.services import assign_grids
    newcomer = make_user("grid_worker", street_id=world["street_a"].id)
    assign_grids(world["admin"], newcomer, [world["grid_a1"].id, world["grid_a2"].id])
    assert due_inspections(world["grid_worker"]) == []
    assert {t.enterprise.id for t in due_inspections(newcomer)} == {world["e_a1"].id, world["e_a2"].id}


def test_overdue_first_and_community_filter(world, library, db, make_enterprise):
    other_community = world["street_a"].communities[1]
    make_enterprise(name="另一社区企业", community_id=other_community.id, grid_id=other_community.grids[0].id)
    inspect(db, world["street_regulator"], world["e_a1"], days_ago=200)  # yellow: long overdue
    tasks = due_inspections(world["street_regulator"])
    assert tasks[0].enterprise.id == world["e_a1"].id and tasks[0].overdue_days > 0
    only = due_inspections(world["street_regulator"], community_id=other_community.id)
    assert [t.enterprise.name for t in only] == ["另一社区企业"]


def test_constant_number_of_queries(world, library, db, make_enterprise):
    def count():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            due_inspections(world["district_regulator"])
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)
    few = count()
    for n in range(20):
        make_enterprise(name=f"批量企业{n}")
    assert count() == few


@pytest.mark.parametrize("role, status", [("grid_worker", 200), ("street_regulator", 200),
                                          ("district_regulator", 200), ("officer", 404), ("agency_staff", 404)])
def test_my_inspections_page(world, client, library, role, status):
    login(client, world[role])
    response = client.get("/grid/inspections")
    assert response.status_code == status
    if role == "grid_worker":
        page = response.get_data(as_text=True)
        assert world["e_a1"].name in page and world["e_a2"].name not in page
        assert 'name="checklist" value="grid-site-inspection"' in page
