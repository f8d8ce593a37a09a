"""Interview (约谈) reminders with a frozen clock: both sides, at each stage, once; and the
commitments made in an interview reminded like any hazard."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from safetylist.interviews.models import Interview
from safetylist.notify.models import Notification
from safetylist.notify.scan import scan
from safetylist.remediation.models import Hazard
from tests.notify.test_scan import at, only, sent  # noqa: F401  (only: fixture)


def stored(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def interview(db, world, planned="2026-12-10 10:00", status="planned", enterprise="e_a1", **extra) -> Interview:
    row = Interview(party_kind="enterprise" if enterprise else "authority",
                    enterprise_id=world[enterprise].id if enterprise else None,
                    street_id=world[enterprise].street_id if enterprise else None,
                    planned_at=stored(at(planned)), place="坂田街道办302会议室", interviewing_unit="坂田街道办事处",
                    officials="王科长", attendees_required="法定代表人、安全负责人", reasons="近12个月发生2起事故",
                    status=status, created_by_id=world["street_regulator"].id, **extra)
    db.session.add(row)
    db.session.commit()
    return row


def test_every_stage_fires_once_at_its_time_to_the_enterprise_and_the_organizer(world, db, only):
    only("interview")
    row = interview(db, world)
    assert row.planned_at.isoformat() == "2026-12-10T02:00:00"  # stored in UTC
    officer, organizer = world["officer"].id, world["street_regulator"].id
    moments = []
    clock = at("2026-12-05 00:00")
    while clock < at("2026-12-12 00:00"):  # a scan every 15 minutes, as beat runs it
        if scan(clock).total:
            moments.append(clock.strftime("%m-%d %H:%M"))
        clock += timedelta(minutes=15)
    assert moments == ["12-07 08:30", "12-09 08:30", "12-10 08:00"]
    key = "2026-12-10T10:00"
    assert sent(db) == [(officer, "before-3d", key), (organizer, "before-3d", key),
                        (officer, "before-1d", key), (organizer, "before-1d", key),
                        (officer, "before-2h", key), (organizer, "before-2h", key)]


def test_days_count_in_shanghai_for_an_interview_just_after_midnight(world, db, only):
    only("interview")
    interview(db, world, planned="2026-12-10 00:30")  # 2026-12-09 16:30 UTC: still the 10th for people
    assert scan(at("2026-12-06 08:30")).total == 0
    assert scan(at("2026-12-07 08:30")).total == 2
    assert scan(at("2026-12-09 08:30")).total == 2
    assert scan(at("2026-12-09 22:29")).total == 0
    assert scan(at("2026-12-09 22:30")).total == 2
    assert [stage for _, stage, _ in sent(db)] == ["before-3d"] * 2 + ["before-1d"] * 2 + ["before-2h"] * 2


def test_the_message_names_the_party_the_time_and_the_place(world, db, only):
    from safetylist.notify.render import render
    only("interview")
    row = interview(db, world, notice_number="坂应约〔2026〕3号", status="notice_issued")
    scan(at("2026-12-09 09:00"))
    notification = db.session.scalars(select(Notification).where(
        Notification.user_id == world["officer"].id)).one()
    zh, en = render(notification, "zh_CN"), render(notification, "en")
    assert zh.title == "约谈提醒：甲一五金有限公司"
    assert zh.body == "对甲一五金有限公司的约谈定于明天（2026-12-10 10:00）在坂田街道办302会议室进行。"
    assert en.body == "The interview with 甲一五金有限公司 is tomorrow (2026-12-10 10:00) at 坂田街道办302会议室."
    assert notification.link == f"/interviews/{row.id}" and notification.subject_type == "interview"
    assert notification.params["number"] == "坂应约〔2026〕3号"


def test_cancelled_and_held_interviews_get_nothing(world, db, only):
    only("interview")
    interview(db, world, status="cancelled", cancel_reason="企业已停产")
    interview(db, world, status="held")
    for moment in ("2026-12-07 08:30", "2026-12-09 08:30", "2026-12-10 08:00"):
        assert scan(at(moment)).total == 0


def test_a_cancellation_stops_the_stages_still_to_come(world, db, only):
    only("interview")
    row = interview(db, world)
    assert scan(at("2026-12-07 08:30")).total == 2
    row.status = "cancelled"
    db.session.commit()
    assert scan(at("2026-12-09 08:30")).total == scan(at("2026-12-10 08:00")).total == 0


def test_a_new_time_starts_the_stages_again(world, db, only):
    only("interview")
    row = interview(db, world, planned="2026-12-10 10:00")
    scan(at("2026-12-09 09:00"))
    row.planned_at = stored(at("2026-12-20 14:30"))  # postponed
    db.session.commit()
    for moment in ("2026-12-10 08:00", "2026-12-17 08:30", "2026-12-19 08:30", "2026-12-20 12:30"):
        scan(at(moment))
    officer = world["officer"].id
    assert [(stage, deadline) for user, stage, deadline in sent(db) if user == officer] == [
        ("before-1d", "2026-12-10T10:00"), ("before-3d", "2026-12-20T14:30"), ("before-1d", "2026-12-20T14:30"),
        ("before-2h", "2026-12-20T14:30")]


def test_an_authority_interview_reminds_the_organizer_while_active(world, db, only):
    only("interview")
    interview(db, world, enterprise=None, authority_name="区住房和建设局")
    scan(at("2026-12-07 08:30"))
    assert sent(db) == [(world["street_regulator"].id, "before-3d", "2026-12-10T10:00")]
    assert db.session.scalars(select(Notification)).one().params["party"] == "区住房和建设局"
    world["street_regulator"].active = False
    db.session.commit()
    assert scan(at("2026-12-09 08:30")).total == 0


def test_a_commitment_made_in_an_interview_is_reminded_as_a_hazard(world, db, only):
    only("hazard-deadline")
    row = interview(db, world, planned="2026-11-20 09:30", status="held")
    commitment = Hazard(enterprise_id=world["e_a1"].id, severity="general", title="三个月内完成有限空间作业审批制度",
                        found_on=date(2026, 11, 20), deadline=date(2026, 12, 10), source="interview",
                        interview_id=row.id, responsible_person="张三")
    db.session.add(commitment)
    db.session.commit()
    scan(at("2026-12-07 08:30"))
    scan(at("2026-12-11 08:30"))
    officer = world["officer"].id
    assert sent(db) == [(officer, "before-3d", "2026-12-10"), (officer, "overdue:2026-12-11", "2026-12-10")]
    assert db.session.scalars(select(Notification.link)).first() == f"/hazards/{commitment.id}"
