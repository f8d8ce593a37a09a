"""Inspection coverage for regulators: a month's due, inspected and overdue enterprises and the hazards
found, per community, per responsible grid worker and per street; who may see it; its query count."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, update

from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.grid.coverage import street_coverage
from safetylist.timeutil import LOCAL_TZ, local_today, to_local
from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)
from tests.factories import login

JULY_20 = date(2021, 7, 20)


def local(*moment) -> datetime:
    """The stored (naive UTC) time of a moment in Shenzhen."""
    return datetime(*moment, tzinfo=LOCAL_TZ).astimezone(timezone.utc).replace(tzinfo=None)


def inspect_at(db, inspector, enterprise, at: datetime, result: str = "pass"):
    """A site inspection submitted at `at` (stored UTC); a failure's hazard is found that local day."""
    from safetylist.checklists import runs
    from safetylist.checklists.models import ChecklistRun
    from safetylist.remediation.models import Hazard
    run = runs.start_run(inspector, "site-visit", enterprise)
    runs.submit_run(inspector, run, {"extinguishers": result})
    db.session.execute(update(ChecklistRun).where(ChecklistRun.id == run.id).values(submitted_at=at))
    db.session.execute(update(Hazard).where(Hazard.run_id == run.id).values(found_on=to_local(at).date()))
    db.session.commit()
    return run


def assign(db, worker, grid, role="primary"):
    from safetylist.grid.models import GridAssignment
    db.session.add(GridAssignment(grid_id=grid.id, user_id=worker.id, role=role, starts_on=date(2021, 1, 1)))
    db.session.commit()


def counts(row) -> tuple:
    return row.enterprises, row.due, row.done, row.overdue, row.hazards_found


@pytest.fixture
def street_a(world, library, db, make_enterprise, make_user):
    """Street A in July 2021, seen on 20 July.

    Grid A1 (worker `grid_worker`): e_a1 inspected at 00:30 on 1 July with a failure (a hazard);
    e_late (blue) inspected at 23:30 on 30 June with a failure (neither done nor found in July, next
    due in December); e_over (red) last inspected 10 May, overdue since 10 June; e_soon (red) inspected
    25 June, due 25 July. Grid A2 has nobody responsible: e_a2 never inspected (due today), e_a2b
    last inspected 1 March (overdue). Another community's grid (worker `second`): e_c2 inspected
    15 July. Not counted: a closed enterprise, the officer's self-check hazard, street B.
    """
    regulator, ref = world["street_regulator"], world
    community_2 = ref["street_a"].communities[1]
    second = make_user("grid_worker", street_id=ref["street_a"].id)
    assign(db, second, community_2.grids[0])
    e_late = make_enterprise(name="晚检企业", risk_level="blue")
    e_over = make_enterprise(name="逾期企业", risk_level="red")
    e_soon = make_enterprise(name="将到期企业", risk_level="red")
    e_a2b = make_enterprise(name="无人负责企业二", grid_id=ref["grid_a2"].id)
    e_c2 = make_enterprise(name="二社区企业", community_id=community_2.id, grid_id=community_2.grids[0].id)
    make_enterprise(name="已关闭企业", status="closed")

    inspect_at(db, regulator, ref["e_a1"], local(2021, 7, 1, 0, 30), "fail")
    inspect_at(db, regulator, e_late, local(2021, 6, 30, 23, 30), "fail")
    inspect_at(db, regulator, e_over, local(2021, 5, 10, 10, 0))
    inspect_at(db, regulator, e_soon, local(2021, 6, 25, 10, 0))
    inspect_at(db, regulator, e_a2b, local(2021, 3, 1, 10, 0))
    inspect_at(db, regulator, e_c2, local(2021, 7, 15, 10, 0))
    inspect_at(db, world["district_regulator"], ref["e_b1"], local(2021, 7, 2, 10, 0), "fail")
    self_check(db, world["officer"], ref["e_a1"], local(2021, 7, 3, 9, 0))
    return {**world, "second": second, "community_2": community_2}


def self_check(db, officer, enterprise, at):
    """The officer's own check with a failed item: its hazard is not a site inspection's."""
    from safetylist.checklists import runs
    from safetylist.checklists.models import ChecklistRun
    from safetylist.remediation.models import Hazard
    run = runs.start_run(officer, "weekly-check", enterprise)
    runs.submit_run(officer, run, {"has-gas": "no", "exits": "fail"})
    db.session.execute(update(ChecklistRun).where(ChecklistRun.id == run.id).values(submitted_at=at))
    db.session.execute(update(Hazard).where(Hazard.run_id == run.id).values(found_on=to_local(at).date()))
    db.session.commit()


def test_counts_per_community_and_per_worker(street_a):
    coverage = street_coverage(street_a["street_regulator"], today=JULY_20)
    assert coverage.street.id == street_a["street_a"].id and coverage.month == date(2021, 7, 1)
    assert coverage.period_end == date(2021, 7, 31) and coverage.by_street == []

    workers = coverage.by_worker
    assert [r.worker.id if r.worker else None for r in workers] == \
        [street_a["grid_worker"].id, street_a["second"].id, None]
    first, second, nobody = workers
    assert counts(first) == (4, 3, 1, 1, 1)  # e_a1 done (1 hazard), e_over overdue, e_soon due, e_late not due
    assert first.completion == pytest.approx(1 / 3)
    assert [c.id for c in first.communities] == [street_a["community_a"].id]
    assert counts(second) == (1, 1, 1, 0, 0) and second.completion == 1
    assert nobody.unstaffed and not first.unstaffed
    assert counts(nobody) == (2, 2, 0, 1, 0) and nobody.nobody_responsible == 2

    communities = {r.community.id: r for r in coverage.by_community}
    assert list(communities) == [c.id for c in street_a["street_a"].communities]  # every community, in order
    assert counts(communities[street_a["community_a"].id]) == (6, 5, 1, 2, 1)
    assert communities[street_a["community_a"].id].nobody_responsible == 2
    assert counts(communities[street_a["community_2"].id]) == (1, 1, 1, 0, 0)
    assert all(counts(r) == (0, 0, 0, 0, 0) for r in coverage.by_community[2:])
    assert counts(coverage.total) == (7, 6, 2, 2, 1) and coverage.total.nobody_responsible == 2


def test_month_bounds_are_local_days(world, library, db, make_enterprise):
    inspector = world["street_regulator"]
    made = [make_enterprise(name=f"边界企业{n}") for n in range(4)]
    inspect_at(db, inspector, made[0], local(2021, 6, 30, 23, 59, 59), "fail")  # 15:59:59 UTC, 30 June
    inspect_at(db, inspector, made[1], local(2021, 7, 1, 0, 0), "fail")  # 16:00 UTC, 30 June
    inspect_at(db, inspector, made[2], local(2021, 7, 31, 23, 59), "fail")
    inspect_at(db, inspector, made[3], local(2021, 8, 1, 0, 0), "fail")  # still 31 July in UTC
    today = date(2021, 8, 5)
    july = street_coverage(inspector, month="2021-07", today=today)
    assert (july.total.done, july.total.hazards_found) == (2, 2)
    june = street_coverage(inspector, month="2021-06", today=today)
    assert (june.total.done, june.total.hazards_found) == (1, 1)
    august = street_coverage(inspector, month="2021-08", today=today)
    assert (august.total.done, august.total.hazards_found) == (1, 1)
    assert july.previous_month == "2021-06" and july.next_month == "2021-08"


def test_district_sees_every_street_and_may_choose_one(street_a):
    district = street_a["district_regulator"]
    whole = street_coverage(district, today=JULY_20)
    assert whole.street is None and whole.by_community == [] and whole.by_worker == []
    streets = {r.street.id: r for r in whole.by_street}
    assert len(streets) == len(whole.streets) > 2
    assert counts(streets[street_a["street_a"].id]) == (7, 6, 2, 2, 1)
    assert counts(streets[street_a["street_b"].id]) == (1, 1, 1, 0, 1)
    assert streets[street_a["street_a"].id].nobody_responsible == 2
    assert counts(whole.total) == (8, 7, 3, 2, 2)

    chosen = street_coverage(district, street_id=street_a["street_a"].id, today=JULY_20)
    assert counts(chosen.total) == (7, 6, 2, 2, 1) and chosen.by_worker[-1].unstaffed


def test_street_regulator_sees_only_their_street(street_a):
    from werkzeug.exceptions import NotFound
    regulator = street_a["street_regulator"]
    assert street_coverage(regulator, street_id=street_a["street_a"].id, today=JULY_20).total.enterprises == 7
    with pytest.raises(NotFound):
        street_coverage(regulator, street_id=street_a["street_b"].id, today=JULY_20)


@pytest.mark.parametrize("role", ["grid_worker", "officer", "agency_staff"])
def test_others_may_not_see_coverage(world, role):
    with pytest.raises(PermissionDenied):
        street_coverage(world[role])


@pytest.mark.parametrize("month", ["2021-13", "2021-7", "21-07", "July", "0202-07", "2021-07-01"])
def test_a_wrong_month_is_refused_with_a_reason(world, month):
    with pytest.raises(ValidationFailed) as refused:
        street_coverage(world["street_regulator"], month=month, today=JULY_20)
    assert "2021-07" in refused.value.errors["month"]  # an example of the right form


def test_constant_number_of_queries(street_a, db, make_enterprise, make_user):
    def count(actor, **kwargs):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            street_coverage(actor, today=JULY_20, **kwargs)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        db.session.expire_all()  # the next count starts from an empty identity map too
        return len(statements)

    street, district = street_a["street_regulator"], street_a["district_regulator"]
    few = count(street), count(district), count(district, street_id=street_a["street_a"].id)
    for n, community in enumerate(street_a["street_a"].communities[1:6]):  # more workers, communities, runs
        worker = make_user("grid_worker", street_id=street_a["street_a"].id)
        assign(db, worker, community.grids[-1])
        for m in range(4):
            enterprise = make_enterprise(name=f"批量企业{n}-{m}", community_id=community.id,
                                         grid_id=community.grids[-1].id)
            inspect_at(db, street, enterprise, local(2021, 7, 1 + m, 9, 0), "fail" if m % 2 else "pass")
    assert (count(street), count(district), count(district, street_id=street_a["street_a"].id)) == few


# --- the page ------------------------------------------------------------------------------------
def test_street_regulators_page(street_a, client):
    login(client, street_a["street_regulator"])
    response = client.get("/grid/coverage?month=2021-07")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert street_a["community_a"].name_zh in page and street_a["second"].display_name in page
    unstaffed = f"/enterprises/?unassigned=1&amp;status=active&amp;street_id={street_a['street_a'].id}"
    flagged = page.split('<li class="card item warn">')[1].split("</li>")[0]  # the nobody-responsible row
    assert f'href="{unstaffed}"' in flagged and flagged.count("</li>") == 0
    assert f"/enterprises/?community_id={street_a['community_a'].id}&amp;status=active" in page
    assert 'name="street_id"' not in page  # nothing to choose: their street only
    assert client.get(f"/grid/coverage?street_id={street_a['street_a'].id}").status_code == 200
    assert client.get(f"/grid/coverage?street_id={street_a['street_b'].id}").status_code == 404


def test_district_page_by_street(street_a, client):
    login(client, street_a["district_regulator"])
    page = client.get("/grid/coverage?month=2021-07").get_data(as_text=True)
    assert f"/grid/coverage?street_id={street_a['street_b'].id}&amp;month=2021-07" in page
    assert 'name="street_id"' in page
    one = client.get(f"/grid/coverage?month=2021-07&street_id={street_a['street_b'].id}")
    assert one.status_code == 200 and street_a["community_b"].name_zh in one.get_data(as_text=True)


@pytest.mark.parametrize("role, status", [("street_regulator", 200), ("district_regulator", 200), ("admin", 200),
                                          ("grid_worker", 404), ("officer", 404), ("agency_staff", 404)])
def test_who_may_open_the_page(world, library, client, role, status):
    login(client, world[role])
    assert client.get("/grid/coverage").status_code == status
    menu = client.get("/").get_data(as_text=True)
    assert ('href="/grid/coverage"' in menu) == (status == 200)


def test_wrong_month_answers_400_with_the_reason(world, client):
    login(client, world["street_regulator"])
    response = client.get("/grid/coverage?month=2021-13")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    reason = page.split('id="month-error">')[1].split("</p>")[0]
    assert local_today().strftime("%Y-%m") in reason and 'value="2021-13"' in page


def test_street_home_shows_this_months_coverage(street_a, client):
    login(client, street_a["street_regulator"])
    page = client.get("/").get_data(as_text=True)
    assert 'href="/grid/coverage"' in page and 'class="stats"' in page
