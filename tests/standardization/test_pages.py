"""Standardization pages over HTTP: who sees what (404 outside the scope), the review form, the steps
and the two PDFs (read back with poppler where it is installed)."""
from __future__ import annotations

import pytest

from safetylist.standardization import services
from tests.reports.test_run_pdf import needs_poppler, pdf_text
from tests.standardization.conftest import scored_items


def test_the_overview_is_for_regulators(std, client, login_as):
    page = login_as(std["district_regulator"]).get("/standardization/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "标准化" in text and std["street_a"].name_zh in text
    assert login_as(std["officer"]).get("/standardization/").headers["Location"].endswith(
        f"/standardization/enterprises/{std['e_a1'].id}")
    assert login_as(std["agency_staff"]).get("/standardization/").headers["Location"].endswith(
        "/standardization/applications")
    grid = login_as(std["grid_worker"]).get("/standardization/")  # their grids' enterprises only
    assert grid.status_code == 200 and std["street_b"].name_zh not in grid.get_data(as_text=True)


def test_distribution_counts_grades_in_force_and_enterprises_without(std, reviewed, client, login_as):
    from safetylist.standardization import overview
    services.decide(std["district_regulator"], reviewed(), True, "1", None)
    rows = {row.name: row for row in overview.grade_distribution(std["district_regulator"], "street")}
    street_a = rows[std["street_a"].name_zh]
    assert street_a.counts == {"1": 1, "2": 0, "3": 0} and street_a.required == 1 and street_a.without == 0
    std["e_a2"].standardization_required = True
    from safetylist.extensions import db
    db.session.commit()
    page = overview.without_grade(std["street_regulator"])
    assert [e.id for e in page.items] == [std["e_a2"].id]
    assert overview.without_grade(std["officer"]).items == []  # an officer's scope is their own enterprise


def test_an_enterprise_page_outside_the_scope_is_404(std, client, login_as, make_user):
    from tests.factories import reference
    other = make_user("street_regulator", street_id=reference()["street_b"].id)
    url = f"/standardization/enterprises/{std['e_a1'].id}"
    assert login_as(std["street_regulator"]).get(url).status_code == 200
    assert login_as(other).get(url).status_code == 404
    assert login_as(std["agency_staff"]).get(url).status_code == 404


def test_the_officer_applies_gives_evidence_and_submits_from_the_pages(std, self_assess, client, login_as):
    self_assess()
    http = login_as(std["officer"])
    page = http.get(f"/standardization/enterprises/{std['e_a1'].id}")
    assert "申请定级" in page.get_data(as_text=True) or "Apply for a grade" in page.get_data(as_text=True)
    started = http.post(f"/standardization/enterprises/{std['e_a1'].id}/apply")
    assert started.status_code == 302
    assessment_id = int(started.headers["Location"].rsplit("/", 1)[1])
    from safetylist.extensions import db
    from safetylist.standardization.models import Assessment
    assessment = db.session.get(Assessment, assessment_id)
    refused = http.post(f"/standardization/assessments/{assessment_id}/submit",
                        data={"lock_version": str(assessment.lock_version)})
    assert refused.status_code == 400  # no evidence yet
    for element in services.applicable_elements(assessment):
        db.session.refresh(assessment)
        saved = http.post(f"/standardization/assessments/{assessment_id}/evidence/{element}",
                          data={"note": "制度汇编第3册", "lock_version": str(assessment.lock_version)})
        assert saved.status_code == 302, saved.get_data(as_text=True)[:300]
    db.session.refresh(assessment)
    stale = http.post(f"/standardization/assessments/{assessment_id}/submit",
                      data={"lock_version": str(assessment.lock_version - 1)})
    assert stale.status_code == 409
    done = http.post(f"/standardization/assessments/{assessment_id}/submit",
                     data={"lock_version": str(assessment.lock_version)})
    assert done.status_code == 302
    db.session.refresh(assessment)
    assert assessment.status == "submitted"


def test_the_reviewer_scores_on_the_review_form(std, application, checklist, client, login_as, db):
    assessment = application()
    services.assign_reviewer(std["district_regulator"], assessment, agency_id=std["agency"].id)
    http = login_as(std["agency_staff"])
    form = http.get(f"/standardization/assessments/{assessment.id}/review")
    assert form.status_code == 200
    assert login_as(std["district_regulator"]).get(
        f"/standardization/assessments/{assessment.id}/review").status_code == 403
    http = login_as(std["agency_staff"])
    data = {"lock_version": str(assessment.lock_version), "do": "save"}
    for _s, item in scored_items(checklist):
        data[f"a:{item.id}"] = "full"
    data["a:safety-funds"] = "deduct"
    data["a:safety-funds:points"] = "0.5"
    data["n:safety-funds"] = "安全费用台账不全"
    data["a:insurance"] = "na"
    saved = http.post(f"/standardization/assessments/{assessment.id}/review", data=data)
    assert saved.status_code == 302
    db.session.refresh(assessment)
    assert assessment.review_answers["safety-funds"] == 0.5 and assessment.review_answers["insurance"] == "na"
    assert assessment.status == "in_review"
    data.update({"lock_version": str(assessment.lock_version), "do": "submit", "n:safety-funds": ""})
    refused = http.post(f"/standardization/assessments/{assessment.id}/review", data=data)
    assert refused.status_code == 400  # a deduction needs its reason
    db.session.refresh(assessment)
    data.update({"lock_version": str(assessment.lock_version), "n:safety-funds": "安全费用台账不全"})
    done = http.post(f"/standardization/assessments/{assessment.id}/review", data=data)
    assert done.status_code == 302
    db.session.refresh(assessment)
    # insurance (1 point) not applicable, safety-funds 0.5 of 2: (99 − 1.5) / 99 × 100
    assert assessment.status == "reviewed" and assessment.review_score == pytest.approx(97.5 / 99 * 100)


def test_deciding_from_the_page(std, reviewed, client, login_as, db):
    assessment = reviewed()
    page = login_as(std["district_regulator"]).get(f"/standardization/assessments/{assessment.id}")
    assert page.status_code == 200
    answered = client.post(f"/standardization/assessments/{assessment.id}/decide",
                           data={"lock_version": str(assessment.lock_version), "decision": "grant", "grade": "1"})
    assert answered.status_code == 302
    db.session.refresh(assessment)
    assert assessment.certificate is not None and assessment.certificate.grade == "1"
    certificate_page = client.get(f"/standardization/certificates/{assessment.certificate.id}")
    assert assessment.certificate.number in certificate_page.get_data(as_text=True)


def test_the_street_regulator_reads_but_does_not_decide(std, reviewed, client, login_as):
    assessment = reviewed()
    http = login_as(std["street_regulator"])
    assert http.get(f"/standardization/assessments/{assessment.id}").status_code == 200
    refused = http.post(f"/standardization/assessments/{assessment.id}/decide",
                        data={"lock_version": str(assessment.lock_version), "decision": "grant", "grade": "1"})
    assert refused.status_code == 403


@needs_poppler
def test_score_report_and_certificate_pdfs(std, reviewed, client, login_as, tmp_path):
    assessment = reviewed(self_earned={"safety-funds": 1}, review_earned={"safety-funds": 0})
    certificate = services.decide(std["district_regulator"], assessment, True, "1", None)
    http = login_as(std["officer"])
    report = http.get(f"/standardization/assessments/{assessment.id}/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    text = "".join(pdf_text(report.data, tmp_path).split())  # table cells wrap: compare without spaces
    assert "安全生产标准化评审得分表" in text and std["e_a1"].name in text
    assert "1.目标职责" in text and "安全生产投入（应得3分，评审得1分）" in text
    assert "扣分原因（评审）：扣分：safety-funds" in text and "扣2分" in text
    assert "授予一级" in text and certificate.number in text
    printed = http.get(f"/standardization/certificates/{certificate.id}.pdf")
    raw = pdf_text(printed.data, tmp_path)
    assert raw.count("\f") == 1  # the certificate is one A4 page
    text = "".join(raw.split())
    assert "安全生产标准化证书" in text and "安全生产标准化一级企业" in text and certificate.number in text
    assert f"{certificate.expires_on.year}年{certificate.expires_on.month}月{certificate.expires_on.day}日" in text


def test_pdfs_outside_the_scope_are_404(std, reviewed, client, login_as, make_user):
    from tests.factories import reference
    assessment = reviewed()
    certificate = services.decide(std["district_regulator"], assessment, True, "1", None)
    other = login_as(make_user("street_regulator", street_id=reference()["street_b"].id))
    assert other.get(f"/standardization/assessments/{assessment.id}/report.pdf").status_code == 404
    assert other.get(f"/standardization/certificates/{certificate.id}.pdf").status_code == 404
