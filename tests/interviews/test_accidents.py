"""Accident records: validation, who may record and see them, optimistic locking, the pages, and the
all-or-nothing import with its row/column messages, template and command."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from safetylist.audit.models import AuditEntry
from safetylist.auth.system import SYSTEM
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.interviews import accidents
from safetylist.interviews.accident_import import import_accidents
from safetylist.interviews.models import Accident
from safetylist.timeutil import utcnow
from tests.interviews.accident_data import HEADERS, csv_bytes, import_row, local, xlsx_bytes


@pytest.fixture(autouse=True)
def english(app):
    """Reasons are asserted in English; the UI default (Chinese) is tested elsewhere."""
    from flask_babel import force_locale
    with app.app_context(), force_locale("en"):
        yield


def count(db) -> int:
    return db.session.scalar(select(func.count(Accident.id)))


def at_enterprise(enterprise, **overrides) -> dict:
    fields = {"occurred_at": local("2021-05-06 10:20"), "enterprise_id": enterprise.id, "category": "machinery",
              "deaths": 0, "injuries": 2, "direct_loss": Decimal("12000.50"), "summary": "冲床压伤两名员工。"}
    fields.update(overrides)
    return fields


def at_place(street, **overrides) -> dict:
    fields = {"occurred_at": local("2021-05-06 10:20"), "place_name": "无证加工点", "address": "某路1号",
              "street_id": street.id, "category": "fire", "summary": "出租屋电动车充电起火。"}
    fields.update(overrides)
    return fields


# --- recording ---------------------------------------------------------------------------------
def test_an_accident_at_an_enterprise_takes_its_street_and_sector_and_is_audited(world, db):
    e_b1 = world["e_b1"]
    accident = accidents.record_accident(world["district_regulator"], **at_enterprise(e_b1))
    assert (accident.street_id, accident.sector_id) == (e_b1.street_id, e_b1.sector_id)
    assert (accident.deaths, accident.injuries, accident.direct_loss) == (0, 2, Decimal("12000.50"))
    assert accident.created_by_id == world["district_regulator"].id
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "accident_recorded")).one()
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("Accident", accident.id,
                                                                    world["district_regulator"].id)
    assert entry.details["street_id"] == e_b1.street_id


def test_an_unregistered_place_needs_its_name_address_and_street(world, db):
    with pytest.raises(ValidationFailed) as failed:
        accidents.record_accident(world["district_regulator"], occurred_at=local("2021-05-06 10:20"),
                                  category="fire", summary="起火")
    assert set(failed.value.errors) == {"place_name", "address", "street_id"}
    assert "not a registered enterprise" in failed.value.errors["street_id"]
    assert count(db) == 0
    accident = accidents.record_accident(world["district_regulator"], **at_place(world["street_b"]))
    assert (accident.enterprise_id, accident.street_id, accident.sector_id) == (None, world["street_b"].id, None)
    assert (accident.deaths, accident.injuries, accident.direct_loss) == (0, 0, Decimal("0"))


@pytest.mark.parametrize("field, value, reason", [
    ("category", "meteor", "Unknown accident category."),
    ("category", "", "This field is required."),
    ("deaths", -1, "Must be a whole number, 0 or more."),
    ("injuries", 1.5, "Must be a whole number, 0 or more."),
    ("direct_loss", Decimal("-0.01"), "Must be an amount in yuan, 0 or more."),
    ("direct_loss", Decimal("10.005"), "At most two decimal places (fen)."),
    ("summary", "   ", "This field is required."),
    ("occurred_at", None, "This field is required."),
    ("sector_id", 999_999, "Unknown sector."),
])
def test_each_invalid_field_is_named_with_its_reason(world, db, field, value, reason):
    with pytest.raises(ValidationFailed) as failed:
        accidents.record_accident(world["district_regulator"], **at_place(world["street_a"], **{field: value}))
    assert failed.value.errors == {field: reason}
    assert count(db) == 0


def test_the_time_cannot_be_in_the_future(world, db):
    with pytest.raises(ValidationFailed) as failed:
        accidents.record_accident(world["district_regulator"],
                                  **at_place(world["street_a"], occurred_at=utcnow() + timedelta(minutes=5)))
    assert failed.value.errors == {"occurred_at": "The time of the accident cannot be in the future."}
    accidents.record_accident(world["district_regulator"],
                              **at_place(world["street_a"], occurred_at=utcnow() - timedelta(minutes=1)))
    assert count(db) == 1


def test_a_registered_enterprise_is_counted_in_its_own_street(world, db):
    with pytest.raises(ValidationFailed) as failed:
        accidents.record_accident(world["district_regulator"],
                                  **at_enterprise(world["e_a1"], street_id=world["street_b"].id))
    assert set(failed.value.errors) == {"street_id"}
    assert world["street_a"].name_en in failed.value.errors["street_id"]


def test_a_street_regulator_records_only_in_their_street(world, db):
    regulator = world["street_regulator"]  # street A
    with pytest.raises(ValidationFailed) as failed:
        accidents.record_accident(regulator, **at_place(world["street_b"]))
    assert failed.value.errors == {"street_id": "This street is outside your area."}
    with pytest.raises(ValidationFailed) as failed:
        accidents.record_accident(regulator, **at_enterprise(world["e_b1"]))
    assert failed.value.errors == {"enterprise_id": "No such enterprise in your area."}
    assert count(db) == 0
    accidents.record_accident(regulator, **at_place(world["street_a"]))
    accidents.record_accident(regulator, **at_enterprise(world["e_a2"]))
    assert count(db) == 2


@pytest.mark.parametrize("role", ["officer", "grid_worker", "agency_staff"])
def test_only_regulators_record_accidents(world, db, role):
    with pytest.raises(PermissionDenied):
        accidents.record_accident(world[role], **at_enterprise(world["e_a1"]))
    assert count(db) == 0


# --- correcting ---------------------------------------------------------------------------------
def test_an_update_records_what_changed_and_a_stale_version_is_refused(world, db):
    regulator = world["street_regulator"]
    accident = accidents.record_accident(regulator, **at_enterprise(world["e_a1"]))
    version = accident.lock_version
    accidents.update_accident(regulator, accident, version, deaths=1, summary="一人经抢救无效死亡。")
    assert (accident.deaths, accident.lock_version) == (1, version + 1)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "accident_updated")).one()
    assert entry.details["changes"] == {"deaths": [0, 1], "summary": ["冲床压伤两名员工。", "一人经抢救无效死亡。"]}
    with pytest.raises(StaleObject):
        accidents.update_accident(regulator, accident, version, deaths=3)  # the version read before the save
    db.session.expire_all()
    assert db.session.get(Accident, accident.id).deaths == 1


def test_a_save_racing_another_is_refused_by_the_database(world, db):
    regulator = world["district_regulator"]
    accident = accidents.record_accident(regulator, **at_enterprise(world["e_a1"]))
    version = accident.lock_version
    with db.engine.begin() as other:  # someone else's save, after we loaded the record
        other.execute(text("UPDATE accident SET lock_version = lock_version + 1, deaths = 5 WHERE id = :id"),
                      {"id": accident.id})
    with pytest.raises(StaleObject):
        accidents.update_accident(regulator, accident, version, injuries=9)
    db.session.expire_all()
    saved = db.session.get(Accident, accident.id)
    assert (saved.deaths, saved.injuries) == (5, 2)


def test_changing_the_enterprise_takes_the_new_one_s_street(world, db):
    regulator = world["district_regulator"]
    accident = accidents.record_accident(regulator, **at_enterprise(world["e_a1"]))
    accidents.update_accident(regulator, accident, accident.lock_version, enterprise_id=world["e_b1"].id)
    assert accident.street_id == world["street_b"].id
    accidents.update_accident(regulator, accident, accident.lock_version, enterprise_id=None,
                              place_name="路边摊", address="某路2号", street_id=world["street_a"].id)
    assert (accident.enterprise_id, accident.street_id) == (None, world["street_a"].id)


def test_a_street_regulator_cannot_change_another_street_s_records(world, db):
    accident = accidents.record_accident(world["district_regulator"], **at_enterprise(world["e_b1"]))
    with pytest.raises(PermissionDenied):
        accidents.update_accident(world["street_regulator"], accident, accident.lock_version, deaths=1)
    mine = accidents.record_accident(world["street_regulator"], **at_enterprise(world["e_a1"]))
    with pytest.raises(ValidationFailed) as failed:  # nor move one of theirs out of the street
        accidents.update_accident(world["street_regulator"], mine, mine.lock_version, enterprise_id=world["e_b1"].id)
    assert failed.value.errors == {"enterprise_id": "No such enterprise in your area."}


# --- who sees what ---------------------------------------------------------------------------------
@pytest.fixture
def three_accidents(world, db):
    """At e_a1 (grid A1), at e_b1 (street B), and at an unregistered place in street A."""
    admin = world["admin"]
    return {
        "a1": accidents.record_accident(admin, **at_enterprise(world["e_a1"], summary="甲一事故")),
        "b1": accidents.record_accident(admin, **at_enterprise(world["e_b1"], summary="乙一事故")),
        "place_a": accidents.record_accident(admin, **at_place(world["street_a"], place_name="甲街无证作坊")),
    }


@pytest.mark.parametrize("role, visible", [
    ("officer", {"a1"}), ("grid_worker", {"a1"}), ("street_regulator", {"a1", "place_a"}),
    ("district_regulator", {"a1", "b1", "place_a"}), ("admin", {"a1", "b1", "place_a"}),
])
def test_each_role_lists_and_opens_only_the_accidents_in_its_scope(world, three_accidents, login_as, role, visible):
    client = login_as(world[role])
    listed = client.get("/accidents/").get_data(as_text=True)
    for name, accident in three_accidents.items():
        shown = f"/accidents/{accident.id}\"" in listed
        assert shown == (name in visible), (role, name)
        assert client.get(f"/accidents/{accident.id}").status_code == (200 if name in visible else 404), (role, name)


def test_agency_staff_see_no_accident_pages_and_no_menu_link(world, three_accidents, login_as):
    client = login_as(world["agency_staff"])
    for path in ("/accidents/", f"/accidents/{three_accidents['a1'].id}", "/accidents/stats"):
        assert client.get(path).status_code == 404, path
    assert "/accidents/" not in client.get("/").get_data(as_text=True)
    officer = login_as(world["officer"])
    assert 'href="/accidents/"' in officer.get("/").get_data(as_text=True)


def test_the_list_filters_by_year_street_and_category(world, db, three_accidents, login_as):
    accidents.record_accident(world["admin"], **at_place(world["street_b"], occurred_at=local("2020-12-31 23:30"),
                                                         place_name="去年的火"))
    client = login_as(world["district_regulator"])
    page = client.get("/accidents/?year=2020").get_data(as_text=True)
    assert "去年的火" in page and "甲街无证作坊" not in page
    page = client.get(f"/accidents/?year=2021&street_id={world['street_a'].id}&category=fire").get_data(as_text=True)
    assert "甲街无证作坊" in page and world["e_a1"].name not in page and "去年的火" not in page


@pytest.mark.parametrize("role, status", [("officer", 403), ("grid_worker", 403), ("street_regulator", 200)])
def test_only_regulators_get_the_entry_and_import_pages(world, login_as, role, status):
    client = login_as(world[role])
    for path in ("/accidents/new", "/accidents/import", "/accidents/import/template.xlsx"):
        assert client.get(path).status_code == status, path


def test_the_form_records_an_accident_in_beijing_time(world, db, login_as):
    client = login_as(world["street_regulator"])
    response = client.post("/accidents/new", data={
        "occurred_at": "2021-05-06T08:30", "enterprise_code": world["e_a2"].credit_code.lower(),
        "category": "gas_explosion", "deaths": "1", "injuries": "0", "direct_loss": "300000",
        "summary": "后厨液化气泄漏爆炸。", "source": "119 接警"})
    assert response.status_code == 302, response.get_data(as_text=True)
    accident = db.session.scalars(select(Accident)).one()
    assert accident.occurred_at.isoformat() == "2021-05-06T00:30:00"  # 08:30 in Shenzhen is 00:30 UTC
    assert (accident.enterprise_id, accident.street_id, accident.deaths) == (world["e_a2"].id, world["street_a"].id, 1)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2021-05-06 08:30" in page and world["e_a2"].name in page


def test_the_form_names_every_problem_and_saves_nothing(world, db, login_as):
    client = login_as(world["street_regulator"])
    response = client.post("/accidents/new", data={
        "occurred_at": "2021-05-06T08:30", "category": "fire", "street_id": str(world["street_b"].id),
        "summary": "x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Required when the place is not a registered enterprise." in page  # place name, address
    assert "This street is outside your area." not in page  # street B is not even offered to a street-A regulator
    response = client.post("/accidents/new", data={
        "occurred_at": "2021-05-06T08:30", "category": "fire", "enterprise_code": world["e_b1"].credit_code,
        "summary": "x"})
    assert response.status_code == 400
    assert "No registered enterprise in your area has this credit code." in response.get_data(as_text=True)
    assert count(db) == 0


def test_editing_with_an_old_version_keeps_the_record_and_says_why(world, db, login_as):
    accident = accidents.record_accident(world["district_regulator"], **at_enterprise(world["e_a1"]))
    client = login_as(world["street_regulator"])
    form = client.get(f"/accidents/{accident.id}/edit").get_data(as_text=True)
    assert f'name="version" type="hidden" value="{accident.lock_version}"' in form
    data = {"occurred_at": "2021-05-06T10:20", "enterprise_code": world["e_a1"].credit_code, "category": "machinery",
            "deaths": "0", "injuries": "3", "direct_loss": "12000.50", "summary": "改", "version": "1"}
    assert client.post(f"/accidents/{accident.id}/edit", data=data).status_code == 302
    response = client.post(f"/accidents/{accident.id}/edit", data={**data, "injuries": "7"})  # version 1 again
    assert response.status_code == 409
    assert "Someone else changed this accident record" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Accident, accident.id).injuries == 3


def test_officers_cannot_edit(world, three_accidents, login_as):
    client = login_as(world["officer"])
    assert client.get(f"/accidents/{three_accidents['a1'].id}/edit").status_code == 403


# --- import -------------------------------------------------------------------------------------
def test_a_good_file_imports_every_row_with_names_or_codes(world, db):
    rows = [import_row(), import_row(事故类别="fire", 街道="Bantian", 行业="", 发生时间="2021/3/5 9:05"),
            import_row(统一社会信用代码=world["e_b1"].credit_code, 场所名称="", 地址="", 街道="", 行业="",
                       事故类别="其他伤害", 死亡人数=2, **{"直接经济损失（元）": "1,234.5"})]
    result = import_accidents(SYSTEM, "accidents.xlsx", xlsx_bytes(rows, HEADERS))
    assert result.errors == [] and result.created == 3
    found = db.session.scalars(select(Accident).order_by(Accident.id)).all()
    assert [a.category for a in found] == ["machinery", "fire", "other"]
    assert found[0].occurred_at.isoformat() == "2021-03-04T06:30:00"  # 14:30 Beijing time
    assert found[1].occurred_at.isoformat() == "2021-03-05T01:05:00"
    assert found[1].sector_id is None and found[1].street.name_zh == "坂田街道"
    assert (found[2].enterprise_id, found[2].street_id, found[2].sector_id) == \
        (world["e_b1"].id, world["e_b1"].street_id, world["e_b1"].sector_id)
    assert (found[2].deaths, found[2].direct_loss) == (2, Decimal("1234.50"))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "accidents_imported")).one()
    assert entry.details == {"filename": "accidents.xlsx", "count": 3}


def test_one_file_with_bad_rows_imports_nothing_and_names_row_column_and_reason(world, db):
    future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    rows = [
        import_row(),                                                                 # row 2: fine
        import_row(统一社会信用代码="91440307MA0000001X"),                              # 3: bad check character
        import_row(统一社会信用代码=world["e_b1"].credit_code[:17] + "0", 场所名称=""),  # 4: maybe unknown
        import_row(事故类别="天灾"),                                                     # 5
        import_row(发生时间="2021-02-30 10:00"),                                        # 6
        import_row(死亡人数=-1, 受伤人数="两人"),                                        # 7
        import_row(发生时间=future),                                                     # 8
        import_row(街道="", 地址=""),                                                    # 9
        import_row(**{"直接经济损失（元）": "-5"}),                                            # 10
    ]
    from safetylist.registry.credit_code import complete
    unknown = complete("91440307MA9999999")
    rows[2]["统一社会信用代码"] = unknown
    result = import_accidents(SYSTEM, "bad.csv", csv_bytes(rows, headers=HEADERS))
    assert count(db) == 0 and result.created == 0
    got = [(e.row, e.column, e.reason) for e in result.errors]
    assert got[0][:2] == (3, "统一社会信用代码") and "check character" in got[0][2]
    assert got[1:] == [
        (4, "统一社会信用代码", f"no registered enterprise in your area has the credit code {unknown}"),
        (5, "事故类别", "unknown accident category '天灾' (use the GB 6441 names, e.g. 物体打击, 火灾)"),
        (6, "发生时间", "'2021-02-30 10:00' is not a date and time (use YYYY-MM-DD HH:MM)."),
        (7, "死亡人数", "cannot be negative (-1)"),
        (7, "受伤人数", "'两人' is not a whole number"),
        (8, "发生时间", "The time of the accident cannot be in the future."),
        (9, "地址", "Required when the place is not a registered enterprise."),
        (9, "街道", "Required when the place is not a registered enterprise."),
        (10, "直接经济损失（元）", "Must be an amount in yuan, 0 or more."),
    ]
    assert str(result.errors[1]).startswith("row 4, 统一社会信用代码: ")


def test_a_street_regulator_imports_only_rows_of_their_street(world, db):
    rows = [import_row(), import_row(街道="坂田"), import_row(统一社会信用代码=world["e_b1"].credit_code, 街道="")]
    result = import_accidents(world["street_regulator"], "x.xlsx", xlsx_bytes(rows, HEADERS))
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (3, "街道", "This street is outside your area."),
        (4, "统一社会信用代码",
         f"no registered enterprise in your area has the credit code {world['e_b1'].credit_code}")]
    assert count(db) == 0
    with pytest.raises(PermissionDenied):
        import_accidents(world["officer"], "x.xlsx", xlsx_bytes([import_row()], HEADERS))


def test_the_enterprise_s_street_wins_over_a_different_one_in_the_file(world, db):
    rows = [import_row(统一社会信用代码=world["e_a1"].credit_code, 街道="坂田街道")]
    result = import_accidents(SYSTEM, "x.csv", csv_bytes(rows, headers=HEADERS))
    assert [(e.row, e.column) for e in result.errors] == [(2, "街道")]
    assert "counted in its street" in result.errors[0].reason


def test_missing_and_unknown_columns_are_reported_on_row_1(world, db):
    headers = [h for h in HEADERS if h != "事故类别"] + ["备注"]
    result = import_accidents(SYSTEM, "x.csv", csv_bytes([import_row()], headers=headers))
    assert {(e.row, e.column, e.reason) for e in result.errors} == {
        (1, "备注", "unknown column"), (1, "事故类别", "required column is missing")}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_and_gbk_with_english_headers(world, db, encoding):
    from safetylist.interviews.accident_import import COLUMNS
    english = {c.zh: c.en for c in COLUMNS}
    row = {english[k]: v for k, v in import_row(事故类别="Fall from height").items()}
    result = import_accidents(SYSTEM, "x.csv", csv_bytes([row], encoding=encoding, headers=list(english.values())))
    assert result.errors == []
    assert db.session.scalars(select(Accident.category)).one() == "fall_from_height"


def test_the_template_has_every_header_and_an_example_row_that_imports(world, db, login_as):
    client = login_as(world["district_regulator"])
    response = client.get("/accidents/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS and len(rows) == 2
    assert import_accidents(SYSTEM, "template.xlsx", response.data).created == 1


def test_the_upload_page_lists_the_problems_and_imports_a_good_file(world, db, login_as):
    client = login_as(world["street_regulator"])
    bad = xlsx_bytes([import_row(), import_row(事故类别="天灾")], HEADERS)
    response = client.post("/accidents/import", data={"file": (io.BytesIO(bad), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "天灾" in response.get_data(as_text=True) and count(db) == 0
    good = xlsx_bytes([import_row(), import_row()], HEADERS)
    response = client.post("/accidents/import", data={"file": (io.BytesIO(good), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and count(db) == 2


def test_cli_import_exit_status_and_scope(app, world, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([import_row(), import_row(事故类别="天灾")], headers=HEADERS))
    result = app.test_cli_runner().invoke(args=["accidents", "import", str(bad)])
    assert result.exit_code == 1 and "row 3, 事故类别" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([import_row(), import_row(街道="坂田")], headers=HEADERS))
    result = app.test_cli_runner().invoke(args=["accidents", "import", str(good),
                                                "--as", world["street_regulator"].username])
    assert result.exit_code == 1 and "row 3, 街道" in result.output  # Bantian is not the regulator's street
    result = app.test_cli_runner().invoke(args=["accidents", "import", str(good)])
    assert result.exit_code == 0 and "imported 2 accidents" in result.output
    result = app.test_cli_runner().invoke(args=["accidents", "import", str(good), "--as", world["officer"].username])
    assert result.exit_code == 1 and "may not import" in result.output
    assert count(db) == 2
