"""Recording an agency's evaluation projects one by one (safetylist/agencies/projects.py) and importing
them all-or-nothing from a spreadsheet (safetylist/agencies/project_import.py)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from safetylist.agencies import project_import, projects, registry
from safetylist.agencies.models import EvaluationProject
from safetylist.audit.models import AuditEntry
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.registry.credit_code import ALPHABET, check_character, complete
from safetylist.registry.models import Enterprise
from safetylist.spreadsheet import RowError
from safetylist.timeutil import local_today
from tests.registry.spreadsheets import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english")
AGENCY = "测试评价机构"
HEADERS = ["报告编号", "统一社会信用代码", "评价类型", "开始日期", "报告日期", "签字评价师", "评价结论", "结论说明"]


def fields(agencies, **overrides) -> dict:
    today = local_today()
    data = {"report_no": "LGAP-2024-001", "enterprise": agencies["e_b1"].credit_code, "evaluation_type": "current",
            "started_on": today - timedelta(days=40), "report_on": today - timedelta(days=10),
            "conclusion": "meets", "conclusion_text": "  主要危险有害因素已辨识。 ", "evaluators": "张伟、PJ-A-002"}
    data.update(overrides)
    return data


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationProject))


def wrong_check(code: str) -> str:
    """The code with a wrong 18th character."""
    good = check_character(code[:17])
    return code[:17] + next(ch for ch in ALPHABET if ch != good)


# --- one by one -----------------------------------------------------------------------------
def test_agency_staff_record_a_project_for_any_enterprise_of_the_district(agencies):
    staff, agency = agencies["agency_staff"], agencies["agency"]
    assert db.session.scalars(Scope(staff).enterprises()).all() == []  # they see no enterprise
    project = projects.record_project(staff, agency, **fields(agencies, enterprise=agencies["e_b1"].credit_code.lower()))
    assert (project.agency_id, project.enterprise_id, project.report_no, project.evaluation_type, project.conclusion) == \
        (agency.id, agencies["e_b1"].id, "LGAP-2024-001", "current", "meets")
    assert project.conclusion_text == "主要危险有害因素已辨识。"
    assert [e.name for e in project.evaluators] == ["张伟", "李娜"]
    assert (project.created_by_id, project.lock_version) == (staff.id, 1)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "project_recorded")).one()
    assert (entry.object_id, entry.details) == (project.id, {"agency_id": agency.id, "report_no": "LGAP-2024-001",
                                                             "enterprise_id": agencies["e_b1"].id})
    # the enterprise itself may be given too, and evaluators as objects
    second = projects.record_project(staff, agency, **fields(agencies, report_no="LGAP-2024-002",
                                                             enterprise=agencies["e_a2"], evaluators=[agencies["li"]]))
    assert (second.enterprise_id, [e.id for e in second.evaluators]) == (agencies["e_a2"].id, [agencies["li"].id])


def test_the_district_records_for_any_agency(agencies):
    project = projects.record_project(agencies["district_regulator"], agencies["other"],
                                      **fields(agencies, evaluators="王强"))
    assert (project.agency_id, [e.name for e in project.evaluators]) == (agencies["other"].id, ["王强"])


@pytest.mark.parametrize("role", ["other_staff", "street_regulator", "officer", "grid_worker"])
def test_others_may_not_record_for_the_agency(agencies, role):
    with pytest.raises(PermissionDenied):
        projects.record_project(agencies[role], agencies["agency"], **fields(agencies))
    assert count() == 0


def test_every_field_error_is_named_at_once(agencies):
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(agencies["agency_staff"], agencies["agency"], report_no=" ", enterprise="",
                                evaluation_type="guess", started_on="2024-01-01", report_on=None,
                                conclusion="fine", conclusion_text="长" * 4001, evaluators=[])
    assert refused.value.errors == {
        "report_no": "The report number is required.",
        "enterprise": "A credit code has 18 characters; this one has 0.",
        "evaluation_type": "Choose the type of evaluation.",
        "conclusion": "Choose the report's conclusion.",
        "started_on": "Give the day of the start.",
        "report_on": "Give the day of the report.",
        "conclusion_text": "At most 4000 characters.",
        "evaluators": "Name at least one evaluator who signed the report.",
    }
    assert count() == 0


def test_a_report_number_is_unique_within_an_agency_whatever_the_case(agencies):
    staff = agencies["agency_staff"]
    projects.record_project(staff, agencies["agency"], **fields(agencies))
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(staff, agencies["agency"], **fields(agencies, report_no=" lgap-2024-001 "))
    assert refused.value.errors == {"report_no": f"{AGENCY} already has a project with report number lgap-2024-001."}
    other = projects.record_project(agencies["other_staff"], agencies["other"],
                                    **fields(agencies, report_no="lgap-2024-001", evaluators="王强"))
    assert other.report_no == "lgap-2024-001" and count() == 2


def test_a_credit_code_with_a_wrong_check_character_says_which_it_should_be(agencies):
    code = agencies["e_b1"].credit_code
    bad = wrong_check(code)
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(agencies["agency_staff"], agencies["agency"], **fields(agencies, enterprise=bad))
    assert refused.value.errors == {
        "enterprise": f"Wrong check character: the 18th character is {bad[17]} but should be {code[17]}."}


def test_a_valid_code_no_enterprise_has_is_unknown(agencies):
    unknown = complete("91440307MA9999998")
    assert db.session.scalar(select(Enterprise.id).where(Enterprise.credit_code == unknown)) is None
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(agencies["agency_staff"], agencies["agency"], **fields(agencies, enterprise=unknown))
    assert refused.value.errors == {
        "enterprise": f"No enterprise registered in the district has the credit code {unknown}."}


def test_the_enterprise_is_looked_up_in_the_namers_project_scope(agencies):
    """A street regulator names enterprises of their street only; agency staff any of the district."""
    found, reason = projects.enterprise_by_code(agencies["street_regulator"], agencies["e_b1"].credit_code)
    assert found is None and reason.startswith("No enterprise registered in the district has the credit code")
    found, reason = projects.enterprise_by_code(agencies["agency_staff"], agencies["e_b1"].credit_code)
    assert (found.id, reason) == (agencies["e_b1"].id, None)


@pytest.mark.parametrize("started, reported, errors", [  # days from today
    (-5, -10, {"started_on": "The work cannot start after the report was issued."}),
    (-5, 1, {"report_on": "A report cannot be dated after today."}),
    (-5, 0, None),     # a report of today is fine
    (-10, -10, None),  # started and reported the same day
])
def test_dates(agencies, started, reported, errors):
    today = local_today()
    data = fields(agencies, started_on=today + timedelta(days=started), report_on=today + timedelta(days=reported))
    if errors is None:
        project = projects.record_project(agencies["agency_staff"], agencies["agency"], **data)
        assert (project.started_on, project.report_on) == (data["started_on"], data["report_on"])
        return
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(agencies["agency_staff"], agencies["agency"], **data)
    assert refused.value.errors == errors
    assert count() == 0


@pytest.mark.parametrize("evaluators, reason", [
    ("王强", f"王强 is not an evaluator registered with {AGENCY}."),
    ("张伟、PJ-B-001", f"PJ-B-001 is not an evaluator registered with {AGENCY}."),
    ("赵六", f"赵六 is not an evaluator registered with {AGENCY}."),
])
def test_evaluators_must_be_the_agencys_own(agencies, evaluators, reason):
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(agencies["agency_staff"], agencies["agency"], **fields(agencies, evaluators=evaluators))
    assert refused.value.errors == {"evaluators": reason}


def test_an_evaluator_object_of_another_agency_is_refused(agencies):
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(agencies["agency_staff"], agencies["agency"],
                                **fields(agencies, evaluators=[agencies["zhang"], agencies["wang"]]))
    assert refused.value.errors == {"evaluators": f"王强 is not an evaluator registered with {AGENCY}."}


def test_a_name_two_evaluators_share_must_be_a_certificate_number(agencies):
    twin = registry.add_evaluator(agencies["district_regulator"], agencies["agency"], name="张伟",
                                  certificate_no="PJ-A-099")
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(agencies["agency_staff"], agencies["agency"], **fields(agencies, evaluators="张伟"))
    assert refused.value.errors == {
        "evaluators": "张伟: two evaluators of the agency have this name; give the certificate number."}
    project = projects.record_project(agencies["agency_staff"], agencies["agency"],
                                      **fields(agencies, evaluators="pj-a-099，李娜; PJ-A-099"))
    assert sorted(e.id for e in project.evaluators) == sorted([twin.id, agencies["li"].id])


def test_a_deactivated_evaluator_signs_no_new_project(agencies):
    registry.set_evaluator_active(agencies["district_regulator"], agencies["li"], False)
    with pytest.raises(ValidationFailed) as refused:
        projects.record_project(agencies["agency_staff"], agencies["agency"], **fields(agencies, evaluators="李娜"))
    assert set(refused.value.errors) == {"evaluators"}


# --- updating -------------------------------------------------------------------------------
def test_a_stale_update_is_refused_and_changes_nothing(agencies):
    staff = agencies["agency_staff"]
    project = projects.record_project(staff, agencies["agency"], **fields(agencies))
    seen = project.lock_version
    projects.update_project(staff, project, seen, **fields(agencies, conclusion="meets_after_fixes"))
    assert project.lock_version == seen + 1 and project.conclusion == "meets_after_fixes"
    with pytest.raises(StaleObject):
        projects.update_project(staff, project, seen, **fields(agencies, conclusion="does_not_meet"))
    db.session.expire_all()
    project = db.session.get(EvaluationProject, project.id)
    assert (project.conclusion, project.lock_version) == ("meets_after_fixes", seen + 1)


def test_changing_only_the_signatories_moves_the_version_on(agencies):
    staff = agencies["agency_staff"]
    project = projects.record_project(staff, agencies["agency"], **fields(agencies, evaluators="张伟"))
    assert project.lock_version == 1
    projects.update_project(staff, project, 1, **fields(agencies, evaluators="张伟、李娜"))
    db.session.expire_all()
    project = db.session.get(EvaluationProject, project.id)
    assert project.lock_version == 2 and [e.name for e in project.evaluators] == ["张伟", "李娜"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "project_updated")).one()
    assert entry.details == {"changes": {"evaluators": [[agencies["zhang"].id],
                                                        [agencies["zhang"].id, agencies["li"].id]]}}
    with pytest.raises(StaleObject):  # a form opened before the change is now stale
        projects.update_project(staff, project, 1, **fields(agencies, evaluators="张伟"))


def test_an_update_that_changes_nothing_keeps_the_version(agencies):
    staff = agencies["agency_staff"]
    project = projects.record_project(staff, agencies["agency"], **fields(agencies))
    projects.update_project(staff, project, 1, **fields(agencies))  # its own report number is no duplicate
    assert project.lock_version == 1
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "project_updated")).all() == []


def test_an_update_is_checked_like_a_new_project(agencies):
    staff = agencies["agency_staff"]
    projects.record_project(staff, agencies["agency"], **fields(agencies, report_no="A-1"))
    project = projects.record_project(staff, agencies["agency"], **fields(agencies, report_no="A-2"))
    with pytest.raises(ValidationFailed) as refused:
        projects.update_project(staff, project, 1, **fields(agencies, report_no="a-1"))
    assert refused.value.errors == {"report_no": f"{AGENCY} already has a project with report number a-1."}
    with pytest.raises(PermissionDenied):
        projects.update_project(agencies["other_staff"], project, 1, **fields(agencies, report_no="A-3"))


def test_listing_follows_the_scope_newest_first(agencies):
    staff, today = agencies["agency_staff"], local_today()
    made = [projects.record_project(staff, agencies["agency"], **fields(
        agencies, report_no=f"L-{n}", report_on=today - timedelta(days=n), started_on=today - timedelta(days=30),
        enterprise=agencies[("e_a1", "e_b1")[n % 2]])) for n in range(4)]
    page = projects.list_projects(staff, projects.ProjectFilters())
    assert [p.report_no for p in page.items] == ["L-0", "L-1", "L-2", "L-3"] and page.total == 4
    street = projects.list_projects(agencies["street_regulator"], projects.ProjectFilters())
    assert [p.report_no for p in street.items] == ["L-0", "L-2"]
    assert projects.list_projects(agencies["other_staff"], projects.ProjectFilters()).total == 0
    only_b1 = projects.list_projects(staff, projects.ProjectFilters(enterprise_id=agencies["e_b1"].id))
    assert [p.id for p in only_b1.items] == [made[1].id, made[3].id]


# --- importing ------------------------------------------------------------------------------
def row(agencies, **values) -> dict:
    """A good import row by Chinese header; override by header."""
    data = {"报告编号": "IMP-001", "统一社会信用代码": agencies["e_b1"].credit_code, "评价类型": "现状评价",
            "开始日期": "2024-03-01", "报告日期": "2024-03-28", "签字评价师": "张伟、李娜", "评价结论": "符合",
            "结论说明": "安全设施基本符合要求。"}
    data.update(values)
    return data


def import_file(agencies, name: str, content: bytes, who: str = "agency_staff"):
    return project_import.import_projects(agencies[who], agencies["agency"], name, content)


def test_a_good_workbook_creates_every_row(agencies):
    rows = [row(agencies),
            row(agencies, 报告编号="IMP-002", 统一社会信用代码=agencies["e_a1"].credit_code, 评价类型="安全预评价",
                开始日期=datetime(2024, 4, 2), 报告日期=datetime(2024, 4, 30), 签字评价师="PJ-A-002",
                评价结论="整改后符合", 结论说明=""),
            row(agencies, 报告编号="IMP-003", 评价类型="acceptance", 评价结论="不符合", 开始日期="2024/05/06",
                报告日期="2024年5月20日")]
    result = import_file(agencies, "projects.xlsx", xlsx_bytes(rows, headers=HEADERS))
    assert (result.ok, result.errors, result.created, result.rows) == (True, [], 3, 3)
    made = db.session.scalars(select(EvaluationProject).order_by(EvaluationProject.report_no)).all()
    got = [(p.report_no, p.enterprise_id, p.evaluation_type, p.started_on.isoformat(), p.report_on.isoformat(),
            p.conclusion, p.conclusion_text, [e.name for e in p.evaluators], p.agency_id) for p in made]
    agency_id = agencies["agency"].id
    assert got == [
        ("IMP-001", agencies["e_b1"].id, "current", "2024-03-01", "2024-03-28", "meets", "安全设施基本符合要求。",
         ["张伟", "李娜"], agency_id),
        ("IMP-002", agencies["e_a1"].id, "pre", "2024-04-02", "2024-04-30", "meets_after_fixes", None, ["李娜"],
         agency_id),
        ("IMP-003", agencies["e_b1"].id, "acceptance", "2024-05-06", "2024-05-20", "does_not_meet",
         "安全设施基本符合要求。", ["张伟", "李娜"], agency_id),
    ]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "projects_imported")).one()
    assert entry.details == {"filename": "projects.xlsx", "count": 3}


def test_a_good_csv_in_gbk_with_other_headers_creates_every_row(agencies):
    headers = ["评价报告编号", "信用代码", "评价种类", "项目开始日期", "出具日期", "评价人员", "结论"]
    rows = [{"评价报告编号": f"CSV-{n}", "信用代码": agencies["e_a2"].credit_code, "评价种类": "专项评价",
             "项目开始日期": "2024-01-02", "出具日期": "20240115", "评价人员": "张伟", "结论": "合格"} for n in range(2)]
    result = import_file(agencies, "项目.CSV", csv_bytes(rows, encoding="gbk", headers=headers))
    assert (result.ok, result.created) == (True, 2)
    assert [(p.report_no, p.evaluation_type, p.conclusion, p.report_on.isoformat()) for p in
            db.session.scalars(select(EvaluationProject).order_by(EvaluationProject.report_no))] == \
        [("CSV-0", "special", "meets", "2024-01-15"), ("CSV-1", "special", "meets", "2024-01-15")]


def test_one_bad_row_imports_nothing_and_every_problem_is_named(agencies):
    projects.record_project(agencies["agency_staff"], agencies["agency"], **fields(agencies, report_no="OLD-1"))
    unknown = complete("91440307MA9999997")
    bad_code = wrong_check(agencies["e_a1"].credit_code)
    headers = ["报告编号", "信用代码", "评价类型", "开始日期", "报告日期", "签字人员", "评价结论"]
    rows = [
        {"报告编号": "F-1", "信用代码": agencies["e_b1"].credit_code, "评价类型": "现状评价", "开始日期": "2024-03-01",
         "报告日期": "2024-03-20", "签字人员": "张伟", "评价结论": "符合"},                    # 2: fine
        {"报告编号": "F-2", "信用代码": unknown, "评价类型": "评估", "开始日期": "2024-02-30",
         "报告日期": "2024-03-20", "签字人员": "王强", "评价结论": "还行"},                     # 3
        {"报告编号": "f-1", "信用代码": bad_code, "评价类型": "pre", "开始日期": "2024-03-21",
         "报告日期": "2024-03-20", "签字人员": "张伟", "评价结论": "符合"},                     # 4
        {},                                                                                    # 5: blank, skipped
        {"报告编号": "old-1", "信用代码": agencies["e_b1"].credit_code, "评价类型": "验收评价", "开始日期": "",
         "报告日期": (local_today() + timedelta(days=3)).isoformat(), "签字人员": "", "评价结论": "符合"},  # 6
    ]
    result = import_file(agencies, "bad.xlsx", xlsx_bytes(rows, headers=headers))
    assert count() == 1 and (result.ok, result.created) == (False, 0)
    types = "、".join(sorted(["安全预评价", "预评价", "安全验收评价", "验收评价", "安全现状评价", "现状评价",
                              "专项安全评价", "专项评价"]))
    conclusions = "、".join(sorted(["符合", "整改后符合", "不符合", "合格", "不合格", "基本符合", "整改后合格"]))
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (3, "信用代码", f"No enterprise registered in the district has the credit code {unknown}."),
        (3, "评价类型", f"'评估' is not one of: {types}"),
        (3, "开始日期", "'2024-02-30' is not a date (use YYYY-MM-DD)."),
        (3, "签字人员", f"王强 is not an evaluator registered with {AGENCY}."),
        (3, "评价结论", f"'还行' is not one of: {conclusions}"),
        (4, "报告编号", "The report number f-1 appears twice in this file."),
        (4, "信用代码", (f"Wrong check character: the 18th character is {bad_code[17]} but should be "
                      f"{agencies['e_a1'].credit_code[17]}.")),
        (4, "开始日期", "The work cannot start after the report was issued."),
        (6, "报告编号", f"{AGENCY} already has a project with report number old-1."),
        (6, "开始日期", "Give the day of the start."),
        (6, "报告日期", "A report cannot be dated after today."),
        (6, "签字人员", "Name at least one evaluator who signed the report."),
    ]
    assert str(result.errors[0]) == f"row 3, 信用代码: No enterprise registered in the district has the credit code {unknown}."
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "projects_imported")).all() == []


def test_a_duplicate_report_number_in_the_file_is_an_error_on_its_second_row(agencies):
    rows = [row(agencies, 报告编号="DUP-1"), row(agencies, 报告编号="OTHER"), row(agencies, 报告编号="dup-1")]
    result = import_file(agencies, "dup.csv", csv_bytes(rows, headers=HEADERS))
    assert result.errors == [RowError(4, "报告编号", "The report number dup-1 appears twice in this file.")]
    assert count() == 0


def test_missing_and_unknown_columns_stop_the_import_before_any_row(agencies):
    headers = ["报告编号", "统一社会信用代码", "评价类型", "开始日期", "报告日期", "签字评价师", "项目负责人"]
    result = import_file(agencies, "cols.csv", csv_bytes([row(agencies)], headers=headers))
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (1, "项目负责人", "unknown column"), (1, "评价结论", "required column is missing")]
    assert count() == 0


def test_only_xlsx_and_csv_are_read(agencies):
    result = import_file(agencies, "projects.xls", b"whatever")
    assert [(e.row, e.column, e.reason) for e in result.errors] == \
        [(0, "", "Only .xlsx and .csv files can be imported.")]


def test_importing_for_another_agency_is_refused(agencies):
    content = csv_bytes([row(agencies)], headers=HEADERS)
    with pytest.raises(PermissionDenied):
        project_import.import_projects(agencies["other_staff"], agencies["agency"], "p.csv", content)
    with pytest.raises(PermissionDenied):
        import_file(agencies, "p.csv", content, who="street_regulator")
    assert import_file(agencies, "p.csv", content, who="district_regulator").created == 1


def test_the_template_has_the_chinese_headers_and_an_example(app):
    workbook = load_workbook(io.BytesIO(project_import.template_workbook().getvalue()))
    sheet = workbook.active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert sheet.title == "评价项目"
    assert rows[0] == HEADERS
    assert rows[1] == ["LGAP-2021-001", None, "现状评价", "2021-03-01", "2021-03-28", "张三、李四", "符合",
                       "主要危险有害因素已辨识，安全设施基本符合要求。"]
    assert [sheet.cell(row=1, column=i).font.bold for i in range(1, 9)] == [True] * 7 + [False]
