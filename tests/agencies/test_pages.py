"""The agency pages over the services: who reaches what, forms that say what is wrong and change
nothing, the import page, drawing and inspecting from the spot-check pages."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from safetylist.agencies import projects, registry
from safetylist.agencies.models import Agency, EvaluationProject, SpotCheck, SpotCheckDraw
from safetylist.checklists.models import ChecklistRun
from safetylist.timeutil import local_today
from tests.factories import new_credit_code


@pytest.fixture
def agency_world(world, db):
    district = world["district_regulator"]
    agency = world["agency"]
    agency.qualification_no = "APJ-（粤）-009"
    agency.qualification_expires_on = local_today() - timedelta(days=3)  # expired: a flag
    db.session.commit()
    evaluators = [registry.add_evaluator(district, agency, name=name, certificate_no=f"S-{name}")
                  for name in ("王评价", "林评价")]
    other = registry.create_agency(district, name="另一评价机构", credit_code=new_credit_code())
    today = local_today()
    made = [projects.record_project(district, agency, report_no=f"R-{n}", enterprise=world["e_a1" if n % 2 else "e_b1"],
                                    evaluation_type="current", started_on=today - timedelta(days=40 + n),
                                    report_on=today - timedelta(days=30 + n), conclusion="meets",
                                    evaluators=evaluators) for n in range(6)]
    return {**world, "evaluators": evaluators, "other": other, "projects": made}


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_overview_lists_agencies_with_their_flags_for_regulators_only(agency_world, login_as):
    client = login_as(agency_world["district_regulator"])
    page = text(client.get("/agencies/"))
    assert "测试评价机构" in page and "另一评价机构" in page
    assert "资质已于" in page or "Qualification expired" in page
    staff = login_as(agency_world["agency_staff"])
    response = staff.get("/agencies/")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/agencies/{agency_world['agency'].id}")
    assert staff.get(f"/agencies/{agency_world['other'].id}").status_code == 404
    for role in ("officer", "grid_worker"):
        assert login_as(agency_world[role]).get("/agencies/").status_code == 404


def test_the_agency_page_shows_self_checks_projects_and_evaluators(agency_world, login_as):
    staff = login_as(agency_world["agency_staff"])
    page = text(staff.get(f"/agencies/{agency_world['agency'].id}"))
    assert "R-5" in page and "王评价" in page
    assert 'name="checklist" value="agency-practice"' in page  # the staff start their self-check here
    regulator_page = text(login_as(agency_world["district_regulator"]).get(f"/agencies/{agency_world['agency'].id}"))
    assert 'value="agency-practice"' not in regulator_page


def test_a_project_form_names_every_problem_and_saves_nothing(agency_world, login_as, db):
    staff = login_as(agency_world["agency_staff"])
    before = db.session.scalar(select(func.count(EvaluationProject.id)))
    response = staff.post(f"/agencies/{agency_world['agency'].id}/projects/new", data={
        "report_no": "R-1", "enterprise_code": "91440300MA5D8XXXX0", "evaluation_type": "current",
        "started_on": "2026-03-02", "report_on": "2026-03-01", "conclusion": ""})
    assert response.status_code == 400
    page = text(response)
    assert "R-1" in page and page.count('class="error"') >= 4  # number taken, code, dates, conclusion, evaluators
    assert db.session.scalar(select(func.count(EvaluationProject.id))) == before


def test_the_agency_records_a_project_for_any_enterprise_of_the_district(agency_world, login_as, db):
    staff = login_as(agency_world["agency_staff"])
    today = local_today()
    response = staff.post(f"/agencies/{agency_world['agency'].id}/projects/new", data={
        "report_no": "R-NEW", "enterprise_code": agency_world["e_b1"].credit_code, "evaluation_type": "pre",
        "started_on": (today - timedelta(days=9)).isoformat(), "report_on": today.isoformat(),
        "conclusion": "meets_after_fixes", "evaluators": [str(e.id) for e in agency_world["evaluators"]]})
    assert response.status_code == 302
    project = db.session.scalars(select(EvaluationProject).where(EvaluationProject.report_no == "R-NEW")).one()
    assert project.enterprise_id == agency_world["e_b1"].id and len(project.evaluators) == 2
    assert staff.get(f"/agencies/{agency_world['other'].id}/projects/new").status_code == 404


def test_a_stale_project_form_is_refused_and_keeps_the_other_change(agency_world, login_as, db):
    project = agency_world["projects"][0]
    staff = login_as(agency_world["agency_staff"])
    old = project.lock_version
    projects.update_project(agency_world["district_regulator"], project, old, **{
        "report_no": project.report_no, "enterprise": project.enterprise, "evaluation_type": "special",
        "started_on": project.started_on, "report_on": project.report_on, "conclusion": project.conclusion,
        "evaluators": list(project.evaluators)})
    response = staff.post(f"/agencies/projects/{project.id}/edit", data={
        "report_no": project.report_no, "enterprise_code": project.enterprise.credit_code,
        "evaluation_type": "current", "started_on": project.started_on.isoformat(),
        "report_on": project.report_on.isoformat(), "conclusion": "meets", "version": str(old),
        "evaluators": [str(e.id) for e in project.evaluators]})
    assert response.status_code == 409
    db.session.refresh(project)
    assert project.evaluation_type == "special"


def test_officers_read_their_enterprises_evaluations_and_no_one_elses(agency_world, login_as):
    officer = login_as(agency_world["officer"])
    mine = [p for p in agency_world["projects"] if p.enterprise_id == agency_world["e_a1"].id]
    theirs = [p for p in agency_world["projects"] if p.enterprise_id != agency_world["e_a1"].id]
    assert officer.get(f"/agencies/projects/{mine[0].id}").status_code == 200
    assert officer.get(f"/agencies/projects/{theirs[0].id}").status_code == 404
    page = text(officer.get(f"/enterprises/{agency_world['e_a1'].id}"))
    assert mine[0].report_no in page and theirs[0].report_no not in page


def test_the_import_page_refuses_a_bad_file_whole(agency_world, login_as, db):
    staff = login_as(agency_world["agency_staff"])
    today = local_today().isoformat()
    csv = ("报告编号,统一社会信用代码,评价类型,开始日期,报告日期,签字评价师,评价结论\n"
           f"C-1,{agency_world['e_a2'].credit_code},现状评价,{today},{today},王评价,符合\n"
           f"C-2,{agency_world['e_a2'].credit_code},年度评价,{today},{today},王评价、林评价,符合\n")
    response = staff.post(f"/agencies/{agency_world['agency'].id}/projects/import",
                          data={"file": (io.BytesIO(csv.encode()), "projects.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    page = text(response)
    assert "年度评价" in page and "评价类型" in page
    assert not db.session.scalar(select(EvaluationProject.id).where(EvaluationProject.report_no == "C-1"))
    fixed = csv.replace("年度评价", "专项评价")
    response = staff.post(f"/agencies/{agency_world['agency'].id}/projects/import",
                          data={"file": (io.BytesIO(fixed.encode()), "projects.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(EvaluationProject.id)).where(
        EvaluationProject.report_no.in_(["C-1", "C-2"]))) == 2


def test_the_district_draws_inspects_and_the_agency_then_sees_the_findings(agency_world, login_as, db):
    district = login_as(agency_world["district_regulator"])
    start = (local_today() - timedelta(days=60)).isoformat()
    response = district.post("/agencies/spot-checks", data={
        "method": "random", "draw-period_start": start, "draw-period_end": local_today().isoformat(),
        "draw-agency_id": "", "draw-sample_size": "2", "draw-seed": "page-test"})
    assert response.status_code == 302
    draw = db.session.scalars(select(SpotCheckDraw)).one()
    assert draw.seed == "page-test" and len(draw.picked) == 2
    page = text(district.get(f"/agencies/spot-checks/draws/{draw.id}"))
    assert "page-test" in page
    check = db.session.scalars(select(SpotCheck).order_by(SpotCheck.id)).first()
    response = district.post(f"/agencies/spot-checks/{check.id}/start")
    assert response.status_code == 302 and "/runs/" in response.headers["Location"]
    run = db.session.get(ChecklistRun, db.session.scalar(select(SpotCheck.run_id).where(SpotCheck.id == check.id)))
    assert run.agency_id == agency_world["agency"].id and run.enterprise_id is None
    staff = login_as(agency_world["agency_staff"])
    assert f"spot-check-{check.id}" not in text(staff.get(f"/agencies/projects/{check.project_id}"))  # not yet done


def test_drawing_with_nothing_to_draw_from_says_so(agency_world, login_as, db):
    district = login_as(agency_world["district_regulator"])
    response = district.post("/agencies/spot-checks", data={
        "method": "random", "draw-period_start": "2001-01-01", "draw-period_end": "2001-12-31",
        "draw-sample_size": "3"})
    assert response.status_code == 400 and db.session.scalar(select(func.count(SpotCheckDraw.id))) == 0
    for role in ("street_regulator", "agency_staff", "admin"):
        assert login_as(agency_world[role]).post("/agencies/spot-checks", data={"method": "random"}).status_code == 403


def test_only_the_district_calls_for_self_checks(agency_world, login_as, db):
    from safetylist.agencies.models import SelfCheckCall
    district = login_as(agency_world["district_regulator"])
    response = district.post("/agencies/self-check-calls/new", data={"title": "", "due_on": "2001-01-01"})
    assert response.status_code == 400 and db.session.scalar(select(func.count(SelfCheckCall.id))) == 0
    due = (local_today() + timedelta(days=10)).isoformat()
    assert district.post("/agencies/self-check-calls/new", data={"title": "专项整治自查", "due_on": due}).status_code == 302
    staff_home = text(login_as(agency_world["agency_staff"]).get("/"))
    assert "专项整治自查" in staff_home
    assert login_as(agency_world["street_regulator"]).get("/agencies/self-check-calls/new").status_code == 403


def test_registering_an_agency_checks_the_credit_code(agency_world, login_as, db):
    district = login_as(agency_world["district_regulator"])
    response = district.post("/agencies/new", data={"name": "新评价机构", "credit_code": "91440300MA5D8XXXX0"})
    assert response.status_code == 400 and db.session.scalar(select(func.count(Agency.id))) == 2
    code = new_credit_code()
    response = district.post("/agencies/new", data={"name": "新评价机构", "credit_code": code, "active": "y",
                                                    "qualification_no": "APJ-1",
                                                    "qualification_expires_on": (date.today().replace(year=2030)).isoformat()})
    assert response.status_code == 302
    assert login_as(agency_world["agency_staff"]).get("/agencies/new").status_code == 403


def test_the_project_list_exports_as_filtered_and_in_scope(agency_world, login_as, db):
    from openpyxl import load_workbook

    from safetylist.audit.models import AuditEntry
    district = login_as(agency_world["district_regulator"])
    response = district.get(f"/agencies/projects/export.xlsx?enterprise_id={agency_world['e_a1'].id}")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("报告编号", "统一社会信用代码", "评价类型")
    mine = sorted(p.report_no for p in agency_world["projects"] if p.enterprise_id == agency_world["e_a1"].id)
    assert sorted(r[0] for r in rows[1:]) == mine and {r[2] for r in rows[1:]} == {"安全现状评价"}
    assert rows[1][5] == "林评价、王评价"
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "projects_exported")).one().details["count"] == 3
    staff = login_as(agency_world["agency_staff"])
    assert staff.get(f"/agencies/projects/export.xlsx?agency_id={agency_world['other'].id}").status_code == 404
    assert login_as(agency_world["officer"]).get(
        f"/agencies/projects/export.xlsx?enterprise_id={agency_world['e_b1'].id}").status_code == 404
