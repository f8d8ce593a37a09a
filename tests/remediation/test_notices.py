"""Rectification notices (责令限期整改通知书): who may issue them, gap-free numbering per unit and year
(also when two regulators issue at once, on PostgreSQL), the timeline, the pages and the printed PDF."""
from __future__ import annotations

import shutil
import subprocess
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from safetylist.audit.models import AuditEntry
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.remediation import notices
from safetylist.remediation.models import Hazard, HazardEvent, NoticeCounter, RectificationNotice
from safetylist.timeutil import local_today

needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")


def make_hazard(db, enterprise, title="消防通道堵塞", severity="general", days_left=10, status="open",
                basis="《中华人民共和国消防法》第二十八条"):
    today = local_today()
    hazard = Hazard(enterprise_id=enterprise.id, severity=severity, title=title, basis=basis, status=status,
                    found_on=today - timedelta(days=30), deadline=today + timedelta(days=days_left),
                    source="site_inspection")
    db.session.add(hazard)
    db.session.commit()
    return hazard


def short(street) -> str:
    return street.name_zh.removesuffix("街道")


def issue_now(actor, enterprise, hazards, deadline=None):
    return notices.issue_notice(actor, enterprise, [h.id for h in hazards], deadline)


def at_local(monkeypatch, moment: datetime) -> None:
    """Issue as if the (naive UTC) clock read `moment`."""
    monkeypatch.setattr(notices, "utcnow", lambda: moment)


# --- numbering -----------------------------------------------------------------------------------------
def test_each_unit_numbers_its_own_notices_per_year(world, db, make_user):
    street_a, street_b = world["street_a"], world["street_b"]
    year = local_today().year
    street_b_regulator = make_user("street_regulator", street_id=street_b.id)
    h_a1, h_a2, h_b1 = (make_hazard(db, world[key]) for key in ("e_a1", "e_a2", "e_b1"))

    first = issue_now(world["street_regulator"], world["e_a1"], [h_a1])
    second = issue_now(world["street_regulator"], world["e_a2"], [h_a2])
    district = issue_now(world["district_regulator"], world["e_a1"], [h_a1])
    other_street = issue_now(street_b_regulator, world["e_b1"], [h_b1])

    assert (first.unit, first.year, first.sequence) == (street_a.code, year, 1)
    assert first.number == f"深龙{short(street_a)}责改〔{year}〕0001号"
    assert second.number == f"深龙{short(street_a)}责改〔{year}〕0002号"
    assert (district.unit, district.number) == ("district", f"深龙应急责改〔{year}〕0001号")
    assert other_street.number == f"深龙{short(street_b)}责改〔{year}〕0001号"


def test_a_new_year_starts_again_at_one_by_the_local_calendar(world, db, monkeypatch):
    regulator, enterprise = world["district_regulator"], world["e_a1"]
    hazard = make_hazard(db, enterprise)
    # 23:59 on New Year's Eve in Shenzhen is 15:59 UTC; a minute later it is the next year there.
    at_local(monkeypatch, datetime(2030, 12, 31, 15, 59))
    last_of_2030 = issue_now(regulator, enterprise, [hazard], date(2031, 1, 31))
    at_local(monkeypatch, datetime(2030, 12, 31, 16, 0))
    first_of_2031 = issue_now(regulator, enterprise, [hazard], date(2031, 1, 31))
    second_of_2031 = issue_now(regulator, enterprise, [hazard], date(2031, 1, 31))

    assert last_of_2030.number == "深龙应急责改〔2030〕0001号"
    assert (first_of_2031.year, first_of_2031.sequence) == (2031, 1)
    assert second_of_2031.number == "深龙应急责改〔2031〕0002号"


def test_a_refused_or_failed_issue_leaves_no_gap(world, db, monkeypatch):
    regulator, enterprise = world["street_regulator"], world["e_a1"]
    open_one = make_hazard(db, enterprise)
    closed = make_hazard(db, enterprise, title="已销号隐患", status="closed")
    assert issue_now(regulator, enterprise, [open_one]).sequence == 1

    with pytest.raises(ValidationFailed):
        issue_now(regulator, enterprise, [open_one, closed])

    def broken(*args, **kwargs):  # fails after the counter moved and the notice was inserted
        raise RuntimeError("disk full")
    with monkeypatch.context() as patch:
        patch.setattr(notices, "add_event", broken)
        with pytest.raises(RuntimeError):
            issue_now(regulator, enterprise, [open_one])

    assert issue_now(regulator, enterprise, [open_one]).sequence == 2
    assert db.session.scalars(select(RectificationNotice.sequence).order_by(RectificationNotice.sequence)).all() \
        == [1, 2]
    assert db.session.scalar(select(NoticeCounter.last)) == 2


def test_two_regulators_issuing_at_once_get_consecutive_numbers_on_postgresql(app, world, db, make_user,
                                                                              monkeypatch):
    """Real concurrency: two threads with their own sessions, the first notice of the year (both find no
    counter row and insert one at once) and then two more with the counter row in place."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; run with TEST_DATABASE_URL for the concurrent version")
    second_regulator = make_user("street_regulator", street_id=world["street_a"].id)
    actors = [world["street_regulator"].id, second_regulator.id]
    enterprises = [world["e_a1"].id, world["e_a2"].id]
    hazards = [make_hazard(db, world["e_a1"]).id, make_hazard(db, world["e_a2"]).id]

    real_counter, waited = notices._locked_counter, threading.local()
    both_found_none = threading.Barrier(2)

    def racing_counter(unit, year):
        counter = real_counter(unit, year)
        if counter is None and not getattr(waited, "done", False):
            waited.done = True
            both_found_none.wait(10)  # neither inserts the counter row before the other has looked
        return counter
    monkeypatch.setattr(notices, "_locked_counter", racing_counter)

    def issue_together() -> list:
        start, results = threading.Barrier(2), [None, None]

        def issue(i: int) -> None:
            from safetylist.auth.models import User
            from safetylist.registry.models import Enterprise
            with app.app_context():
                try:
                    actor, enterprise = db.session.get(User, actors[i]), db.session.get(Enterprise, enterprises[i])
                    start.wait(10)
                    notice = notices.issue_notice(actor, enterprise, [hazards[i]])
                    results[i] = (notice.sequence, notice.number)
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

    first_round = issue_together()
    second_round = issue_together()
    assert sorted(r[0] for r in first_round) == [1, 2], first_round
    assert sorted(r[0] for r in second_round) == [3, 4], second_round
    assert len({r[1] for r in first_round + second_round}) == 4
    db.session.expire_all()
    assert db.session.scalar(select(NoticeCounter.last)) == 4
    assert db.session.scalar(select(func.count()).select_from(RectificationNotice)) == 4


# --- who may issue, for what ---------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["grid_worker", "officer", "admin", "agency_staff"])
def test_only_street_and_district_regulators_issue_notices(world, db, role):
    hazard = make_hazard(db, world["e_a1"])
    with pytest.raises(PermissionDenied):
        issue_now(world[role], world["e_a1"], [hazard])
    assert db.session.scalar(select(func.count()).select_from(NoticeCounter)) == 0


def test_a_street_regulator_cannot_issue_for_another_streets_enterprise(world, db, make_user, client, login_as):
    hazard = make_hazard(db, world["e_b1"])
    with pytest.raises(PermissionDenied):
        issue_now(world["street_regulator"], world["e_b1"], [hazard])
    login_as(world["street_regulator"])
    assert client.get(f"/hazards/notices/new?enterprise_id={world['e_b1'].id}").status_code == 404
    assert client.post("/hazards/notices/new", data={"enterprise_id": world["e_b1"].id,
                                                     "hazard_id": hazard.id}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(RectificationNotice)) == 0


def test_hazards_must_be_active_and_the_enterprises_own(world, db):
    regulator, enterprise = world["district_regulator"], world["e_a1"]
    own = make_hazard(db, enterprise)
    for status in ("closed", "withdrawn"):
        finished = make_hazard(db, enterprise, title=f"{status}隐患", status=status)
        with pytest.raises(ValidationFailed) as refused:
            issue_now(regulator, enterprise, [own, finished])
        assert f"{status}隐患" in str(refused.value)
    with pytest.raises(ValidationFailed):
        issue_now(regulator, enterprise, [own, make_hazard(db, world["e_a2"])])  # another enterprise's
    with pytest.raises(ValidationFailed):
        issue_now(regulator, enterprise, [])
    assert db.session.scalar(select(func.count()).select_from(RectificationNotice)) == 0


def test_the_deadline_defaults_to_the_latest_hazard_deadline_and_is_never_past(world, db):
    regulator, enterprise = world["street_regulator"], world["e_a1"]
    today = local_today()
    soon, later = make_hazard(db, enterprise, days_left=3), make_hazard(db, enterprise, days_left=20)
    assert issue_now(regulator, enterprise, [soon, later]).deadline == today + timedelta(days=20)
    assert issue_now(regulator, enterprise, [soon], today + timedelta(days=7)).deadline == today + timedelta(days=7)
    with pytest.raises(ValidationFailed) as refused:
        issue_now(regulator, enterprise, [soon], today - timedelta(days=1))
    assert "deadline" in refused.value.errors
    overdue = make_hazard(db, enterprise, days_left=-2)
    with pytest.raises(ValidationFailed) as refused:
        issue_now(regulator, enterprise, [overdue])  # its own deadline has passed: the notice needs one
    assert "deadline" in refused.value.errors
    assert issue_now(regulator, enterprise, [overdue], today).deadline == today


def test_each_hazard_gets_a_timeline_entry_and_keeps_its_state(world, db):
    from safetylist.remediation import services
    regulator, enterprise = world["street_regulator"], world["e_a1"]
    open_one = make_hazard(db, enterprise)
    submitted = make_hazard(db, enterprise, title="灭火器过期")
    services.submit_rectification(world["officer"], submitted, "已更换")
    version = submitted.lock_version

    notice = issue_now(regulator, enterprise, [open_one, submitted])

    for hazard, status in ((open_one, "open"), (submitted, "rectification_submitted")):
        db.session.refresh(hazard)
        entry = db.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id)
                                   .order_by(HazardEvent.id.desc())).first()
        assert (entry.action, entry.from_status, entry.to_status, entry.actor_id) == \
            ("notice_issued", status, status, regulator.id)
        assert entry.details == {"notice": notice.number}
        assert hazard.status == status
    assert submitted.lock_version == version  # the enterprise's pending work is not disturbed
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "notice_issued")).one()
    assert (audit.object_id, audit.details["number"]) == (notice.id, notice.number)
    assert [h.id for h in notice.hazards] == sorted([open_one.id, submitted.id])


# --- the pages -----------------------------------------------------------------------------------------
def test_issuing_a_notice_through_the_pages(world, db, client, login_as):
    enterprise = world["e_a1"]
    chosen = make_hazard(db, enterprise, title="配电箱无漏电保护")
    left_out = make_hazard(db, enterprise, title="安全出口上锁")
    make_hazard(db, enterprise, title="已销号隐患", status="closed")
    login_as(world["street_regulator"])

    detail = client.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert f"/hazards/notices/new?enterprise_id={enterprise.id}" in detail
    form = client.get(f"/hazards/notices/new?enterprise_id={enterprise.id}")
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and "配电箱无漏电保护" in page and "安全出口上锁" in page
    assert "已销号隐患" not in page

    nothing = client.post("/hazards/notices/new", data={"enterprise_id": enterprise.id})
    assert nothing.status_code == 400
    past = client.post("/hazards/notices/new", data={"enterprise_id": enterprise.id, "hazard_id": chosen.id,
                                                     "deadline": (local_today() - timedelta(days=1)).isoformat()})
    assert past.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(RectificationNotice)) == 0

    deadline = local_today() + timedelta(days=15)
    issued = client.post("/hazards/notices/new", data={"enterprise_id": enterprise.id, "hazard_id": chosen.id,
                                                       "deadline": deadline.isoformat()})
    assert issued.status_code == 302 and issued.headers["Location"].endswith("/hazards/notices/")
    notice = db.session.scalars(select(RectificationNotice)).one()
    assert [h.id for h in notice.hazards] == [chosen.id] and notice.deadline == deadline
    assert left_out.id not in [h.id for h in notice.hazards]

    listing = client.get("/hazards/notices/").get_data(as_text=True)
    assert notice.number in listing and enterprise.name in listing
    assert f"/hazards/notices/{notice.id}.pdf" in listing
    again = client.get(f"/hazards/notices/new?enterprise_id={enterprise.id}").get_data(as_text=True)
    assert notice.number in again  # the form says which hazards already have a notice
    pdf = client.get(f"/hazards/notices/{notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_grid_workers_and_officers_see_notices_but_do_not_issue_them(world, db, client, login_as, make_user):
    enterprise = world["e_a1"]
    notice = issue_now(world["street_regulator"], enterprise, [make_hazard(db, enterprise)])
    other_street = issue_now(world["district_regulator"], world["e_b1"], [make_hazard(db, world["e_b1"])])

    for role in ("grid_worker", "officer"):
        login_as(world[role])
        assert "/hazards/notices/new" not in client.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
        assert client.get(f"/hazards/notices/new?enterprise_id={enterprise.id}").status_code == 403
        listing = client.get("/hazards/notices/").get_data(as_text=True)
        assert notice.number in listing and other_street.number not in listing
        assert client.get(f"/hazards/notices/{notice.id}.pdf").status_code == 200
        assert client.get(f"/hazards/notices/{other_street.id}.pdf").status_code == 404

    login_as(make_user("street_regulator", street_id=world["street_b"].id))
    assert client.get(f"/hazards/notices/{notice.id}.pdf").status_code == 404
    assert client.get(f"/hazards/notices/{other_street.id}.pdf").status_code == 200


# --- the printed notice --------------------------------------------------------------------------------
@needs_pdftotext
def test_the_printed_notice(world, db, tmp_path):
    enterprise = world["e_a1"]
    first = make_hazard(db, enterprise, title="配电箱无漏电保护", basis="《建设工程施工现场供用电安全规范》")
    second = make_hazard(db, enterprise, title="有限空间作业未审批", severity="major",
                         basis="《工贸企业有限空间作业安全规定》第十条")
    notice = issue_now(world["street_regulator"], enterprise, [first, second], date(2099, 3, 9))

    pdf = notices.notice_pdf(notice)
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())  # words wrapped across lines still read as one
    for expected in ("责令限期整改通知书", notice.number, enterprise.name, enterprise.credit_code,
                     enterprise.address, "经检查，你单位存在下列事故隐患：", "1配电箱无漏电保护",
                     "2有限空间作业未审批", "一般事故隐患", "重大事故隐患", "《建设工程施工现场供用电安全规范》",
                     "《工贸企业有限空间作业安全规定》第十条", "限于2099年03月09日前整改完毕", "整改情况书面报告",
                     notices.unit_of_street(world["street_a"]).name, "执法人员（签字）", "被检查单位负责人签收",
                     "盖章", world["street_regulator"].display_name.replace(" ", "")):
        assert expected in flat, expected
    issued = notice.issued_at + timedelta(hours=8)  # printed in Beijing time
    assert f"{issued:%Y}年{issued:%m}月{issued:%d}日" in flat
