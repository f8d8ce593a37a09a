"""The reminder scan with a frozen clock: who gets which reminder, once, at the right moment."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import yaml
from sqlalchemy import func, select

from safetylist.notify.models import Delivery, Notification
from safetylist.notify.rules import RULES_FILE
from safetylist.notify.scan import scan
from safetylist.remediation.models import Hazard
from safetylist.standardization.models import Certificate
from safetylist.timeutil import LOCAL_TZ
from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@pytest.fixture
def only(app, tmp_path, monkeypatch):
    """Run the scan with only some reminders of the bundled file (the others have their own tests)."""
    def use(*ids):
        document = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
        document["reminders"] = [r for r in document["reminders"] if r["id"] in ids]
        path = tmp_path / f"reminders-{'-'.join(ids)}.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        monkeypatch.setitem(app.config, "NOTIFY_REMINDERS_FILE", str(path))
    return use


def hazard(db, enterprise=None, deadline=date(2026, 12, 10), severity="general", found_on=date(2026, 9, 1),
           **extra):
    row = Hazard(enterprise_id=getattr(enterprise, "id", None), severity=severity, title="消防通道堵塞",
                 title_en="Fire exit blocked", found_on=found_on, deadline=deadline,
                 source="site_inspection", **extra)
    db.session.add(row)
    db.session.commit()
    return row


def sent(db, reminder=None) -> list[tuple[int, str, str]]:
    query = select(Notification.user_id, Notification.stage, Notification.deadline).order_by(Notification.id)
    if reminder:
        query = query.where(Notification.reminder == reminder)
    return [tuple(row) for row in db.session.execute(query)]


def test_every_hazard_stage_fires_once_at_its_time_over_a_fortnight_of_scans(world, db, only):
    only("hazard-deadline")
    hazard(db, world["e_a1"], deadline=date(2026, 12, 10))
    officer = world["officer"].id
    moments = []
    clock = at("2026-12-05 00:00")
    while clock < at("2026-12-14 00:00"):  # a scan every 15 minutes, as beat runs it
        if scan(clock).total:
            moments.append(clock.strftime("%m-%d %H:%M"))
        clock += timedelta(minutes=15)
    assert moments == ["12-07 08:30", "12-09 08:30", "12-10 08:30", "12-11 08:30", "12-12 08:30", "12-13 08:30"]
    assert sent(db) == [(officer, "before-3d", "2026-12-10"), (officer, "before-1d", "2026-12-10"),
                        (officer, "due-today", "2026-12-10"), (officer, "overdue:2026-12-11", "2026-12-10"),
                        (officer, "overdue:2026-12-12", "2026-12-10"), (officer, "overdue:2026-12-13", "2026-12-10")]


def test_running_the_scan_again_records_nothing_twice(world, db, only):
    only("hazard-deadline")
    hazard(db, world["e_a1"])
    world["officer"].email = "officer@example.com"
    db.session.commit()
    first = scan(at("2026-12-09 09:00"))
    again = scan(at("2026-12-09 09:00"))
    later = scan(at("2026-12-09 23:45"))
    assert (first.total, len(first.deliveries)) == (1, 1)
    assert again.total == later.total == 0 and again.deliveries == later.deliveries == []
    assert db.session.scalar(select(func.count(Delivery.id))) == 1


def test_a_hazard_created_late_gets_the_current_stage_only(world, db, only):
    only("hazard-deadline")
    hazard(db, world["e_a1"], deadline=date(2026, 12, 10))
    scan(at("2026-12-09 10:00"))  # first seen the day before: "tomorrow", not "in three days" as well
    assert [stage for _, stage, _ in sent(db)] == ["before-1d"]


def test_the_message_says_what_is_due_in_the_readers_language(world, db, only):
    from safetylist.notify.render import render
    only("hazard-deadline")
    hazard(db, world["e_a1"], deadline=date(2026, 12, 10))
    scan(at("2026-12-12 08:30"))
    notification = db.session.scalars(select(Notification)).one()
    zh, en = render(notification, "zh_CN"), render(notification, "en")
    assert zh.title == "隐患整改期限：消防通道堵塞"
    assert zh.body == "甲一五金有限公司的隐患“消防通道堵塞”已逾期2天（期限2026-12-10），请尽快整改。"
    assert en.body == "The hazard “Fire exit blocked” at 甲一五金有限公司 is 2 day(s) overdue (deadline 2026-12-10)."
    assert notification.link == f"/hazards/{notification.subject_id}"


def test_closed_hazards_and_inactive_users_get_nothing(world, db, only):
    only("hazard-deadline")
    hazard(db, world["e_a1"], status="closed")
    hazard(db, world["e_a2"])  # no officer account for this enterprise
    assert scan(at("2026-12-09 09:00")).total == 0
    hazard(db, world["e_a1"], deadline=date(2026, 12, 11))
    world["officer"].active = False
    db.session.commit()
    assert scan(at("2026-12-10 09:00")).total == 0


def test_a_new_deadline_starts_the_reminders_again(world, db, only):
    only("hazard-deadline")
    row = hazard(db, world["e_a1"], deadline=date(2026, 12, 10))
    scan(at("2026-12-09 09:00"))
    row.deadline = date(2026, 12, 20)  # an approved extension
    db.session.commit()
    scan(at("2026-12-17 09:00"))
    assert [(stage, deadline) for _, stage, deadline in sent(db)] == [("before-1d", "2026-12-10"),
                                                                      ("before-3d", "2026-12-20")]


def test_an_agencys_hazard_reminds_its_staff(world, db, only):
    only("hazard-deadline")
    hazard(db, None, agency_id=world["agency"].id)
    scan(at("2026-12-09 09:00"))
    assert sent(db) == [(world["agency_staff"].id, "before-1d", "2026-12-10")]


def test_overdue_hazards_escalate_to_the_street_then_the_district_as_the_escalation_rules_say(
        world, db, only, make_user):
    only("hazard-escalated")
    street_b = make_user("street_regulator", street_id=world["e_b1"].street_id)
    general = hazard(db, world["e_a1"], deadline=date(2026, 12, 10))
    major = hazard(db, world["e_a2"], deadline=date(2026, 12, 10), severity="major",
                   supervisor_id=world["street_regulator"].id, supervision_level="street")
    street, district = world["street_regulator"].id, world["district_regulator"].id
    assert scan(at("2026-12-10 23:00")).total == 0
    scan(at("2026-12-11 08:30"))  # major: escalated to the district as soon as it is overdue; its supervisor too
    assert sent(db) == [(district, "escalated:major-overdue", "2026-12-11"),
                        (street, "escalated:major-overdue", "2026-12-11")]
    assert scan(at("2026-12-17 08:30")).total == 0  # general: more than 7 days overdue is the 8th day
    scan(at("2026-12-18 08:30"))
    assert sent(db)[2:] == [(street, "escalated:general-overdue-7", "2026-12-18")]
    scan(at("2027-01-10 08:30"))
    assert sent(db)[3:] == [(district, "escalated:general-overdue-30", "2027-01-10")]
    assert street_b.id not in {user for user, _, _ in sent(db)}
    assert {n.subject_id for n in db.session.scalars(select(Notification))} == {general.id, major.id}


def test_escalations_long_past_are_not_sent_when_the_scan_first_sees_them(world, db, only):
    only("hazard-escalated")
    hazard(db, world["e_a1"], deadline=date(2026, 10, 1))
    assert scan(at("2026-12-10 08:30")).total == 0


def test_grid_workers_get_a_morning_digest_of_inspections_due(world, db, only):
    only("inspections-due")
    worker = world["grid_worker"].id
    assert scan(at("2026-12-10 07:29")).total == 0
    scan(at("2026-12-10 07:30"))  # e_a1 in the worker's grid has never been inspected: due
    notification = db.session.scalars(select(Notification)).one()
    assert (notification.user_id, notification.stage, notification.deadline) == (worker, "morning", "2026-12-10")
    assert notification.params == {"due": 1, "overdue": 0, "ordered": 0}
    assert scan(at("2026-12-10 11:00")).total == 0
    assert scan(at("2026-12-11 07:30")).total == 1


def test_each_digest_counts_the_grids_a_worker_answers_for_including_as_backup(world, db, only, make_user):
    from safetylist.grid.models import GridAssignment
    only("inspections-due")
    other = make_user("grid_worker", street_id=world["street_b"].id)
    idle = make_user("grid_worker", street_id=world["street_b"].id)
    db.session.add_all([
        GridAssignment(grid_id=world["grid_b1"].id, user_id=other.id, starts_on=date(2021, 1, 1)),
        GridAssignment(grid_id=world["grid_a1"].id, user_id=other.id, role="backup", starts_on=date(2021, 1, 1)),
        # A grid handed over before the day counts no longer.
        GridAssignment(grid_id=world["grid_a2"].id, user_id=idle.id, starts_on=date(2021, 1, 1),
                       ends_on=date(2026, 12, 1)),
    ])
    db.session.commit()
    scan(at("2026-12-10 07:30"))
    counts = {n.user_id: n.params["due"] for n in db.session.scalars(select(Notification))}
    assert counts == {world["grid_worker"].id: 1, other.id: 2}  # e_a1; e_a1 as backup and e_b1


def test_officers_are_reminded_of_checklists_due_today_and_then_overdue(world, db, only, library):
    from sqlalchemy import update

    from safetylist.checklists import runs
    from safetylist.checklists.models import ChecklistRun
    only("checklist-overdue")
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    runs.submit_run(officer, run, {"has-gas": "no", "exits": "pass", "temperature": 22})
    # Submitted on Wednesday 25 November: next due by the end of the following week, Sunday 6 December.
    db.session.execute(update(ChecklistRun.__table__).where(ChecklistRun.__table__.c.id == run.id)
                       .values(submitted_at=datetime(2026, 11, 25, 2, 0)))
    db.session.commit()
    assert scan(at("2026-12-06 15:59")).total == 0
    scan(at("2026-12-06 16:00"))
    assert sent(db) == [(officer.id, "due-today:weekly-check", "2026-12-06")]
    scan(at("2026-12-07 08:30"))
    assert sent(db)[1:] == [(officer.id, "overdue:weekly-check", "2026-12-06")]
    assert scan(at("2026-12-08 09:00")).total == 0  # one overdue reminder per missed period, not daily
    notification = db.session.scalars(select(Notification).order_by(Notification.id.desc())).first()
    from safetylist.notify.render import render
    assert "2026-12-06" in render(notification, "zh_CN").body


def test_certificates_and_qualifications_are_announced_90_and_30_days_before_they_expire(world, db, only):
    only("certificate-expiry", "qualification-expiry")
    db.session.add(Certificate(enterprise_id=world["e_a1"].id, number="深龙标准化〔2024〕018号", grade="3",
                               issued_on=date(2024, 3, 1), expires_on=date(2027, 3, 1)))
    world["agency"].qualification_no = "APJ-（粤）-001"
    world["agency"].qualification_expires_on = date(2027, 3, 1)
    db.session.commit()
    officer, district, staff = world["officer"].id, world["district_regulator"].id, world["agency_staff"].id
    assert scan(at("2026-11-30 08:29")).total == 0
    scan(at("2026-12-01 08:30"))  # 90 days before 2027-03-01
    assert sorted(sent(db)) == sorted([(officer, "before-90d", "2027-03-01"), (district, "before-90d", "2027-03-01"),
                                       (staff, "before-90d", "2027-03-01"), (district, "before-90d", "2027-03-01")])
    scan(at("2027-01-30 08:30"))  # 30 days before
    assert len(sent(db)) == 8 and {stage for _, stage, _ in sent(db)[4:]} == {"before-30d"}


def test_deliveries_follow_each_users_channels(world, db, only, app, monkeypatch):
    only("hazard-deadline")
    officer = world["officer"]
    hazard(db, world["e_a1"], deadline=date(2026, 12, 10))
    hazard(db, world["e_a1"], deadline=date(2026, 12, 11))
    hazard(db, world["e_a1"], deadline=date(2026, 12, 12))
    scan(at("2026-12-10 09:00"))  # no e-mail address, no webhook configured: the inbox only
    officer.email = "officer@example.com"
    db.session.commit()
    monkeypatch.setitem(app.config, "NOTIFY_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    scan(at("2026-12-11 09:00"))
    officer.notify_email = False
    db.session.commit()
    scan(at("2026-12-12 09:00"))
    channels = db.session.execute(select(Notification.stage, Notification.deadline, Delivery.channel)
                                  .join(Delivery).order_by(Delivery.id)).all()
    assert db.session.scalar(select(func.count(Notification.id))) == 9
    assert sorted(tuple(c) for c in channels) == sorted([
        ("overdue:2026-12-11", "2026-12-10", "email"), ("overdue:2026-12-11", "2026-12-10", "webhook"),
        ("due-today", "2026-12-11", "email"), ("due-today", "2026-12-11", "webhook"),
        ("before-1d", "2026-12-12", "email"), ("before-1d", "2026-12-12", "webhook"),
        ("overdue:2026-12-12", "2026-12-10", "webhook"), ("overdue:2026-12-12", "2026-12-11", "webhook"),
        ("due-today", "2026-12-12", "webhook")])


def test_standardization_steps_reach_the_reviewer_and_the_district(world, db, only, make_user):
    """An assigned review reaches its reviewer (a named regulator, or the reviewing agency's staff);
    a reviewed application the district regulators; a flagged certificate both regulators."""
    from safetylist.checklists.models import ChecklistRun, ChecklistVersion
    from safetylist.standardization.models import Assessment
    from safetylist.timeutil import from_local
    only("standardization-review", "standardization-decision", "certificate-flagged")
    version = ChecklistVersion(checklist_key="s", number=1, content_hash="x" * 64, title_zh="标", title_en="S",
                               kind="standardization", audience="enterprise", frequency="yearly", definition={},
                               source="s.yaml")
    run = ChecklistRun(version=version, enterprise_id=world["e_a1"].id, status="submitted", answers={})
    db.session.add_all([version, run])
    db.session.flush()
    reviewer = make_user("district_regulator")
    assigned = from_local(datetime(2026, 12, 3, 15, 0))
    db.session.add_all([
        Assessment(enterprise_id=world["e_a1"].id, self_run_id=run.id, status="in_review",
                   reviewer_user_id=reviewer.id, assigned_at=assigned),
        Assessment(enterprise_id=world["e_a2"].id, self_run_id=run.id, status="in_review",
                   reviewer_agency_id=world["agency"].id, assigned_at=assigned),
        Assessment(enterprise_id=world["e_b1"].id, self_run_id=run.id, status="reviewed",
                   review_submitted_at=assigned),
        Certificate(enterprise_id=world["e_a1"].id, number="深龙应急标〔2026〕009号", grade="2",
                    issued_on=date(2026, 1, 5), expires_on=date(2029, 1, 4), flagged_at=assigned,
                    flag_reasons=[{"rule": "fatal-accident"}])])
    db.session.commit()
    scan(at("2026-12-04 08:30"))
    got = {(user, stage) for user, stage, _deadline in sent(db)}
    district, street, staff = world["district_regulator"].id, world["street_regulator"].id, world["agency_staff"].id
    # the second reviewer is a district regulator too: decisions and flags reach them as well
    assert got == {(reviewer.id, "assigned"), (staff, "assigned"), (district, "reviewed"), (reviewer.id, "reviewed"),
                   (district, "flagged"), (reviewer.id, "flagged"), (street, "flagged")}
    scan(at("2026-12-04 09:00"))
    assert len(sent(db)) == 7  # once each


def test_agencies_are_reminded_of_their_self_check_and_the_district_when_a_week_overdue(world, db, only):
    from safetylist.agencies.demo import answers_for
    from safetylist.checklists import runs
    only("agency-self-check-due", "agency-self-check-overdue")
    staff, district = world["agency_staff"], world["district_regulator"].id
    run = runs.start_run(staff, "agency-practice", None, agency_id=staff.agency_id)
    runs.submit_run(staff, run, answers_for("agency-practice"))
    # Filed in the third quarter (a Core UPDATE: the ORM refuses to change a submitted run), so the
    # fourth quarter's is due on 2026-12-31.
    from sqlalchemy import update

    from safetylist.checklists.models import ChecklistRun
    db.session.execute(update(ChecklistRun).where(ChecklistRun.id == run.id).values(submitted_at=datetime(2026, 8, 3, 2)))
    db.session.commit()
    scan(at("2026-12-23 08:30"))
    assert sent(db) == []
    scan(at("2026-12-24 08:30"))
    assert sent(db) == [(staff.id, "before-7d:agency-practice", "2026-12-31")]
    scan(at("2026-12-31 08:30"))
    scan(at("2027-01-01 08:30"))
    assert [s for _, s, _ in sent(db)] == ["before-7d:agency-practice", "due-today:agency-practice",
                                           "overdue:agency-practice"]
    scan(at("2027-01-07 08:30"))
    assert (district, "overdue-7d:agency-practice", "2026-12-31") in sent(db)


def test_a_call_for_self_checks_brings_the_reminder_forward(world, db, only):
    from safetylist.agencies.models import SelfCheckCall
    only("agency-self-check-due")
    staff = world["agency_staff"].id
    db.session.add(SelfCheckCall(title="专项整治自查", due_on=date(2026, 10, 20), created_at=datetime(2026, 10, 1, 2)))
    db.session.commit()
    scan(at("2026-10-13 08:30"))  # the quarter ends on 2026-12-31, the call is due on 2026-10-20
    assert sent(db) == [(staff, "before-7d:agency-practice", "2026-10-20")]
