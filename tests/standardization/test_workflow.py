"""The application's steps: who may take each, in which state, what each leaves behind; evidence per
element; returning, withdrawing, reassigning; stale forms; and what each role sees (scope)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from safetylist.audit.models import AuditEntry
from safetylist.auth.scope import Scope
from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.remediation.models import Hazard
from safetylist.standardization import services
from safetylist.standardization.models import Assessment, StandardizationEvent
from safetylist.standardization.services import IllegalStep
from tests.photos.test_photos import image_bytes
from tests.standardization.conftest import answers_for


def steps(db, assessment):
    return [(e.action, e.from_status, e.to_status) for e in db.session.scalars(
        select(StandardizationEvent).where(StandardizationEvent.assessment_id == assessment.id)
        .order_by(StandardizationEvent.id))]


def test_an_application_needs_a_submitted_self_assessment(std):
    with pytest.raises(DomainError):
        services.start_application(std["officer"], std["e_a1"])


def test_only_the_enterprise_officer_applies(std, self_assess):
    self_assess()
    for role in ("district_regulator", "street_regulator", "grid_worker", "agency_staff", "admin"):
        with pytest.raises(PermissionDenied):
            services.start_application(std[role], std["e_a1"])


def test_one_open_application_at_a_time(std, self_assess):
    self_assess()
    services.start_application(std["officer"], std["e_a1"])
    with pytest.raises(DomainError):
        services.start_application(std["officer"], std["e_a1"])


def test_the_whole_path_leaves_its_timeline_and_audit_trail(std, application, checklist, db):
    assessment = application()
    district, reviewer = std["district_regulator"], std["reviewer"]
    services.assign_reviewer(district, assessment, user_id=reviewer.id)
    answers, notes = answers_for(checklist)
    services.submit_review(reviewer, assessment, answers, notes)
    certificate = services.decide(district, assessment, True, "1", None)
    actions = [a for a, _f, _t in steps(db, assessment)]
    assert actions[0] == "started" and actions.count("evidence") == 8
    assert actions[-5:] == ["submitted", "assigned", "reviewed", "decided", "issued"]
    assert steps(db, assessment)[-4][1:] == ("submitted", "in_review")
    assert assessment.status == "decided" and certificate.assessment_id == assessment.id
    audited = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Assessment")))
    assert {"standardization_started", "standardization_submitted", "standardization_assigned",
            "standardization_reviewed", "standardization_decided"} <= audited


def test_evidence_is_required_for_every_applicable_element(std, self_assess):
    self_assess(na=("performance-evaluated", "improvement-actions"))  # continuous improvement: all N/A
    assessment = services.start_application(std["officer"], std["e_a1"])
    assert "continuous-improvement" not in services.applicable_elements(assessment)
    with pytest.raises(ValidationFailed) as refused:
        services.submit_application(std["officer"], assessment)
    assert set(refused.value.errors) - {"evidence"} == set(services.applicable_elements(assessment))
    for element in services.applicable_elements(assessment)[:-1]:
        services.save_evidence(std["officer"], assessment, element, "见档案")
    with pytest.raises(ValidationFailed) as still:
        services.submit_application(std["officer"], assessment)
    assert set(still.value.errors) == {services.applicable_elements(assessment)[-1], "evidence"}
    assert assessment.status == "draft"


def test_evidence_photos_are_kept_per_element_and_can_be_removed(std, self_assess, db):
    self_assess()
    assessment = services.start_application(std["officer"], std["e_a1"])
    services.save_evidence(std["officer"], assessment, "site-management", "",
                           [("a.jpg", io.BytesIO(image_bytes())), ("b.jpg", io.BytesIO(image_bytes()))])
    refs = assessment.evidence["site-management"]["photos"]
    assert len(refs) == 2
    services.save_evidence(std["officer"], assessment, "site-management", "现场照片", remove=[refs[0]])
    assert assessment.evidence["site-management"] == {"note": "现场照片", "photos": [refs[1]]}
    with pytest.raises(ValidationFailed):
        services.save_evidence(std["officer"], assessment, "no-such-element", "x")


def test_evidence_cannot_change_once_submitted(std, application):
    assessment = application()
    with pytest.raises(IllegalStep):
        services.save_evidence(std["officer"], assessment, "site-management", "后补")


def test_only_the_district_assigns_and_only_to_a_district_regulator_or_a_qualified_agency(std, application, db):
    assessment = application()
    with pytest.raises(PermissionDenied):
        services.assign_reviewer(std["street_regulator"], assessment, user_id=std["reviewer"].id)
    with pytest.raises(ValidationFailed):
        services.assign_reviewer(std["district_regulator"], assessment, user_id=std["street_regulator"].id)
    with pytest.raises(ValidationFailed):
        services.assign_reviewer(std["district_regulator"], assessment, user_id=std["reviewer"].id,
                                 agency_id=std["agency"].id)
    from datetime import date
    std["agency"].qualification_expires_on = date(2020, 1, 1)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.assign_reviewer(std["district_regulator"], assessment, agency_id=std["agency"].id)


def test_only_the_assigned_reviewer_scores(std, application, checklist):
    assessment = application()
    services.assign_reviewer(std["district_regulator"], assessment, user_id=std["reviewer"].id)
    answers, notes = answers_for(checklist)
    for role in ("district_regulator", "agency_staff", "officer", "admin"):
        with pytest.raises(PermissionDenied):
            services.submit_review(std[role], assessment, answers, notes)


def test_a_review_needs_every_item_and_a_reason_for_each_deduction(std, application, checklist):
    assessment = application()
    services.assign_reviewer(std["district_regulator"], assessment, user_id=std["reviewer"].id)
    answers, notes = answers_for(checklist, {"safety-funds": 1})
    del answers["goals-set"]
    del notes["safety-funds"]
    with pytest.raises(ValidationFailed) as refused:
        services.submit_review(std["reviewer"], assessment, answers, notes)
    assert set(refused.value.errors) == {"goals-set", "safety-funds"}
    assert assessment.status == "in_review"
    assert assessment.review_answers["safety-funds"] == 1  # what was given is kept as the draft
    with pytest.raises(ValidationFailed) as bad:
        services.save_review(std["reviewer"], assessment, {"goals-set": 7})
    assert "goals-set" in bad.value.errors


def test_a_submitted_review_is_final(std, reviewed, checklist):
    assessment = reviewed()
    answers, notes = answers_for(checklist, {"safety-funds": 0})
    with pytest.raises(IllegalStep):
        services.save_review(std["reviewer"], assessment, answers, notes)


def test_review_findings_open_hazards_only_where_the_self_assessment_did_not(std, reviewed, checklist, db):
    on_fail = [item.id for _s, item in checklist.all_items()
               if item.on_fail and item.points and item.on_fail.evidence == "none"]
    assert len(on_fail) >= 2
    first, second = on_fail[0], on_fail[1]
    assessment = reviewed(self_earned={first: 0}, review_earned={first: 0, second: 0})
    rows = db.session.execute(select(Hazard.checklist_item, Hazard.source, Hazard.run_id)
                              .where(Hazard.enterprise_id == std["e_a1"].id).order_by(Hazard.id)).all()
    assert [(r.checklist_item, r.source) for r in rows] == [(first, "standardization"), (second, "standardization")]
    assert rows[0].run_id == assessment.self_run_id and rows[1].run_id is None
    assert assessment.status == "reviewed"


def test_returning_sends_it_back_to_the_enterprise_and_resubmitting_back_to_the_reviewer(std, application):
    assessment = application()
    services.assign_reviewer(std["district_regulator"], assessment, agency_id=std["agency"].id)
    with pytest.raises(ValidationFailed):
        services.return_application(std["agency_staff"], assessment, "")
    services.return_application(std["agency_staff"], assessment, "请补充应急演练记录")
    assert assessment.status == "draft" and assessment.return_reason == "请补充应急演练记录"
    services.save_evidence(std["officer"], assessment, "emergency-management", "2026年演练记录两份")
    services.submit_application(std["officer"], assessment)
    assert assessment.status == "in_review" and assessment.reviewer_agency_id == std["agency"].id


def test_reassigning_drops_the_former_reviewers_draft(std, application):
    assessment = application()
    services.assign_reviewer(std["district_regulator"], assessment, user_id=std["reviewer"].id)
    services.save_review(std["reviewer"], assessment, {"goals-set": 1}, {"goals-set": "目标未分解"})
    services.assign_reviewer(std["district_regulator"], assessment, agency_id=std["agency"].id)
    assert assessment.review_answers == {} and assessment.review_notes == {}
    assert not services.is_reviewer(std["reviewer"], assessment)
    assert services.is_reviewer(std["agency_staff"], assessment)


def test_withdrawing(std, application):
    assessment = application()
    with pytest.raises(PermissionDenied):
        services.withdraw(std["district_regulator"], assessment, "x")
    services.withdraw(std["officer"], assessment, "材料准备不足，下次再申请")
    assert assessment.status == "withdrawn"
    assert services.open_assessment(std["e_a1"].id) is None


def test_a_stale_form_changes_nothing(std, application, db):
    assessment = application()
    version = assessment.lock_version
    services.assign_reviewer(std["district_regulator"], assessment, user_id=std["reviewer"].id)
    with pytest.raises(StaleObject):
        services.return_application(std["district_regulator"], assessment, "补充", expected_version=version)
    db.session.refresh(assessment)
    assert assessment.status == "in_review"


def test_decisions_are_the_district_regulators(std, reviewed):
    assessment = reviewed()
    for role in ("admin", "street_regulator", "agency_staff", "officer"):
        with pytest.raises(PermissionDenied):
            services.decide(std[role], assessment, True, "1", None)
    with pytest.raises(ValidationFailed):
        services.decide(std["district_regulator"], assessment, False, None, "")  # a refusal says why


# --- scope -----------------------------------------------------------------------------------------
def test_each_role_sees_only_the_applications_in_its_scope(std, application, make_user, make_enterprise, db):
    from tests.factories import reference
    ref = reference()
    assessment = application()
    outsider_agency_staff = make_user("agency_staff", agency_id=_other_agency(db).id)
    other_street = make_user("street_regulator", street_id=ref["street_b"].id)
    visible = {name: db.session.scalars(Scope(user).assessments()).all() for name, user in {
        "officer": std["officer"], "grid_worker": std["grid_worker"], "street": std["street_regulator"],
        "district": std["district_regulator"], "other_street": other_street, "agency": std["agency_staff"],
        "other_agency": outsider_agency_staff}.items()}
    assert {name for name, rows in visible.items() if rows} == {"officer", "grid_worker", "street", "district"}
    services.assign_reviewer(std["district_regulator"], assessment, agency_id=std["agency"].id)
    assert db.session.scalars(Scope(std["agency_staff"]).assessments()).all() == [assessment]
    assert db.session.scalars(Scope(outsider_agency_staff).assessments()).all() == []
    assert db.session.scalars(Scope(std["agency_staff"]).certificates()).all() == []


def _other_agency(db):
    from safetylist.agencies.models import Agency
    from tests.factories import new_credit_code
    agency = Agency(name="另一评价机构", credit_code=new_credit_code())
    db.session.add(agency)
    db.session.commit()
    return agency


def test_the_reviewing_agency_sees_the_evidence_photos_and_others_do_not(std, self_assess, client, login_as, db):
    self_assess()
    assessment = services.start_application(std["officer"], std["e_a1"])
    services.save_evidence(std["officer"], assessment, "site-management", "",
                           [("a.jpg", io.BytesIO(image_bytes()))])
    ref = assessment.evidence["site-management"]["photos"][0]
    assert login_as(std["agency_staff"]).get(f"/photos/{ref}").status_code == 404
    for element in services.applicable_elements(assessment):
        services.save_evidence(std["officer"], assessment, element, "见档案")
    services.submit_application(std["officer"], assessment)
    services.assign_reviewer(std["district_regulator"], assessment, agency_id=std["agency"].id)
    assert login_as(std["agency_staff"]).get(f"/photos/{ref}").status_code == 200
    assert db.session.scalar(select(func.count(Assessment.id))) == 1
