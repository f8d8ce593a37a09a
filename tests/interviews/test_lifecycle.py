"""The interview lifecycle (约谈): planning, notice, holding, commitments, follow-up, cancelling and
rescheduling — who may take each step, in which state, and what every step leaves behind."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from safetylist.audit.models import AuditEntry
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.interviews import services
from safetylist.interviews.models import Interview, InterviewAppendOnlyError, InterviewEvent
from safetylist.interviews.services import Commitment, IllegalStep
from safetylist.photos.models import Photo
from safetylist.remediation import services as remediation
from safetylist.remediation.models import Hazard, HazardEvent, NoticeCounter
from safetylist.remediation.notices import unit_of_street
from safetylist.timeutil import local_today, to_local, utc_start_of, utcnow
from tests.photos.test_photos import image_bytes

PLACE = "区应急管理局三楼会议室"
REASONS = "今年以来发生两起机械伤害事故，隐患整改多次逾期。"


def plan(actor, enterprise=None, in_days: int = 2, **overrides) -> Interview:
    """An interview of `enterprise` (or, with party_kind="authority", of an authority) in a few days."""
    when = (utcnow() + timedelta(days=in_days)).replace(second=0, microsecond=0)  # as a form gives it
    fields = {"party_kind": "enterprise", "enterprise": enterprise, "planned_at": when,
              "place": PLACE, "officials": "李局长、王科长", "reasons": REASONS}
    fields.update(overrides)
    return services.plan_interview(actor, **fields)


@pytest.fixture
def clock(monkeypatch):
    """Move the interview service's clock: clock(moment) with a naive UTC datetime."""
    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(services, "utcnow", lambda: moment)
    return set_to


def hold(actor, interview, clock, photos=()) -> Interview:
    clock(interview.planned_at + timedelta(hours=1))
    return services.record_held(actor, interview, interview.planned_at, "法定代表人张三、安全主任李四",
                                "指出问题：机械防护缺失。企业表态：一个月内整改。", photos)


def commitment(title="加装机械防护罩", person="张三", in_days=30, severity="general") -> Commitment:
    return Commitment(title=title, responsible_person=person, deadline=local_today() + timedelta(days=in_days),
                      severity=severity)


def steps(db, interview) -> list[tuple[str, str | None, str | None]]:
    rows = db.session.scalars(select(InterviewEvent).where(InterviewEvent.interview_id == interview.id)
                              .order_by(InterviewEvent.id)).all()
    return [(e.action, e.from_status, e.to_status) for e in rows]


def snapshot(db, interview) -> tuple:
    """What a refused step must leave as it was."""
    db.session.expire_all()
    row = db.session.get(Interview, interview.id)
    return (row.status, row.lock_version, row.notice_number, row.minutes, row.planned_at,
            db.session.scalar(select(func.count()).select_from(InterviewEvent)),
            db.session.scalar(select(func.count()).select_from(Hazard)),
            db.session.scalar(select(func.coalesce(func.sum(NoticeCounter.last), 0))))


# --- the whole way ---------------------------------------------------------------------------------
def test_an_enterprise_interview_from_plan_to_close(world, db, clock):
    regulator, officer, worker, enterprise = (world[k] for k in ("street_regulator", "officer", "grid_worker",
                                                                 "e_a1"))
    interview = plan(regulator, enterprise)
    assert (interview.status, interview.street_id, interview.notice_unit) == \
        ("planned", enterprise.street_id, world["street_a"].code)
    assert interview.interviewing_unit == unit_of_street(world["street_a"]).name
    assert interview.attendees_required == "法定代表人（张三）、安全生产管理负责人"

    services.issue_notice(regulator, interview, interview.lock_version)
    assert interview.status == "notice_issued" and interview.notice_number.endswith("001号")

    hold(regulator, interview, clock, photos=[("record.jpg", io.BytesIO(image_bytes()))])
    assert interview.status == "held" and interview.minutes.startswith("指出问题")
    [photo] = db.session.scalars(select(Photo).where(Photo.interview_id == interview.id)).all()
    assert photo.enterprise_id == enterprise.id

    services.add_supplement(regulator, interview, "签字版记录已扫描归档。")
    first, second = services.record_commitments(regulator, interview, [
        commitment(), Commitment(), commitment("重新制定有限空间作业审批制度", "李四", 15, "major")])
    assert interview.status == "follow_up"
    for hazard, (title, person, days, severity) in ((first, ("加装机械防护罩", "张三", 30, "general")),
                                                    (second, ("重新制定有限空间作业审批制度", "李四", 15, "major"))):
        assert (hazard.title, hazard.responsible_person, hazard.severity, hazard.source, hazard.interview_id,
                hazard.enterprise_id, hazard.status) == \
            (title, person, severity, "interview", interview.id, enterprise.id, "open")
        assert hazard.deadline == local_today() + timedelta(days=days)
        opened = db.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id)).one()
        assert opened.action == "opened" and f"第 {interview.id} 号约谈" in opened.comment  # in Chinese, the default
        assert opened.details["interview_id"] == interview.id

    with pytest.raises(ValidationFailed) as refused:  # commitments are still open
        services.close(regulator, interview, "已复查")
    assert "despite_open" in refused.value.errors and interview.status == "follow_up"

    # The loop closes the commitments: the enterprise reports, the grid worker verifies; one is withdrawn.
    remediation.submit_rectification(officer, first, "已加装防护罩")
    remediation.verify(worker, first)
    remediation.withdraw(regulator, second, "已并入另一项承诺")
    db.session.refresh(interview)
    assert services.open_commitments(interview) == []
    services.close(regulator, interview, "两项承诺均已落实，复查合格。")
    assert (interview.status, interview.follow_up_note) == ("closed", "两项承诺均已落实，复查合格。")
    assert interview.closed_at is not None and interview.followed_up_at is not None

    assert steps(db, interview) == [
        ("planned", None, "planned"), ("notice_issued", "planned", "notice_issued"),
        ("held", "notice_issued", "held"), ("supplement", "held", "held"), ("commitments", "held", "follow_up"),
        ("closed", "follow_up", "closed")]
    audited = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Interview")
                                 .order_by(AuditEntry.id)).all()
    assert audited == ["interview_planned", "interview_notice_issued", "interview_held", "interview_supplement",
                       "interview_commitments", "interview_closed"]
    assert services.allowed_actions(regulator, interview) == set()  # closed is final


def test_closing_with_commitments_open_needs_the_regulators_explanation(world, db, clock):
    regulator = world["district_regulator"]
    interview = plan(regulator, world["e_b1"])
    services.issue_notice(regulator, interview)
    hold(regulator, interview, clock)
    [hazard] = services.record_commitments(regulator, interview, [commitment()])
    with pytest.raises(ValidationFailed) as refused:
        services.close(regulator, interview, "", despite_open=True)
    assert "note" in refused.value.errors
    services.close(regulator, interview, "企业已停产，承诺转入执法程序跟进。", despite_open=True)
    closed = db.session.scalars(select(InterviewEvent).where(InterviewEvent.action == "closed")).one()
    assert interview.status == "closed" and closed.details["open_commitments"] == [hazard.id]


def test_more_commitments_can_be_added_while_following_up(world, db, clock):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a2"])
    services.issue_notice(regulator, interview)
    hold(regulator, interview, clock)
    services.record_commitments(regulator, interview, [commitment()])
    services.record_commitments(regulator, interview, [commitment("燃气报警器联动切断", "王五", 10)])
    assert [h.title for h in interview.commitments] == ["加装机械防护罩", "燃气报警器联动切断"]
    assert steps(db, interview)[-1] == ("commitments", "follow_up", "follow_up")


def test_a_sector_authority_interview(world, db, clock, make_user):
    district, street_a = world["district_regulator"], world["street_regulator"]
    district_wide = plan(district, party_kind="authority", authority_name="龙岗区住房和建设局",
                         attendees_required="分管副局长")
    assert (district_wide.street_id, district_wide.enterprise_id, district_wide.notice_unit) == \
        (None, None, "district")
    with pytest.raises(ValidationFailed) as refused:  # a street plans for its own street only
        plan(street_a, party_kind="authority", authority_name="平湖街道城建办", attendees_required="主任",
             street_id=world["street_b"].id)
    assert set(refused.value.errors) == {"street_id"}
    street_level = plan(street_a, party_kind="authority", authority_name="平湖街道城建办", attendees_required="主任")
    assert street_level.street_id == world["street_a"].id

    street_b = make_user("street_regulator", street_id=world["street_b"].id)
    from safetylist.auth.scope import Scope
    for actor, visible in ((street_a, {street_level.id}), (street_b, set()),
                           (district, {street_level.id, district_wide.id}), (world["officer"], set())):
        assert set(db.session.scalars(Scope(actor).interviews().with_only_columns(Interview.id))) == visible

    services.issue_notice(district, district_wide)
    with pytest.raises(ValidationFailed) as refused:  # no enterprise to keep the photo with
        hold(district, district_wide, clock, photos=[("record.jpg", io.BytesIO(image_bytes()))])
    assert "photos" in refused.value.errors and district_wide.status == "notice_issued"
    hold(district, district_wide, clock)
    assert services.record_commitments(district, district_wide, [commitment("开展建筑工地专项整治", "陈局")]) == []
    entry = db.session.scalars(select(InterviewEvent).where(InterviewEvent.action == "commitments")).one()
    assert entry.details["items"][0]["title"] == "开展建筑工地专项整治"
    assert db.session.scalar(select(func.count()).select_from(Hazard)) == 0
    services.close(district, district_wide, "专项整治已开展。")
    assert district_wide.status == "closed"


# --- planning --------------------------------------------------------------------------------------
def test_planning_checks_every_field_and_keeps_nothing_when_refused(world, db):
    regulator = world["street_regulator"]
    with pytest.raises(ValidationFailed) as refused:
        services.plan_interview(regulator, party_kind="enterprise", enterprise=world["e_a1"], planned_at=None,
                                place=" ", officials="", reasons="", attendees_required="")
    assert set(refused.value.errors) == {"planned_at", "place", "officials", "reasons"}
    with pytest.raises(ValidationFailed) as refused:
        plan(regulator, world["e_a1"], in_days=-1)
    assert set(refused.value.errors) == {"planned_at"}
    with pytest.raises(ValidationFailed) as refused:
        plan(regulator, party_kind="authority", authority_name="", attendees_required="")
    assert {"authority_name", "attendees_required"} <= set(refused.value.errors)
    with pytest.raises(ValidationFailed):
        plan(regulator, party_kind="someone")
    assert db.session.scalar(select(func.count()).select_from(Interview)) == 0
    assert db.session.scalar(select(func.count()).select_from(InterviewEvent)) == 0


def test_related_accidents_and_hazards_must_be_the_enterprises_and_in_scope(world, db):
    from safetylist.interviews.models import Accident
    regulator, enterprise = world["street_regulator"], world["e_a1"]
    own = Accident(occurred_at=utcnow() - timedelta(days=20), enterprise_id=enterprise.id,
                   street_id=enterprise.street_id, category="machinery", injuries=1, summary="冲床压伤手指")
    other = Accident(occurred_at=utcnow() - timedelta(days=9), enterprise_id=world["e_a2"].id,
                     street_id=world["e_a2"].street_id, category="burns", injuries=1, summary="油锅烫伤")
    db.session.add_all([own, other])
    hazard = Hazard(enterprise_id=enterprise.id, severity="general", title="冲床无防护", found_on=local_today(),
                    deadline=local_today(), source="site_inspection")
    foreign = Hazard(enterprise_id=world["e_b1"].id, severity="general", title="叉车无证驾驶",
                     found_on=local_today(), deadline=local_today(), source="site_inspection")
    db.session.add_all([hazard, foreign])
    db.session.commit()

    assert services.candidate_accidents(regulator, enterprise) == [own]
    assert services.candidate_hazards(regulator, enterprise) == [hazard]
    for wrong in ({"accident_ids": [own.id, other.id]}, {"hazard_ids": [foreign.id]}):
        with pytest.raises(ValidationFailed):
            plan(regulator, enterprise, **wrong)
    assert db.session.scalar(select(func.count()).select_from(Interview)) == 0
    interview = plan(regulator, enterprise, accident_ids=[own.id], hazard_ids=[hazard.id])
    assert interview.accidents == [own] and interview.hazards == [hazard]


@pytest.mark.parametrize("role", ["officer", "grid_worker", "agency_staff"])
def test_only_regulators_and_admins_plan(world, db, role):
    with pytest.raises(PermissionDenied):
        plan(world[role], world["e_a1"])
    assert db.session.scalar(select(func.count()).select_from(Interview)) == 0


def test_a_street_regulator_plans_for_their_street_only(world, db):
    with pytest.raises(PermissionDenied):
        plan(world["street_regulator"], world["e_b1"])
    assert db.session.scalar(select(func.count()).select_from(Interview)) == 0
    assert plan(world["district_regulator"], world["e_b1"]).notice_unit == "district"
    by_admin = plan(world["admin"], world["e_b1"])  # on the district bureau's behalf
    assert by_admin.notice_unit == "district" and by_admin.interviewing_unit == "深圳市龙岗区应急管理局"


# --- who takes the steps -------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["officer", "grid_worker", "agency_staff", "other_street"])
def test_readers_and_other_areas_take_no_step(world, db, make_user, clock, role):
    regulator = world["street_regulator"]
    actor = make_user("street_regulator", street_id=world["street_b"].id) if role == "other_street" else world[role]
    planned = plan(regulator, world["e_a1"])
    issued = plan(regulator, world["e_a1"])
    services.issue_notice(regulator, issued)
    before = [snapshot(db, planned), snapshot(db, issued)]
    attempts = [
        lambda: services.issue_notice(actor, planned),
        lambda: services.reschedule(actor, planned, utcnow() + timedelta(days=5), "另有安排"),
        lambda: services.cancel(actor, issued, "取消"),
        lambda: hold(actor, issued, clock),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert [snapshot(db, planned), snapshot(db, issued)] == before
    assert services.allowed_actions(actor, issued) == set()


def test_street_and_district_regulators_and_admins_take_the_steps(world, db, clock):
    interview = plan(world["district_regulator"], world["e_a1"])
    services.issue_notice(world["street_regulator"], interview)  # the enterprise is in their street
    assert interview.notice_number.startswith("深龙应急约谈")  # numbered by the unit that planned it
    hold(world["admin"], interview, clock)
    services.record_commitments(world["district_regulator"], interview, [commitment()])
    assert interview.status == "follow_up"


# --- states ---------------------------------------------------------------------------------------------
def _interview_in(state: str, world, clock) -> Interview:
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    if state == "cancelled":
        return services.cancel(regulator, interview, "企业已注销")
    if state == "planned":
        return interview
    services.issue_notice(regulator, interview)
    if state == "notice_issued":
        return interview
    hold(regulator, interview, clock)
    if state == "held":
        return interview
    services.record_commitments(regulator, interview, [commitment()])
    if state == "follow_up":
        return interview
    services.close(regulator, interview, "已复查", despite_open=True)
    return interview


STEPS_BY_STATE = {  # what each state refuses
    "planned": ["held", "supplement", "commitments", "close"],
    "notice_issued": ["notice", "supplement", "commitments", "close"],
    "held": ["notice", "reschedule", "cancel", "held", "close"],
    "follow_up": ["notice", "reschedule", "cancel", "held"],
    "closed": ["notice", "reschedule", "cancel", "held", "supplement", "commitments", "close"],
    "cancelled": ["notice", "reschedule", "cancel", "held", "supplement", "commitments", "close"],
}


def _attempt(step: str, actor, interview):
    later = interview.planned_at + timedelta(days=3)
    return {
        "notice": lambda: services.issue_notice(actor, interview),
        "reschedule": lambda: services.reschedule(actor, interview, later, "改期"),
        "cancel": lambda: services.cancel(actor, interview, "取消"),
        "held": lambda: services.record_held(actor, interview, interview.planned_at, "张三", "记录"),
        "supplement": lambda: services.add_supplement(actor, interview, "补充"),
        "commitments": lambda: services.record_commitments(actor, interview, [commitment()]),
        "close": lambda: services.close(actor, interview, "复查", despite_open=True),
    }[step]


@pytest.mark.parametrize("state", list(STEPS_BY_STATE))
def test_illegal_steps_are_refused_and_change_nothing(world, db, clock, state):
    interview = _interview_in(state, world, clock)
    clock(interview.planned_at + timedelta(hours=2))  # whatever the time, the state decides
    assert interview.status == state
    allowed = services.allowed_actions(world["street_regulator"], interview)
    assert not allowed & set(STEPS_BY_STATE[state])
    before = snapshot(db, interview)
    for step in STEPS_BY_STATE[state]:
        with pytest.raises(IllegalStep):
            _attempt(step, world["street_regulator"], db.session.get(Interview, interview.id))()
        assert snapshot(db, interview) == before, step


def test_held_is_recorded_from_the_planned_day_on(world, db, clock):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"], in_days=3)
    services.issue_notice(regulator, interview)
    planned_day = to_local(interview.planned_at).date()
    clock(utc_start_of(planned_day) - timedelta(minutes=1))  # the evening before
    assert "held" not in services.allowed_actions(regulator, interview)
    with pytest.raises(IllegalStep) as refused:
        services.record_held(regulator, interview, utc_start_of(planned_day) - timedelta(hours=1), "张三", "记录")
    assert planned_day.isoformat() in str(refused.value)
    morning = utc_start_of(planned_day) + timedelta(minutes=30)  # before the planned hour, on the day
    clock(morning)
    with pytest.raises(ValidationFailed) as refused:  # it cannot have been held the day before
        services.record_held(regulator, interview, morning - timedelta(hours=1), "张三", "记录")
    assert "held_at" in refused.value.errors
    with pytest.raises(ValidationFailed):  # nor later than now
        services.record_held(regulator, interview, morning + timedelta(hours=1), "张三", "记录")
    with pytest.raises(ValidationFailed) as refused:
        services.record_held(regulator, interview, morning, "", "")
    assert interview.status == "notice_issued"
    services.record_held(regulator, interview, morning, "张三", "记录")
    assert (interview.status, interview.held_at) == ("held", morning)


def test_a_notice_is_not_issued_once_the_planned_time_has_passed(world, db, clock):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    clock(interview.planned_at + timedelta(minutes=1))
    with pytest.raises(IllegalStep) as refused:
        services.issue_notice(regulator, interview)
    assert "请先改期" in str(refused.value)  # "reschedule …", in the default Chinese
    assert interview.notice_number is None


def test_the_minutes_are_never_rewritten(world, db, clock):
    regulator = world["street_regulator"]
    interview = _interview_in("held", world, clock)
    minutes = interview.minutes
    with pytest.raises(IllegalStep):
        services.record_held(regulator, interview, interview.planned_at, "另一些人", "改写的记录")
    entry = services.add_supplement(regulator, interview, "企业补交了签字页。")
    db.session.refresh(interview)
    assert interview.minutes == minutes and entry.comment == "企业补交了签字页。"
    entry.comment = "篡改"
    with pytest.raises(InterviewAppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_commitments_are_checked_row_by_row(world, db, clock):
    regulator = world["street_regulator"]
    interview = _interview_in("held", world, clock)
    before = snapshot(db, interview)
    with pytest.raises(ValidationFailed) as refused:
        services.record_commitments(regulator, interview, [Commitment(), Commitment()])
    assert set(refused.value.errors) == {"commitments"}
    with pytest.raises(ValidationFailed) as refused:
        services.record_commitments(regulator, interview, [
            commitment(), Commitment(title="整改", deadline=None), commitment(in_days=-1),
            commitment(severity="huge"), commitment(title="长" * 301)])
    assert set(refused.value.errors) == {"commitment-1-person", "commitment-1-deadline", "commitment-2-deadline",
                                         "commitment-3-severity", "commitment-4-title"}
    assert snapshot(db, interview) == before


def test_a_commitment_is_opened_only_by_regulators_for_an_enterprise_in_their_area(world, db, clock, make_user):
    interview = _interview_in("held", world, clock)
    for actor in (world["officer"], make_user("street_regulator", street_id=world["street_b"].id)):
        with pytest.raises(PermissionDenied):
            remediation.open_interview_commitment(actor, interview, "整改", "张三", local_today())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Hazard)) == 0


# --- concurrent changes ---------------------------------------------------------------------------------
def test_a_stale_form_is_refused(world, db, clock):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    version = interview.lock_version
    services.issue_notice(regulator, interview, version)
    before = snapshot(db, interview)
    with pytest.raises(StaleObject) as refused:
        services.cancel(regulator, interview, "取消", expected_version=version)  # the form predates the notice
    assert services.status_label("notice_issued") in str(refused.value)
    assert snapshot(db, interview) == before


def test_a_change_committed_meanwhile_makes_the_slower_step_fail(world, db, clock):
    regulator = world["street_regulator"]
    interview = _interview_in("follow_up", world, clock)
    # Another request adds a step through its own connection after this one loaded the interview.
    with db.engine.begin() as other:
        other.execute(update(Interview).where(Interview.id == interview.id)
                      .values(lock_version=Interview.lock_version + 1))
    events = db.session.scalar(select(func.count()).select_from(InterviewEvent))
    with pytest.raises(StaleObject):
        services.close(regulator, interview, "复查", despite_open=True)
    assert db.session.scalar(select(func.count()).select_from(InterviewEvent)) == events
    assert db.session.get(Interview, interview.id).status == "follow_up"


def test_appending_steps_move_the_version_too(world, db, clock):
    regulator = world["street_regulator"]
    interview = _interview_in("held", world, clock)
    version = interview.lock_version
    services.add_supplement(regulator, interview, "补充一", expected_version=version)
    assert interview.lock_version == version + 1
    with pytest.raises(StaleObject):
        services.add_supplement(regulator, interview, "补充二", expected_version=version)


# --- cancel and reschedule --------------------------------------------------------------------------
def test_rescheduling_after_the_notice_voids_it(world, db, clock):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    services.issue_notice(regulator, interview)
    voided, old_time = interview.notice_number, interview.planned_at
    for bad_time, reason in ((None, "改期"), (utcnow() - timedelta(hours=1), "改期"), (old_time, "改期"),
                             (old_time + timedelta(days=1), " ")):
        with pytest.raises(ValidationFailed):
            services.reschedule(regulator, interview, bad_time, reason)
    assert interview.notice_number == voided

    new_time = old_time + timedelta(days=7)
    services.reschedule(regulator, interview, new_time, "主要负责人出差")
    assert (interview.status, interview.planned_at, interview.notice_number, interview.notice_issued_at) == \
        ("planned", new_time, None, None)
    entry = db.session.scalars(select(InterviewEvent).where(InterviewEvent.action == "rescheduled")).one()
    assert entry.details["voided_notice"] == voided and entry.comment == "主要负责人出差"
    assert (entry.from_status, entry.to_status) == ("notice_issued", "planned")
    assert entry.details["to"] == f"{to_local(new_time):%Y-%m-%d %H:%M}"

    services.issue_notice(regulator, interview)  # a new number; the void one stays used
    assert interview.notice_sequence == 2 and interview.notice_number != voided


def test_rescheduling_a_planned_interview_keeps_it_planned(world, db):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    services.reschedule(regulator, interview, interview.planned_at + timedelta(hours=3), "会议室冲突")
    entry = db.session.scalars(select(InterviewEvent).where(InterviewEvent.action == "rescheduled")).one()
    assert interview.status == "planned" and "voided_notice" not in entry.details


@pytest.mark.parametrize("issued", [False, True])
def test_cancelling(world, db, issued):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    if issued:
        services.issue_notice(regulator, interview)
    with pytest.raises(ValidationFailed):
        services.cancel(regulator, interview, "")
    services.cancel(regulator, interview, "企业已注销")
    assert (interview.status, interview.cancel_reason) == ("cancelled", "企业已注销")
    entry = db.session.scalars(select(InterviewEvent).where(InterviewEvent.action == "cancelled")).one()
    assert entry.details.get("voided_notice") == (interview.notice_number if issued else None)
    assert services.allowed_actions(regulator, interview) == set()
