"""Interview notices (约谈通知书): numbers gap-free per issuing unit and year, apart from rectification
notices (also when two regulators issue at once, on PostgreSQL), and the printed Chinese PDF."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from safetylist.interviews import notice, services
from safetylist.interviews.models import Accident, Interview
from safetylist.remediation import notices as rectification
from safetylist.remediation.models import NoticeCounter
from safetylist.timeutil import to_local, utcnow
from tests.interviews.test_lifecycle import plan
from tests.remediation.test_notices import make_hazard
from tests.reports.test_run_pdf import needs_poppler, pdf_fonts, pdf_text



def short(street) -> str:
    return street.name_zh.removesuffix("街道")


def issued(actor, enterprise, **overrides):
    interview = plan(actor, enterprise, **overrides)
    return services.issue_notice(actor, interview)


# --- numbering -----------------------------------------------------------------------------------------
def test_each_unit_numbers_its_interview_notices_apart_from_rectification_notices(world, db, make_user):
    street_a, street_b = world["street_a"], world["street_b"]
    year = to_local(utcnow()).year
    # A rectification notice of street A first: the interview series does not share its counter.
    rectification.issue_notice(world["street_regulator"], world["e_a1"], [make_hazard(db, world["e_a1"]).id])
    first = issued(world["street_regulator"], world["e_a1"])
    second = issued(world["street_regulator"], world["e_a2"])
    district = issued(world["district_regulator"], world["e_a1"])
    other_street = issued(make_user("street_regulator", street_id=street_b.id), world["e_b1"])

    assert (first.notice_unit, first.notice_year, first.notice_sequence) == (street_a.code, year, 1)
    assert first.notice_number == f"深龙{short(street_a)}约谈〔{year}〕001号"
    assert second.notice_number == f"深龙{short(street_a)}约谈〔{year}〕002号"
    assert district.notice_number == f"深龙应急约谈〔{year}〕001号"
    assert other_street.notice_number == f"深龙{short(street_b)}约谈〔{year}〕001号"
    counters = dict(db.session.execute(select(NoticeCounter.unit, NoticeCounter.last)).all())
    assert counters == {street_a.code: 1, f"interview:{street_a.code}": 2, "interview:district": 1,
                        f"interview:{street_b.code}": 1}


def test_a_new_year_starts_again_at_one_by_the_local_calendar(world, db, monkeypatch):
    regulator = world["district_regulator"]
    planned = [plan(regulator, world["e_a1"], planned_at=datetime(2031, 3, 1, 1, 30)) for _ in range(3)]
    # 23:59 on New Year's Eve in Shenzhen is 15:59 UTC; a minute later it is the next year there.
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2030, 12, 31, 15, 59))
    services.issue_notice(regulator, planned[0])
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2030, 12, 31, 16, 0))
    services.issue_notice(regulator, planned[1])
    services.issue_notice(regulator, planned[2])
    assert [i.notice_number for i in planned] == ["深龙应急约谈〔2030〕001号", "深龙应急约谈〔2031〕001号",
                                                  "深龙应急约谈〔2031〕002号"]


def test_a_failed_or_stale_issue_leaves_no_gap(world, db, monkeypatch):
    regulator = world["street_regulator"]
    first, second = plan(regulator, world["e_a1"]), plan(regulator, world["e_a1"])

    def broken(*args, **kwargs):  # fails after the counter moved and the interview was written
        raise RuntimeError("disk full")
    with monkeypatch.context() as patch:
        patch.setattr(services, "add_event", broken)
        with pytest.raises(RuntimeError):
            services.issue_notice(regulator, first)
    assert db.session.scalar(select(func.coalesce(func.max(NoticeCounter.last), 0))) == 0  # nothing used
    assert db.session.get(Interview, first.id).notice_number is None

    stale = second.lock_version
    services.reschedule(regulator, second, second.planned_at + timedelta(hours=1), "调整时间")
    from safetylist.errors import StaleObject
    with pytest.raises(StaleObject):
        services.issue_notice(regulator, second, stale)

    assert services.issue_notice(regulator, first).notice_sequence == 1
    assert services.issue_notice(regulator, second).notice_sequence == 2
    assert db.session.scalar(select(NoticeCounter.last)) == 2


def test_the_notice_unit_is_the_planners_whoever_issues_it(world, db):
    interview = plan(world["district_regulator"], world["e_a1"])
    services.issue_notice(world["street_regulator"], interview)
    assert interview.notice_number.startswith("深龙应急约谈") and interview.notice_unit == "district"


def test_two_regulators_issuing_at_once_get_consecutive_numbers_on_postgresql(app, world, db, make_user,
                                                                              monkeypatch):
    """Real concurrency: two threads with their own sessions, the unit's first notice of the year (both
    find no counter row and insert one at once), then two more with the counter row in place."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; run with TEST_DATABASE_URL for the concurrent version")
    second_regulator = make_user("street_regulator", street_id=world["street_a"].id)
    actors = [world["street_regulator"].id, second_regulator.id]
    rounds = [[plan(world["street_regulator"], world["e_a1"]).id, plan(second_regulator, world["e_a2"]).id]
              for _ in range(2)]

    real_counter, waited = rectification._locked_counter, threading.local()
    both_found_none = threading.Barrier(2)

    def racing_counter(unit, year):
        counter = real_counter(unit, year)
        if counter is None and not getattr(waited, "done", False):
            waited.done = True
            both_found_none.wait(10)  # neither inserts the counter row before the other has looked
        return counter
    monkeypatch.setattr(rectification, "_locked_counter", racing_counter)

    def issue_together(interview_ids) -> list:
        start, results = threading.Barrier(2), [None, None]

        def issue(i: int) -> None:
            from safetylist.auth.models import User
            with app.app_context():
                try:
                    actor, interview = db.session.get(User, actors[i]), db.session.get(Interview, interview_ids[i])
                    start.wait(10)
                    services.issue_notice(actor, interview)
                    results[i] = (interview.notice_sequence, interview.notice_number)
                except Exception as exc:  # reported by the assertion below
                    results[i] = exc
                finally:
                    db.session.remove()
        threads = [threading.Thread(target=issue, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        return results

    first_round = issue_together(rounds[0])
    second_round = issue_together(rounds[1])
    assert sorted(r[0] for r in first_round) == [1, 2], first_round
    assert sorted(r[0] for r in second_round) == [3, 4], second_round
    assert len({r[1] for r in first_round + second_round}) == 4
    db.session.expire_all()
    assert db.session.scalar(select(NoticeCounter.last)) == 4


def test_the_number_format_and_wording_are_data():
    settings = notice.settings()
    assert settings.digits == 3 and settings.district.prefix == "深龙应急约谈"
    unit = notice.InterviewUnit("district", "深圳市龙岗区应急管理局", settings.district.prefix)
    assert unit.number(2026, 7) == "深龙应急约谈〔2026〕007号" and unit.number(2026, 1234) == "深龙应急约谈〔2026〕1234号"
    assert unit.counter == "interview:district"


# --- the printed notice --------------------------------------------------------------------------------
def flat_text(pdf: bytes, tmp_path) -> str:
    return "".join(pdf_text(pdf, tmp_path).split())  # words wrapped across lines still read as one


@needs_poppler
def test_the_printed_notice_of_an_enterprise(world, db, tmp_path):
    enterprise, regulator = world["e_a1"], world["street_regulator"]
    accident = Accident(occurred_at=datetime(2026, 3, 2, 2, 0), enterprise_id=enterprise.id,
                        street_id=enterprise.street_id, category="machinery", injuries=1, summary="冲床压伤一名操作工手指")
    db.session.add(accident)
    db.session.commit()
    planned_at = datetime(2099, 3, 9, 1, 30)  # 09:30 Beijing time, a Monday
    interview = plan(regulator, enterprise, planned_at=planned_at, accident_ids=[accident.id])
    services.issue_notice(regulator, interview)

    pdf = notice.notice_pdf(interview)
    assert pdf.startswith(b"%PDF")
    flat = flat_text(pdf, tmp_path)
    issued_on = to_local(interview.notice_issued_at)
    for expected in ("约谈通知书", interview.notice_number, enterprise.name, enterprise.credit_code,
                     "2099年03月09日（星期一）09:30", "区应急管理局三楼会议室", "今年以来发生两起机械伤害事故",
                     "法定代表人（张三）、安全生产管理负责人", "李局长、王科长", "冲床压伤一名操作工手指",
                     rectification.unit_of_street(world["street_a"]).name, "被约谈单位签收", "盖章",
                     f"{issued_on:%Y}年{issued_on:%m}月{issued_on:%d}日", regulator.display_name.replace(" ", "")):
        assert expected in flat, expected
    fonts = pdf_fonts(pdf, tmp_path)
    assert fonts and all("+SafetyList-Hei" in row[0] and "yes" in row for row in fonts), fonts


@needs_poppler
def test_the_printed_notice_of_an_authority(world, db, tmp_path):
    regulator = world["district_regulator"]
    interview = plan(regulator, party_kind="authority", authority_name="龙岗区住房和建设局",
                     attendees_required="分管副局长、建筑工程安全科负责人")
    services.issue_notice(regulator, interview)
    flat = flat_text(notice.notice_pdf(interview), tmp_path)
    for expected in ("约谈通知书", interview.notice_number, "龙岗区住房和建设局", "分管副局长、建筑工程安全科负责人",
                     "深圳市龙岗区应急管理局"):
        assert expected in flat, expected
    assert "统一社会信用代码" not in flat
