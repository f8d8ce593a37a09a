"""Veto conditions (否决项) come from the accident and hazard records, never typed in; a grade issues a
numbered certificate; a veto event recorded after issue flags it; a regulator keeps, downgrades or
revokes it, with a reason, on the timeline."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.interviews import accidents
from safetylist.remediation.models import Hazard
from safetylist.standardization import certificates, services
from safetylist.standardization.models import Certificate, StandardizationAppendOnlyError, StandardizationEvent
from safetylist.timeutil import local_today, utcnow


def accident(world, days_ago: int, deaths=0, injuries=0, loss=0, enterprise=None):
    return accidents.record_accident(
        world["district_regulator"], occurred_at=utcnow() - timedelta(days=days_ago),
        enterprise_id=(enterprise or world["e_a1"]).id, category="machinery", deaths=deaths, injuries=injuries,
        direct_loss=Decimal(loss), summary="冲床伤人")


def major_hazard(world, db, enterprise=None, status="open"):
    today = local_today()
    hazard = Hazard(enterprise_id=(enterprise or world["e_a1"]).id, severity="major", title="有限空间未通风检测",
                    found_on=today, deadline=today + timedelta(days=5), status=status, source="other")
    db.session.add(hazard)
    db.session.commit()
    return hazard


def grant(world, assessment, grade="1", reason=None):
    return services.decide(world["district_regulator"], assessment, True, grade, reason)


# --- vetoes at grading ---------------------------------------------------------------------------
def test_a_fatal_accident_in_the_year_rules_out_any_grade(std, reviewed):
    accident(std, days_ago=200, deaths=1)
    assessment = reviewed()
    assert assessment.review_grade == "1"  # the scores alone would reach level 1
    assert services.grade_options(assessment) == []
    with pytest.raises(ValidationFailed) as refused:
        grant(std, assessment)
    assert "grant" in refused.value.errors
    assert services.decide(std["district_regulator"], assessment, False, None, "发生死亡事故，不予定级") is None
    assert assessment.decision == "refused" and [v["rule"] for v in assessment.vetoes] == ["fatal-accident"]
    assert db_certificates(std) == []


def db_certificates(world):
    from safetylist.extensions import db
    return db.session.scalars(select(Certificate).where(Certificate.enterprise_id == world["e_a1"].id)).all()


def test_a_fatal_accident_more_than_a_year_before_the_application_does_not(std, reviewed):
    accident(std, days_ago=400, deaths=1)
    assessment = reviewed()
    assert services.current_vetoes(assessment) == []
    assert grant(std, assessment).grade == "1"


@pytest.mark.parametrize("cases,vetoed", [
    ([(2, 0), (1, 0)], True),             # 3 injured in total
    ([(1, 0), (1, 0)], False),            # 2 injured
    ([(0, 600000), (0, 400000)], True),   # 1 million yuan in total
    ([(0, 999999)], False),
])
def test_accident_totals_over_the_year(std, reviewed, cases, vetoed):
    for injuries, loss in cases:
        accident(std, days_ago=30, injuries=injuries, loss=loss)
    assessment = reviewed()
    found = services.current_vetoes(assessment)
    assert [f.rule_id for f in found] == (["serious-accidents"] if vetoed else [])
    if vetoed:
        assert len(found[0].events) == len(cases)


def test_an_open_major_hazard_rules_out_a_grade_until_it_is_closed(std, reviewed, db):
    assessment = reviewed()
    hazard = major_hazard(std, db)
    assert [f.rule_id for f in services.current_vetoes(assessment)] == ["major-hazard-open"]
    assert services.grade_options(assessment) == []
    hazard.status = "closed"
    db.session.commit()
    assert [g.certificate_grade for g in services.grade_options(assessment)] == ["1", "2", "3"]


def test_the_enterprise_sees_vetoes_before_it_applies(std, self_assess, client, login_as):
    accident(std, days_ago=10, deaths=1)
    self_assess()
    page = login_as(std["officer"]).get(f"/standardization/enterprises/{std['e_a1'].id}")
    assert page.status_code == 200
    assert "12个月内发生生产安全死亡事故（1起）" in page.get_data(as_text=True)


# --- the decision and its certificate ------------------------------------------------------------
def test_a_granted_grade_issues_a_numbered_certificate_valid_three_years(std, reviewed, db):
    first = grant(std, reviewed())
    today = local_today()
    assert first.grade == "1" and first.status == "valid" and first.issued_on == today
    assert first.expires_on == certificates.add_years(today, 3) - timedelta(days=1)
    assert first.number == f"深龙应急标〔{today.year}〕001号"
    assert certificates.current_certificate(std["e_a1"].id) == first
    events = db.session.scalars(select(StandardizationEvent.action).where(
        StandardizationEvent.certificate_id == first.id)).all()
    assert events == ["issued"]


def test_a_lower_grade_than_the_review_needs_a_reason_and_a_higher_one_is_refused(std, reviewed):
    assessment = reviewed(review_earned={"hazardous-work-permits": 0, "equipment-maintained": 0,
                                         "maintenance-work-controlled": 0, "equipment-decommissioned": 0, "three-simultaneities": 0, "goals-set": 0,
                                         "goals-monitored": 0, "safety-organisation": 0, "laws-identified": 0})
    assert assessment.review_grade == "2"
    with pytest.raises(ValidationFailed) as higher:
        grant(std, assessment, "1")
    assert "grade" in higher.value.errors
    with pytest.raises(ValidationFailed) as lower:
        grant(std, assessment, "3")
    assert "reason" in lower.value.errors
    assert grant(std, assessment, "3", "现场复核发现隐患整改不彻底").grade == "3"


def test_a_new_grade_supersedes_the_certificate_in_force(std, reviewed, db):
    first = grant(std, reviewed())
    second = grant(std, reviewed(review_earned={"goals-set": 0, "goals-monitored": 0, "safety-organisation": 0,
                                                "hazardous-work-permits": 0, "equipment-maintained": 0,
                                                "maintenance-work-controlled": 0, "equipment-decommissioned": 0, "three-simultaneities": 0,
                                                "laws-identified": 0}), "2")
    db.session.refresh(first)
    assert first.status == "superseded" and second.status == "valid"
    assert second.number.endswith("002号")
    assert certificates.current_certificate(std["e_a1"].id) == second


# --- veto events after issue -----------------------------------------------------------------------
@pytest.fixture
def certified(std, reviewed):
    return grant(std, reviewed())


def test_a_fatal_accident_recorded_after_issue_flags_the_certificate(std, certified, db):
    assert certified.flagged_at is None
    recorded = accident(std, days_ago=0, deaths=1)
    db.session.refresh(certified)
    assert certified.flagged_at is not None
    assert certified.flag_reasons[0]["rule"] == "fatal-accident"
    assert certified.flag_reasons[0]["events"] == [f"accident:{recorded.id}"]
    assert certified.status == "valid"  # flagged for review, not revoked by a machine


def test_an_accident_before_issue_or_at_another_enterprise_does_not(std, reviewed, db):
    accident(std, days_ago=400, deaths=1)  # outside the grading year, before the certificate
    certificate = grant(std, reviewed())
    accident(std, days_ago=0, deaths=1, enterprise=std["e_a2"])
    db.session.refresh(certificate)
    assert certificate.flagged_at is None
    assert certificates.check_veto_events() == []  # the daily pass finds nothing either


def test_a_major_hazard_opened_by_a_checklist_flags_it(std, certified, db):
    """Opened through the remediation service (an interview commitment): the flag comes with it."""
    from safetylist.interviews.models import Interview
    from safetylist.remediation import services as remediation
    interview = Interview(party_kind="enterprise", enterprise_id=std["e_a1"].id, planned_at=utcnow(), place="局",
                          interviewing_unit="区应急管理局", officials="李", attendees_required="张", reasons="r")
    db.session.add(interview)
    db.session.commit()
    hazard = remediation.open_interview_commitment(std["district_regulator"], interview, "整改重大隐患", "张三",
                                         local_today() + timedelta(days=10), severity="major")
    db.session.commit()
    db.session.refresh(certified)
    assert certified.flag_reasons[0]["events"] == [f"hazard:{hazard.id}"]


def test_the_daily_pass_flags_what_came_in_another_way(std, certified, db):
    hazard = major_hazard(std, db)  # written straight to the table: no service saw it
    db.session.refresh(certified)
    assert certified.flagged_at is None
    assert certificates.flag_all() == [certified]
    assert certified.flag_reasons[0]["events"] == [f"hazard:{hazard.id}"]
    assert certificates.flag_all() == []  # the same events flag once


def test_keeping_it_clears_the_flag_and_those_events_never_flag_again(std, certified, db):
    accident(std, days_ago=0, deaths=1)
    db.session.refresh(certified)
    with pytest.raises(ValidationFailed):
        certificates.keep(std["district_regulator"], certified, "  ")
    certificates.keep(std["district_regulator"], certified, "事故系承包商在厂区外作业，不属本企业责任")
    assert certified.flagged_at is None and certified.flag_reasons == []
    assert certificates.check_veto_events([std["e_a1"].id]) == []
    second = accident(std, days_ago=0, deaths=1)  # a new event flags it again
    db.session.refresh(certified)
    assert certified.flagged_at is not None
    assert f"accident:{second.id}" in certified.flag_reasons[0]["events"]


def test_downgrading_issues_a_lower_certificate_for_the_rest_of_the_validity(std, certified, db):
    accident(std, days_ago=0, deaths=1)
    with pytest.raises(ValidationFailed):
        certificates.downgrade(std["district_regulator"], certified, "1", "降级")  # not lower
    successor = certificates.downgrade(std["district_regulator"], certified, "3", "发生死亡事故，降为三级")
    db.session.refresh(certified)
    assert certified.status == "superseded" and certified.status_reason == "发生死亡事故，降为三级"
    assert (successor.grade, successor.expires_on, successor.replaces_id) == ("3", certified.expires_on, certified.id)
    assert successor.flagged_at is None
    assert certificates.check_veto_events() == []  # the events were reviewed with the downgrade
    assert certificates.current_certificate(std["e_a1"].id) == successor


def test_revoking_needs_a_district_regulator_and_a_reason(std, certified, db):
    for actor in ("street_regulator", "admin", "officer"):
        with pytest.raises(PermissionDenied):
            certificates.revoke(std[actor], certified, "撤销")
    with pytest.raises(ValidationFailed):
        certificates.revoke(std["district_regulator"], certified, "")
    certificates.revoke(std["district_regulator"], certified, "提供虚假材料取得等级")
    assert certified.status == "revoked"
    assert certificates.current_certificate(std["e_a1"].id) is None
    with pytest.raises(DomainError):
        certificates.revoke(std["district_regulator"], certified, "again")


def test_a_stale_form_does_not_overwrite_a_decision(std, certified, db):
    version = certified.lock_version
    certificates.revoke(std["district_regulator"], certified, "撤销")
    with pytest.raises((StaleObject, DomainError)):
        certificates.keep(std["district_regulator"], certified, "保留", expected_version=version)
    db.session.refresh(certified)
    assert certified.status == "revoked"


def test_the_timeline_is_append_only(std, certified, db):
    entry = db.session.scalars(select(StandardizationEvent)).first()
    entry.comment = "changed"
    with pytest.raises(StandardizationAppendOnlyError):
        db.session.commit()
    db.session.rollback()
