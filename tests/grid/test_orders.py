"""Regulator-ordered inspections: who may order what, how they move due dates, and when they are done."""
from __future__ import annotations

from datetime import timedelta

import pytest

from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.grid import orders
from safetylist.grid.inspections import due_inspections
from safetylist.timeutil import local_today
from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)
from tests.factories import login
from tests.grid.test_inspections import inspect


def test_an_order_brings_the_due_date_forward_until_the_next_inspection(world, library, db):
    worker, enterprise = world["grid_worker"], world["e_a1"]
    inspect(db, worker, enterprise, days_ago=5)  # yellow: next regular inspection in ~3 months
    [task] = due_inspections(worker)
    assert task.due_on > local_today() + timedelta(days=60) and task.orders == ()
    by = local_today() + timedelta(days=7)
    order = orders.order_inspection(world["street_regulator"], "投诉核查", by, enterprise=enterprise)
    [task] = due_inspections(worker)
    assert task.due_on == by and [o.id for o in task.orders] == [order.id]
    inspect(db, worker, enterprise, days_ago=0)  # inspected after the order: fulfilled
    [task] = due_inspections(worker)
    assert task.orders == () and task.due_on > by


def test_an_inspection_before_the_order_does_not_fulfil_it(world, library, db):
    inspect(db, world["grid_worker"], world["e_a1"], days_ago=1)
    orders.order_inspection(world["district_regulator"], "复查", local_today(), enterprise=world["e_a1"])
    [task] = due_inspections(world["grid_worker"])
    assert len(task.orders) == 1 and task.due_on == local_today()


def test_a_sector_campaign_covers_the_sector_in_the_street_only(world, library, db, make_enterprise):
    sector = world["e_a2"].sector
    same_sector_b = make_enterprise(name="乙二同业企业", sector_id=sector.id, street_id=world["street_b"].id,
                                    community_id=world["community_b"].id, grid_id=world["grid_b1"].id)
    order = orders.order_inspection(world["street_regulator"], "燃气专项", local_today(), sector_id=sector.id,
                                    street_id=world["street_b"].id)  # a street regulator's order stays in their street
    assert order.street_id == world["street_a"].id
    owed = {t.enterprise.id for t in due_inspections(world["district_regulator"]) if t.orders}
    assert world["e_a2"].id in owed and same_sector_b.id not in owed
    district = orders.order_inspection(world["district_regulator"], "全区专项", local_today(), sector_id=sector.id)
    owed = {t.enterprise.id for t in due_inspections(world["district_regulator"]) if district in t.orders}
    assert {world["e_a2"].id, same_sector_b.id} <= owed


def test_a_street_campaign_covers_every_enterprise_of_the_street(world, library, db):
    orders.order_inspection(world["district_regulator"], "节前检查", local_today(), street_id=world["street_b"].id)
    owed = {t.enterprise.id for t in due_inspections(world["district_regulator"]) if t.orders}
    assert owed == {world["e_b1"].id}


@pytest.mark.parametrize("kwargs, field", [
    ({"title": "", "due_on": "today"}, "title"),
    ({"title": "x" * 121, "due_on": "today"}, "title"),
    ({"title": "复查", "due_on": None}, "due_on"),
    ({"title": "复查", "due_on": "yesterday"}, "due_on"),
    ({"title": "复查", "due_on": "today", "street_id": None}, "target"),
    ({"title": "复查", "due_on": "today", "sector_id": 999999}, "sector_id"),
])
def test_bad_orders_say_which_field_and_change_nothing(world, db, kwargs, field):
    from safetylist.grid.models import InspectionOrder
    days = {"today": local_today(), "yesterday": local_today() - timedelta(days=1), None: None}
    kwargs = {**kwargs, "due_on": days[kwargs["due_on"]]}
    with pytest.raises(ValidationFailed) as caught:
        orders.order_inspection(world["district_regulator"], **kwargs)
    assert field in caught.value.errors
    assert db.session.query(InspectionOrder).count() == 0


def test_who_may_order_and_cancel(world, db):
    for role in ("grid_worker", "officer", "agency_staff"):
        with pytest.raises(PermissionDenied):
            orders.order_inspection(world[role], "复查", local_today(), enterprise=world["e_a1"])
    with pytest.raises(PermissionDenied):  # another street's enterprise
        orders.order_inspection(world["street_regulator"], "复查", local_today(), enterprise=world["e_b1"])
    district_order = orders.order_inspection(world["district_regulator"], "区督办", local_today(),
                                             enterprise=world["e_a1"])
    with pytest.raises(PermissionDenied):  # a street may not cancel the district's order
        orders.cancel_order(world["street_regulator"], district_order)
    own = orders.order_inspection(world["street_regulator"], "街道复查", local_today(), enterprise=world["e_a1"])
    orders.cancel_order(world["street_regulator"], own)
    assert own.cancelled_at is not None
    assert [p.order.id for p in orders.orders_with_progress(world["street_regulator"])] == [district_order.id]


def test_progress_counts_enterprises_in_the_viewers_scope(world, library, db):
    district_wide = orders.order_inspection(world["district_regulator"], "全区五金", local_today(),
                                            sector_id=world["e_a1"].sector_id)
    inspect(db, world["grid_worker"], world["e_a1"], days_ago=0)
    [progress] = orders.orders_with_progress(world["street_regulator"])
    assert progress.order.id == district_wide.id
    covered = sum(1 for e in (world["e_a1"], world["e_a2"]) if e.sector_id == world["e_a1"].sector_id)
    assert (progress.enterprises, progress.done) == (covered, 1)


def test_orders_page(world, client, library, db):
    login(client, world["street_regulator"])
    page = client.get(f"/grid/orders?enterprise_id={world['e_a1'].id}")
    assert page.status_code == 200 and world["e_a1"].name in page.get_data(as_text=True)
    response = client.post("/grid/orders", data={"title": "", "due_on": local_today().isoformat(),
                                                 "enterprise_id": world["e_a1"].id})
    assert response.status_code == 400
    response = client.post("/grid/orders", data={"title": "投诉核查", "due_on": local_today().isoformat(),
                                                 "enterprise_id": world["e_a1"].id})
    assert response.status_code == 302
    assert "投诉核查" in client.get("/grid/orders").get_data(as_text=True)
    assert client.get(f"/grid/orders?enterprise_id={world['e_b1'].id}").status_code == 404  # outside the street
    client.post("/logout")
    login(client, world["grid_worker"])
    assert client.get("/grid/orders").status_code == 404
    listing = client.get("/grid/inspections").get_data(as_text=True)
    assert "投诉核查" in listing  # the worker sees why the enterprise is due


def test_cancel_from_the_page(world, client, db):
    order = orders.order_inspection(world["district_regulator"], "区督办", local_today(), enterprise=world["e_a1"])
    login(client, world["street_regulator"])
    client.post(f"/grid/orders/{order.id}/cancel")
    db.session.refresh(order)
    assert order.cancelled_at is None  # not theirs to cancel
    client.post("/logout")
    login(client, world["district_regulator"])
    assert client.post(f"/grid/orders/{order.id}/cancel").status_code == 302
    db.session.refresh(order)
    assert order.cancelled_at is not None
