"""Enterprise list, filters, filing forms and concurrent edits."""
from __future__ import annotations

from sqlalchemy import event, select

from tests.factories import enterprise_data, login


def form_data(enterprise=None, **overrides):
    data = enterprise_data()
    if enterprise is not None:
        data = {name: getattr(enterprise, name) for name in data}
        data["version"] = enterprise.version
    data.update(overrides)
    flags = {"confined_space", "hazardous_chemicals", "gas_user", "key_enterprise", "standardization_required",
             "photo_location_opt_in"}
    out = {}
    for key, value in data.items():
        if key in flags:
            if value:
                out[key] = "y"
        elif value is None:
            out[key] = ""
        else:
            out[key] = str(value)
    return out


def test_create_with_field_errors_changes_nothing(world, client, db):
    from safetylist.registry.models import Enterprise
    login(client, world["street_regulator"])
    before = db.session.query(Enterprise).count()
    response = client.post("/enterprises/new", data=form_data(credit_code="91350100M000100Y44", name="",
                                                              contact_phone="abc"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "check character" in page or "校验" in page
    assert page.count('class="error"') >= 3
    assert db.session.query(Enterprise).count() == before


def test_create_and_see_it(world, client, db):
    login(client, world["street_regulator"])
    response = client.post("/enterprises/new", data=form_data(name="新登记企业", credit_code="91350100M000100Y43"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "新登记企业" in page and "91350100M000100Y43" in page


def test_duplicate_code_is_refused(world, client):
    login(client, world["district_regulator"])
    response = client.post("/enterprises/new", data=form_data(credit_code=world["e_b1"].credit_code))
    assert response.status_code == 400
    assert "已登记" in response.get_data(as_text=True) or "already registered" in response.get_data(as_text=True)


def test_street_regulator_cannot_register_in_another_street(world, client):
    login(client, world["street_regulator"])
    data = form_data(street_id=world["street_b"].id, community_id=world["community_b"].id,
                     grid_id=world["grid_b1"].id)
    response = client.post("/enterprises/new", data=data)
    assert response.status_code == 400


def test_grid_must_be_in_the_community(world, client):
    login(client, world["district_regulator"])
    response = client.post("/enterprises/new", data=form_data(grid_id=world["grid_b1"].id))
    assert response.status_code == 400


def test_edit_saves_and_audits(world, client, db):
    from safetylist.audit.models import AuditEntry
    login(client, world["street_regulator"])
    e = world["e_a2"]
    response = client.post(f"/enterprises/{e.id}/edit", data=form_data(e, headcount=99, risk_level="orange"))
    assert response.status_code == 302
    db.session.refresh(e)
    assert (e.headcount, e.risk_level, e.version) == (99, "orange", 2)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "enterprise_updated")).one()
    assert entry.details["changes"]["risk_level"] == ["red", "orange"]


def test_concurrent_edit_is_detected_not_lost(world, client, db):
    login(client, world["district_regulator"])
    e = world["e_a1"]
    first = form_data(e, headcount=11)
    second = form_data(e, headcount=22)  # opened at the same version
    assert client.post(f"/enterprises/{e.id}/edit", data=first).status_code == 302
    response = client.post(f"/enterprises/{e.id}/edit", data=second)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'value="22"' in page  # the user's input is still on the form
    db.session.refresh(e)
    assert e.headcount == 11


def test_officer_edits_own_enterprise_but_not_regulator_fields(world, client, db):
    login(client, world["officer"])
    e = world["e_a1"]
    data = form_data(e, contact_phone="13900001111", risk_level="blue", status="closed")
    response = client.post(f"/enterprises/{e.id}/edit", data=data)
    assert response.status_code == 302
    db.session.refresh(e)
    assert e.contact_phone == "13900001111"
    assert (e.risk_level, e.status) == ("yellow", "active")  # locked fields were not applied


def test_filters_and_paging(world, client, make_enterprise):
    for i in range(30):
        make_enterprise(name=f"分页企业{i:02d}", risk_level="orange")
    login(client, world["district_regulator"])
    page = client.get("/enterprises/?risk_level=orange&per_page=25").get_data(as_text=True)
    assert "分页企业00" in page and "分页企业24" in page and "分页企业25" not in page
    assert "30" in page
    page2 = client.get("/enterprises/?risk_level=orange&per_page=25&page=2").get_data(as_text=True)
    assert "分页企业25" in page2 and "分页企业00" not in page2
    gas = client.get("/enterprises/?flag=gas_user").get_data(as_text=True)
    assert world["e_a2"].name in gas and world["e_a1"].name not in gas
    street = client.get(f"/enterprises/?street_id={world['street_b'].id}").get_data(as_text=True)
    assert world["e_b1"].name in street and world["e_a1"].name not in street
    by_code = client.get(f"/enterprises/?q={world['e_a2'].credit_code.lower()}").get_data(as_text=True)
    assert world["e_a2"].name in by_code and world["e_a1"].name not in by_code


def test_unassigned_filter_finds_enterprises_nobody_is_responsible_for(world, client):
    login(client, world["street_regulator"])
    page = client.get("/enterprises/?unassigned=1").get_data(as_text=True)
    assert world["e_a2"].name in page and world["e_a1"].name not in page


def test_list_uses_a_constant_number_of_queries(world, client, make_enterprise, app):
    from safetylist.extensions import db
    for i in range(60):
        make_enterprise(name=f"计数企业{i:02d}", grid_id=world["grid_a2"].id if i % 2 else world["grid_a1"].id)
    login(client, world["district_regulator"])
    counts = {}
    for size in (10, 50):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get(f"/enterprises/?per_page={size}").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        counts[size] = len(statements)
    assert counts[10] == counts[50], counts


def test_officer_decides_whether_photos_keep_their_location(world, client, db):
    login(client, world["officer"])
    e = world["e_a1"]
    assert e.photo_location_opt_in is False
    response = client.post(f"/enterprises/{e.id}/edit", data=form_data(e, photo_location_opt_in=True))
    assert response.status_code == 302
    db.session.refresh(e)
    assert e.photo_location_opt_in is True
