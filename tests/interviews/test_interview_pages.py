"""The interview pages: the agenda with its filters, planning, the interview page with the steps the
user may take, every step through HTTP, the notice PDF, and what each role sees."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from safetylist.interviews import services
from safetylist.interviews.models import Interview, InterviewEvent
from safetylist.remediation.models import Hazard
from safetylist.timeutil import local_today, to_local, utcnow
from tests.interviews.test_lifecycle import clock, commitment, hold, plan  # noqa: F401  (clock: fixture)
from tests.photos.test_photos import image_bytes


def local_input(moment) -> str:
    """A stored time as <input type="datetime-local"> sends it (Beijing time)."""
    return f"{to_local(moment):%Y-%m-%dT%H:%M}"


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the agenda ------------------------------------------------------------------------------------
def test_the_agenda_groups_upcoming_interviews_by_day(world, db, client, login_as):
    regulator = world["street_regulator"]
    later = plan(regulator, world["e_a2"], in_days=9)
    soon = plan(regulator, world["e_a1"], in_days=2)
    same_day = plan(regulator, world["e_a2"], planned_at=soon.planned_at + timedelta(minutes=30))
    done = plan(regulator, world["e_a1"], in_days=3)
    services.cancel(regulator, done, "企业已注销")
    login_as(regulator)

    page = client.get("/interviews/").get_data(as_text=True)
    days = re.findall(r'<h2 id="day-([\d-]+)">', page)
    assert days == [to_local(soon.planned_at).date().isoformat(), to_local(later.planned_at).date().isoformat()]
    links = re.findall(r'href="/interviews/(\d+)"', page)
    assert links == [str(soon.id), str(same_day.id), str(later.id)]  # soonest first; cancelled not upcoming
    assert world["e_a1"].name in page and "区应急管理局三楼会议室" in page

    everything = client.get("/interviews/?view=all").get_data(as_text=True)
    assert f'href="/interviews/{done.id}"' in everything
    cancelled = client.get("/interviews/?status=cancelled").get_data(as_text=True)
    assert re.findall(r'href="/interviews/(\d+)"', cancelled) == [str(done.id)]
    month = to_local(later.planned_at).strftime("%Y-%m")
    in_month = client.get(f"/interviews/?month={month}").get_data(as_text=True)
    assert f'href="/interviews/{later.id}"' in in_month
    other_month = (to_local(later.planned_at).replace(day=1) - timedelta(days=40)).strftime("%Y-%m")
    elsewhere = client.get(f"/interviews/?month={other_month}").get_data(as_text=True)
    assert not re.findall(r'href="/interviews/\d+"', elsewhere)
    for bad in ("view=soon", "status=done", "month=2026-13", "street_id=x"):
        assert client.get(f"/interviews/?{bad}").status_code == 400, bad


def test_past_interviews_stay_reachable_and_the_agenda_pages(world, db, client, login_as, app, monkeypatch):
    regulator = world["district_regulator"]
    interviews = [plan(regulator, world["e_b1"], in_days=days) for days in (1, 2, 3)]
    past = plan(regulator, world["e_a1"], in_days=1)
    db.session.execute(Interview.__table__.update().where(Interview.id == past.id)
                       .values(planned_at=utcnow() - timedelta(days=40), status="closed"))
    db.session.commit()
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    login_as(regulator)
    first = client.get("/interviews/").get_data(as_text=True)
    second = client.get("/interviews/?page=2").get_data(as_text=True)
    shown = re.findall(r'href="/interviews/(\d+)"', first) + re.findall(r'href="/interviews/(\d+)"', second)
    assert shown == [str(i.id) for i in interviews] and 'rel="next"' in first
    old = client.get("/interviews/?view=past").get_data(as_text=True)
    assert re.findall(r'href="/interviews/(\d+)"', old) == [str(past.id)]


def test_a_district_regulator_filters_by_street(world, db, client, login_as):
    regulator = world["district_regulator"]
    in_a, in_b = plan(regulator, world["e_a1"]), plan(regulator, world["e_b1"])
    login_as(regulator)
    page = client.get(f"/interviews/?street_id={world['street_b'].id}").get_data(as_text=True)
    assert f'href="/interviews/{in_b.id}"' in page and f'href="/interviews/{in_a.id}"' not in page


ROLES_SEEING = {  # which of (e_a1's, e_a2's, e_b1's) interviews each role sees
    "officer": (True, False, False), "grid_worker": (True, False, False),
    "street_regulator": (True, True, False), "district_regulator": (True, True, True),
    "admin": (True, True, True), "agency_staff": (False, False, False),
}


@pytest.mark.parametrize("role", list(ROLES_SEEING))
def test_each_role_sees_the_interviews_of_its_area(world, db, client, login_as, role):
    interviews = [plan(world["district_regulator"], world[key]) for key in ("e_a1", "e_a2", "e_b1")]
    for interview in interviews:
        services.issue_notice(world["district_regulator"], interview)
    login_as(world[role])
    listing = client.get("/interviews/")
    menu = client.get("/").get_data(as_text=True)
    if role == "agency_staff":
        assert listing.status_code == 403 and 'href="/interviews/"' not in menu
    else:
        assert listing.status_code == 200 and 'href="/interviews/"' in menu
    for interview, sees in zip(interviews, ROLES_SEEING[role]):
        assert (f'href="/interviews/{interview.id}"' in listing.get_data(as_text=True)) == sees
        assert client.get(f"/interviews/{interview.id}").status_code == (200 if sees else 404)
        assert client.get(f"/interviews/{interview.id}/notice.pdf").status_code == (200 if sees else 404)


# --- planning --------------------------------------------------------------------------------------
def test_planning_an_interview_of_an_enterprise(world, db, client, login_as):
    enterprise = world["e_a1"]
    login_as(world["street_regulator"])
    choose = client.get(f"/interviews/new?q={enterprise.name[:2]}").get_data(as_text=True)
    assert f"/interviews/new?enterprise_id={enterprise.id}" in choose
    assert world["e_b1"].name not in client.get("/interviews/new?q=有限公司").get_data(as_text=True)

    form = client.get(f"/interviews/new?enterprise_id={enterprise.id}").get_data(as_text=True)
    assert "法定代表人（张三）、安全生产管理负责人" in form and "应急管理办公室" in form  # the defaults

    refused = client.post("/interviews/new", data={"enterprise_id": enterprise.id, "party_kind": "enterprise",
                                                   "planned_at": "2020-01-01T09:00", "place": "", "officials": "",
                                                   "reasons": ""})
    assert refused.status_code == 400 and count(db, Interview) == 0
    page = refused.get_data(as_text=True)
    assert "The interview must be planned for a time still to come." in page or "时间" in page

    when = (local_today() + timedelta(days=5)).isoformat() + "T14:30"
    created = client.post("/interviews/new", data={
        "enterprise_id": enterprise.id, "party_kind": "enterprise", "planned_at": when, "place": "街道办二楼会议室",
        "interviewing_unit": "平湖街道应急管理办公室", "officials": "王主任", "attendees_required": "法定代表人张三",
        "reasons": "一年内两起事故"})
    interview = db.session.scalars(select(Interview)).one()
    assert created.status_code == 302 and created.headers["Location"].endswith(f"/interviews/{interview.id}")
    assert f"{to_local(interview.planned_at):%Y-%m-%dT%H:%M}" == when  # entered in Beijing time, kept in UTC
    assert interview.planned_at == to_local(interview.planned_at).replace(tzinfo=None) - timedelta(hours=8)
    assert (interview.attendees_required, interview.interviewing_unit) == ("法定代表人张三", "平湖街道应急管理办公室")


def test_planning_an_interview_of_an_authority(world, db, client, login_as):
    login_as(world["district_regulator"])
    assert "party=authority" in client.get("/interviews/new").get_data(as_text=True)
    form = client.get("/interviews/new?party=authority").get_data(as_text=True)
    assert 'name="authority_name"' in form and 'name="street_id"' in form
    when = (local_today() + timedelta(days=3)).isoformat() + "T10:00"
    response = client.post("/interviews/new", data={
        "party_kind": "authority", "authority_name": "龙岗区交通运输局", "street_id": "", "planned_at": when,
        "place": "区应急管理局", "officials": "李局长", "attendees_required": "分管副局长", "reasons": "道路运输事故多发"})
    assert response.status_code == 302
    interview = db.session.scalars(select(Interview)).one()
    assert (interview.party_kind, interview.authority_name, interview.street_id) == ("authority", "龙岗区交通运输局", None)


@pytest.mark.parametrize("role", ["officer", "grid_worker", "agency_staff"])
def test_readers_do_not_plan(world, db, client, login_as, role):
    login_as(world[role])
    assert client.get(f"/interviews/new?enterprise_id={world['e_a1'].id}").status_code == 403
    assert client.post("/interviews/new", data={"enterprise_id": world["e_a1"].id}).status_code == 403
    assert count(db, Interview) == 0


def test_an_enterprise_outside_the_area_is_not_found(world, db, client, login_as):
    login_as(world["street_regulator"])
    assert client.get(f"/interviews/new?enterprise_id={world['e_b1'].id}").status_code == 404
    when = (local_today() + timedelta(days=3)).isoformat() + "T10:00"
    assert client.post("/interviews/new", data={
        "enterprise_id": world["e_b1"].id, "party_kind": "enterprise", "planned_at": when, "place": "x",
        "officials": "x", "reasons": "x"}).status_code == 404
    assert count(db, Interview) == 0


# --- the interview page and its steps ----------------------------------------------------------------
def forms_on(page: str) -> set[str]:
    return set(re.findall(r'action="/interviews/\d+/([a-z]+)"', page))


def test_the_page_offers_only_the_next_allowed_steps(world, db, client, login_as, clock):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    login_as(regulator)
    assert forms_on(client.get(f"/interviews/{interview.id}").get_data(as_text=True)) == \
        {"notice", "reschedule", "cancel"}
    services.issue_notice(regulator, interview)
    clock(interview.planned_at)
    assert forms_on(client.get(f"/interviews/{interview.id}").get_data(as_text=True)) == \
        {"held", "reschedule", "cancel"}
    hold(regulator, interview, clock)
    assert forms_on(client.get(f"/interviews/{interview.id}").get_data(as_text=True)) == {"commitments", "supplement"}
    services.record_commitments(regulator, interview, [commitment()])
    assert forms_on(client.get(f"/interviews/{interview.id}").get_data(as_text=True)) == \
        {"commitments", "supplement", "close"}
    for role in ("officer", "grid_worker"):
        login_as(world[role])
        page = client.get(f"/interviews/{interview.id}")
        assert page.status_code == 200 and forms_on(page.get_data(as_text=True)) == set()


def test_the_whole_interview_through_the_pages(world, db, client, login_as, clock):
    regulator, officer, enterprise = world["street_regulator"], world["officer"], world["e_a1"]
    interview = plan(regulator, enterprise)
    login_as(regulator)
    url = f"/interviews/{interview.id}"

    assert client.get(f"{url}/notice.pdf").status_code == 404  # none issued yet
    issued = client.post(f"{url}/notice", data={"lock_version": interview.lock_version})
    assert issued.status_code == 302
    db.session.refresh(interview)
    assert interview.notice_number in client.get(url).get_data(as_text=True)
    pdf = client.get(f"{url}/notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "no-store" in pdf.headers["Cache-Control"]

    clock(interview.planned_at + timedelta(hours=2))
    missing = client.post(f"{url}/held", data={"lock_version": interview.lock_version,
                                               "held_at": local_input(interview.planned_at), "attendees": "",
                                               "minutes": "", "_action": "held"})
    assert missing.status_code == 400 and 'aria-invalid="true"' in missing.get_data(as_text=True)
    held = client.post(f"{url}/held", data={
        "lock_version": interview.lock_version, "held_at": local_input(interview.planned_at),
        "attendees": "张三、李四", "minutes": "通报事故情况；企业承诺整改。",
        "photos": [(io.BytesIO(image_bytes()), "signed.jpg")]}, content_type="multipart/form-data")
    assert held.status_code == 302
    db.session.refresh(interview)
    assert interview.status == "held" and interview.held_at == interview.planned_at
    page = client.get(url).get_data(as_text=True)
    [ref] = re.findall(r'href="/photos/([\w-]+)"', page)
    assert "通报事故情况" in page

    deadline = local_today() + timedelta(days=20)
    saved = client.post(f"{url}/commitments", data={
        "lock_version": interview.lock_version,
        "commitment-0-title": "更换冲床光电保护装置", "commitment-0-person": "张三",
        "commitment-0-deadline": deadline.isoformat(), "commitment-0-severity": "general",
        "commitment-2-title": "全员安全培训", "commitment-2-person": "李四",
        "commitment-2-deadline": deadline.isoformat(), "commitment-2-severity": "major"})
    assert saved.status_code == 302
    hazards = db.session.scalars(select(Hazard).order_by(Hazard.id)).all()
    assert [(h.title, h.responsible_person, h.severity) for h in hazards] == \
        [("更换冲床光电保护装置", "张三", "general"), ("全员安全培训", "李四", "major")]
    page = client.get(url).get_data(as_text=True)
    for hazard in hazards:
        assert f'href="/hazards/{hazard.id}"' in page
    assert local_today().isoformat() in page or deadline.isoformat() in page

    # The commitments are on the remediation board, as interview hazards with their deadlines.
    board = client.get("/hazards/?source=interview").get_data(as_text=True)
    for hazard in hazards:
        assert f'href="/hazards/{hazard.id}"' in board
    assert deadline.isoformat() in board
    assert not re.findall(r'href="/hazards/\d+"', client.get("/hazards/?source=campaign").get_data(as_text=True))
    history = client.get(f"/hazards/?enterprise_id={enterprise.id}").get_data(as_text=True)
    assert all(f'href="/hazards/{h.id}"' in history for h in hazards)

    # The enterprise's officer reads it all, the signed record included, and acts on the commitments.
    login_as(officer)
    assert client.get(f"/photos/{ref}").status_code == 200
    assert client.get(url).status_code == 200 and client.get(f"{url}/notice.pdf").status_code == 200
    refused = client.post(f"{url}/close", data={"note": "已完成", "despite_open": "yes"})
    assert refused.status_code == 403 and db.session.get(Interview, interview.id).status == "follow_up"
    assert "更换冲床光电保护装置" in client.get(f"/hazards/{hazards[0].id}").get_data(as_text=True)

    login_as(regulator)
    closed = client.post(f"{url}/close", data={"lock_version": interview.lock_version, "note": "复查：两项均在整改中",
                                               "despite_open": "yes"})
    assert closed.status_code == 302
    db.session.refresh(interview)
    assert interview.status == "closed"
    page = client.get(url).get_data(as_text=True)
    assert "复查：两项均在整改中" in page and forms_on(page) == set()
    actions = db.session.scalars(select(InterviewEvent.action).order_by(InterviewEvent.id)).all()
    assert actions == ["planned", "notice_issued", "held", "commitments", "closed"]


def test_stale_illegal_and_unknown_steps_are_refused(world, db, client, login_as):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    version = interview.lock_version
    login_as(regulator)
    url = f"/interviews/{interview.id}"
    assert client.post(f"{url}/notice", data={"lock_version": version}).status_code == 302
    stale = client.post(f"{url}/cancel", data={"lock_version": version, "reason": "取消"})
    assert stale.status_code == 409
    illegal = client.post(f"{url}/notice", data={})  # already issued
    assert illegal.status_code == 409
    assert client.post(f"{url}/publish", data={}).status_code == 404
    db.session.refresh(interview)
    assert interview.status == "notice_issued" and interview.notice_sequence == 1
    assert [e.action for e in services.timeline(interview)] == ["planned", "notice_issued"]


def test_rescheduling_and_cancelling_through_the_pages(world, db, client, login_as):
    regulator = world["street_regulator"]
    interview = plan(regulator, world["e_a1"])
    services.issue_notice(regulator, interview)
    voided = interview.notice_number
    login_as(regulator)
    url = f"/interviews/{interview.id}"
    assert voided in client.get(url).get_data(as_text=True)
    new_time = interview.planned_at + timedelta(days=2)
    moved = client.post(f"{url}/reschedule", data={"lock_version": interview.lock_version,
                                                    "planned_at": local_input(new_time), "reason": "企业负责人出差"})
    assert moved.status_code == 302
    db.session.refresh(interview)
    assert (interview.status, interview.planned_at, interview.notice_number) == ("planned", new_time, None)
    assert client.get(f"{url}/notice.pdf").status_code == 404  # the void notice is no longer printed
    page = client.get(url).get_data(as_text=True)
    assert voided in page and "企业负责人出差" in page  # the timeline names the void notice

    assert client.post(f"{url}/cancel", data={"lock_version": interview.lock_version, "reason": ""}).status_code == 400
    assert client.post(f"{url}/cancel", data={"lock_version": interview.lock_version,
                                              "reason": "企业已停产"}).status_code == 302
    db.session.refresh(interview)
    assert interview.status == "cancelled" and "企业已停产" in client.get(url).get_data(as_text=True)


def test_whoever_sees_the_interview_sees_its_signed_record(world, db, client, login_as, clock, make_user):
    regulator, enterprise = world["street_regulator"], world["e_a1"]
    interview = plan(regulator, enterprise)
    services.issue_notice(regulator, interview)
    hold(regulator, interview, clock, photos=[("signed.jpg", io.BytesIO(image_bytes()))])
    ref = services.timeline(interview)[-1].details["photos"][0]
    # The enterprise moves to street B: the interview stays street A's, and so does its record.
    enterprise.street_id, enterprise.community_id = world["street_b"].id, world["community_b"].id
    enterprise.grid_id = world["grid_b1"].id
    db.session.commit()
    for actor, status in ((regulator, 200), (world["officer"], 200), (world["district_regulator"], 200),
                          (make_user("street_regulator", street_id=world["street_b"].id), 200),
                          (world["grid_worker"], 404), (world["agency_staff"], 404)):
        login_as(actor)
        assert client.get(f"/interviews/{interview.id}").status_code == status, actor.role
        assert client.get(f"/photos/{ref}").status_code == status, actor.role
