"""Registry import: all-or-nothing, every bad row named with row, column and reason."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from safetylist.auth.system import SYSTEM
from safetylist.registry.importer import import_enterprises
from tests.factories import login
from tests.registry.spreadsheets import csv_bytes, row_for, rows, xlsx_bytes


@pytest.fixture(autouse=True)
def english(app):
    """Reasons are asserted in English; the UI default (Chinese) is tested elsewhere."""
    from flask_babel import force_locale
    with app.app_context(), force_locale("en"):
        yield


def count(db):
    from safetylist.registry.models import Enterprise
    return db.session.scalar(select(func.count(Enterprise.id)))


def corrupt_check_character(code: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return code[:17] + alphabet[(alphabet.index(code[17]) + 1) % 31]


def test_good_xlsx_of_1000_rows_imports_every_row(app, db):
    result = import_enterprises(SYSTEM, "good.xlsx", xlsx_bytes(rows(1000)))
    assert result.errors == []
    assert result.created == 1000
    assert count(db) == 1000


def test_one_bad_check_character_in_1000_rows_writes_nothing_and_names_row_and_column(app, db):
    data = rows(1000)
    data[736]["统一社会信用代码"] = corrupt_check_character(data[736]["统一社会信用代码"])
    result = import_enterprises(SYSTEM, "bad.xlsx", xlsx_bytes(data))
    assert count(db) == 0
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column) == (738, "统一社会信用代码")  # header is row 1, data[0] is row 2
    assert "check character" in error.reason.lower()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_and_gbk(app, db, encoding):
    result = import_enterprises(SYSTEM, "list.csv", csv_bytes(rows(5), encoding=encoding))
    assert result.errors == [] and result.created == 5
    from safetylist.registry.models import Enterprise
    assert db.session.scalars(select(Enterprise.name)).first().startswith("深圳市测试")


def test_every_bad_row_is_reported(app, db, make_enterprise):
    existing = make_enterprise()
    data = rows(6)
    data[0]["统一社会信用代码"] = corrupt_check_character(data[0]["统一社会信用代码"])
    data[1]["街道"] = "火星街道"
    data[2]["统一社会信用代码"] = data[3]["统一社会信用代码"]  # duplicate within the file
    data[4]["统一社会信用代码"] = existing.credit_code            # duplicate of the database
    data[5]["企业名称"] = ""                                      # missing required value
    result = import_enterprises(SYSTEM, "bad.csv", csv_bytes(data))
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(2, "统一社会信用代码"), (3, "街道"), (5, "统一社会信用代码"), (6, "统一社会信用代码"),
                     (7, "企业名称")}
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "unknown street" in reasons[(3, "街道")]
    assert "row 4" in reasons[(5, "统一社会信用代码")]
    assert "already registered" in reasons[(6, "统一社会信用代码")]
    assert count(db) == 1  # only the enterprise that was there before


def test_missing_and_unknown_columns_are_reported_on_row_1(app, db):
    headers = [h for h in row_for() if h != "地址"] + ["备注"]
    result = import_enterprises(SYSTEM, "x.csv", csv_bytes(rows(2), headers=headers))
    assert {(e.row, e.column) for e in result.errors} == {(1, "地址"), (1, "备注")}
    assert count(db) == 0


def test_community_and_grid_must_belong_together(app, db):
    from tests.factories import reference
    ref = reference()
    good = row_for(community=ref["community_a"].name_zh, grid=ref["grid_a1"].code)
    wrong_grid = row_for(community=ref["community_a"].name_zh, grid=ref["grid_b1"].code)
    wrong_community = row_for(community=ref["community_b"].name_zh)
    result = import_enterprises(SYSTEM, "x.csv", csv_bytes([good, wrong_grid, wrong_community]))
    assert {(e.row, e.column) for e in result.errors} == {(3, "网格"), (4, "社区")}
    result = import_enterprises(SYSTEM, "x.csv", csv_bytes([good]))
    assert result.ok


def test_values_are_read_in_either_language(app, db):
    from safetylist.registry.models import Enterprise
    row = row_for(risk="red", sector="Catering", gas_user="yes", filed_on="2021/3/4")
    result = import_enterprises(SYSTEM, "x.csv", csv_bytes([row]))
    assert result.ok, result.errors
    enterprise = db.session.scalars(select(Enterprise)).one()
    assert (enterprise.risk_level, enterprise.sector.code, enterprise.gas_user) == ("red", "catering", True)
    assert enterprise.filed_on.isoformat() == "2021-03-04"


def test_not_a_spreadsheet(app, db):
    result = import_enterprises(SYSTEM, "x.xlsx", b"this is not a workbook")
    assert not result.ok and "xlsx" in result.errors[0].reason


def test_upload_page_shows_every_error_and_imports_nothing(world, client, db):
    login(client, world["district_regulator"])
    data = rows(3)
    data[1]["风险等级"] = "紫"
    before = count(db)
    response = client.post("/enterprises/import", data={"file": (io.BytesIO(xlsx_bytes(data)), "list.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "风险等级" in page and "紫" in page
    assert count(db) == before


def test_upload_page_imports_a_good_file(world, client, db):
    login(client, world["district_regulator"])
    before = count(db)
    response = client.post("/enterprises/import", data={"file": (io.BytesIO(xlsx_bytes(rows(3))), "list.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert count(db) == before + 3


def test_cli_import_exit_status(app, db, tmp_path):
    path = tmp_path / "bad.csv"
    data = rows(2)
    data[1]["统一社会信用代码"] = "123"
    path.write_bytes(csv_bytes(data))
    result = app.test_cli_runner().invoke(args=["enterprises", "import", str(path)])
    assert result.exit_code == 1
    assert "row 3, 统一社会信用代码" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(rows(2)))
    result = app.test_cli_runner().invoke(args=["enterprises", "import", str(good)])
    assert result.exit_code == 0 and "imported 2" in result.output


def test_export_round_trips_through_import(world, client, db):
    from safetylist.registry.importer import parse_rows, read_table
    login(client, world["district_regulator"])
    exported = client.get("/enterprises/export.xlsx").data
    table = read_table("e.xlsx", exported)
    parsed, errors = parse_rows(SYSTEM, table)
    # Every row is understood; the only complaints are that the codes are already registered.
    assert len(parsed) == 3
    assert {e.reason for e in errors} == {"an enterprise with this credit code is already registered"}
