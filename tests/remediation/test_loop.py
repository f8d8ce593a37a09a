"""The remediation loop (隐患整改闭环): every transition, who may take it, and what it leaves behind."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.remediation import escalation, services
from safetylist.remediation.models import AppendOnlyError, Hazard, HazardEvent
from safetylist.timeutil import local_today
from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)
from tests.factories import login
from tests.photos.test_photos import image_bytes


def make_hazard(db, enterprise, severity="general", days_left=5, evidence="none", created_by=None):
    """A hazard found a month ago, due `days_left` days from today (negative: overdue)."""
    today = local_today()
    hazard = Hazard(enterprise_id=enterprise.id, severity=severity, title="消防通道堵塞",
                    found_on=today - timedelta(days=30), deadline=today + timedelta(days=days_left),
                    rectification_evidence=evidence, created_by_id=getattr(created_by, "id", None),
                    source="site_inspection")
    db.session.add(hazard)
    db.session.commit()
    return hazard


def events(db, hazard) -> list[tuple[str, str | None, str | None, int | None]]:
    rows = db.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id)
                              .order_by(HazardEvent.id)).all()
    return [(e.action, e.from_status, e.to_status, e.actor_id) for e in rows]


def test_the_whole_loop_end_to_end(world, client, library, db):
    """Grid inspection fails an item → hazard → officer submits evidence → grid worker rejects →
    officer resubmits → grid worker verifies → closed, with every step and actor on the timeline."""
    from safetylist.checklists import runs
    worker, officer, enterprise = world["grid_worker"], world["officer"], world["e_a1"]
    run = runs.start_run(worker, "site-visit", enterprise)
    [hazard] = runs.submit_run(worker, run, {"extinguishers": "fail"}).hazards
    assert hazard.source == "site_inspection" and hazard.deadline == local_today() + timedelta(days=5)

    from safetylist.remediation.notices import issue_notice
    notice = issue_notice(world["street_regulator"], enterprise, [hazard.id])
    login(client, officer)  # the enterprise reads the notice it was served
    pdf = client.get(f"/hazards/notices/{notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

    page = client.get(f"/hazards/{hazard.id}").get_data(as_text=True)
    assert "Report the rectification" in page or "报告整改" in page
    response = client.post(f"/hazards/{hazard.id}/rectification", data={
        "note": "已更换灭火器", "lock_version": hazard.lock_version,
        "photos": [(io.BytesIO(image_bytes()), "after.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(hazard)
    assert hazard.status == "rectification_submitted" and len(hazard.rectification_photos) == 1
    assert client.get(f"/photos/{hazard.rectification_photos[0]}").status_code == 200

    client.post("/logout")
    login(client, worker)
    assert client.post(f"/hazards/{hazard.id}/reject", data={"comment": "", "lock_version": hazard.lock_version}
                       ).status_code == 400  # a rejection says why
    assert client.post(f"/hazards/{hazard.id}/reject", data={"comment": "照片看不清有效期",
                                                              "lock_version": hazard.lock_version}).status_code == 302
    db.session.refresh(hazard)
    assert hazard.status == "open"

    client.post("/logout")
    login(client, officer)
    client.post(f"/hazards/{hazard.id}/rectification", data={
        "note": "补拍有效期标签", "lock_version": hazard.lock_version,
        "photos": [(io.BytesIO(image_bytes()), "label.jpg")]}, content_type="multipart/form-data")
    client.post("/logout")
    login(client, worker)
    db.session.refresh(hazard)
    assert hazard.status == "rectification_submitted"
    assert client.post(f"/hazards/{hazard.id}/verify", data={"lock_version": hazard.lock_version}
                       ).status_code == 302
    db.session.refresh(hazard)
    assert hazard.status == "closed" and hazard.closed_by_id == worker.id

    assert events(db, hazard) == [
        ("opened", None, "open", worker.id),
        ("notice_issued", "open", "open", world["street_regulator"].id),
        ("rectification_submitted", "open", "rectification_submitted", officer.id),
        ("rejected", "rectification_submitted", "open", worker.id),
        ("rectification_submitted", "open", "rectification_submitted", officer.id),
        ("verified", "rectification_submitted", "closed", worker.id),
    ]
    timeline = client.get(f"/hazards/{hazard.id}").get_data(as_text=True)
    assert "照片看不清有效期" in timeline and officer.display_name in timeline and worker.display_name in timeline


def test_a_major_hazard_is_closed_by_a_regulator_only(world, db):
    hazard = make_hazard(db, world["e_a1"], severity="major")
    services.submit_rectification(world["officer"], hazard, "已整改")
    with force_locale("en"), pytest.raises(PermissionDenied) as refused:
        services.verify(world["grid_worker"], hazard)
    assert "regulator" in str(refused.value)
    assert hazard.status == "rectification_submitted"
    services.verify(world["street_regulator"], hazard, "现场复核合格")
    assert hazard.status == "closed"


@pytest.mark.parametrize("role, allowed", [
    ("officer", {"submit_rectification", "temporary_measures", "request_extension"}),
    ("grid_worker", {"temporary_measures"}),
    ("street_regulator", {"temporary_measures", "withdraw"}),
    ("district_regulator", {"temporary_measures", "withdraw"}),
    ("admin", set()),
    ("agency_staff", set()),
])
def test_what_each_role_may_do_to_an_open_general_hazard(world, db, role, allowed):
    assert services.allowed_actions(world[role], make_hazard(db, world["e_a1"])) == allowed


def test_nobody_outside_the_scope_may_act_or_see(world, client, db, make_user):
    hazard = make_hazard(db, world["e_b1"])  # street B
    for role in ("officer", "grid_worker", "street_regulator"):
        assert services.allowed_actions(world[role], hazard) == set()
        with pytest.raises(PermissionDenied):
            services.withdraw(world[role], hazard, "误报")
        login(client, world[role])
        assert client.get(f"/hazards/{hazard.id}").status_code == 404
        assert client.post(f"/hazards/{hazard.id}/withdraw", data={"comment": "误报"}).status_code == 404
        client.post("/logout")
    assert hazard.status == "open" and events(db, hazard) == []


def test_illegal_transitions_are_refused_and_change_nothing(world, db):
    hazard = make_hazard(db, world["e_a1"])
    with force_locale("en"), pytest.raises(PermissionDenied) as refused:
        services.verify(world["street_regulator"], hazard)  # nothing submitted yet
    assert "submitted rectification" in str(refused.value)
    services.withdraw(world["street_regulator"], hazard, "录入错误")
    for act in (lambda: services.submit_rectification(world["officer"], hazard, "x"),
                lambda: services.reject(world["street_regulator"], hazard, "x"),
                lambda: services.record_temporary_measures(world["officer"], hazard, "x")):
        with pytest.raises(PermissionDenied):
            act()
    assert hazard.status == "withdrawn" and [e[0] for e in events(db, hazard)] == ["withdrawn"]


def test_required_evidence_and_reasons(world, db):
    hazard = make_hazard(db, world["e_a1"], evidence="photo")
    with pytest.raises(ValidationFailed) as missing:
        services.submit_rectification(world["officer"], hazard, "已整改")
    assert "photos" in missing.value.errors
    with pytest.raises(ValidationFailed) as foreign:
        services.submit_rectification(world["officer"], hazard, "已整改", ["somebody-elses-photo"])
    assert "photos" in foreign.value.errors
    with pytest.raises(ValidationFailed) as empty:
        services.submit_rectification(world["officer"], hazard, "  ")
    assert "note" in empty.value.errors
    assert hazard.status == "open" and events(db, hazard) == []


def test_a_grid_worker_withdraws_only_what_they_opened(world, db):
    theirs = make_hazard(db, world["e_a1"], created_by=world["grid_worker"])
    others = make_hazard(db, world["e_a1"], created_by=world["officer"])
    assert "withdraw" in services.allowed_actions(world["grid_worker"], theirs)
    assert "withdraw" not in services.allowed_actions(world["grid_worker"], others)


def test_extensions_are_requested_and_decided(world, db):
    hazard = make_hazard(db, world["e_a1"], days_left=3)
    old = hazard.deadline
    with pytest.raises(ValidationFailed):
        services.request_extension(world["officer"], hazard, old, "材料未到")  # not later
    request = services.request_extension(world["officer"], hazard, old + timedelta(days=10), "材料未到")
    assert "request_extension" not in services.allowed_actions(world["officer"], hazard)  # one at a time
    with pytest.raises(PermissionDenied):
        services.decide_extension(world["grid_worker"], hazard, True)
    with pytest.raises(ValidationFailed):
        services.decide_extension(world["street_regulator"], hazard, False, "")  # a refusal says why
    services.decide_extension(world["street_regulator"], hazard, True)
    db.session.refresh(request)
    assert request.status == "approved" and hazard.deadline == old + timedelta(days=10)
    services.request_extension(world["officer"], hazard, old + timedelta(days=20), "再延")
    refused = services.decide_extension(world["street_regulator"], hazard, False, "不予延期")
    assert refused.status == "refused" and hazard.deadline == old + timedelta(days=10)
    assert [e[0] for e in events(db, hazard)] == ["extension_requested", "extension_approved",
                                                  "extension_requested", "extension_refused"]


def test_temporary_measures_and_supervision(world, db, make_user):
    hazard = make_hazard(db, world["e_a1"], severity="major")
    services.record_temporary_measures(world["officer"], hazard, "设置警戒区，停止使用")
    assert hazard.temporary_measures == "设置警戒区，停止使用"
    with pytest.raises(ValidationFailed):  # a supervisor from another unit
        services.supervise(world["street_regulator"], hazard, world["district_regulator"])
    services.supervise(world["street_regulator"], hazard, world["street_regulator"])
    assert (hazard.supervision_level, hazard.supervisor_id) == ("street", world["street_regulator"].id)
    services.supervise(world["district_regulator"], hazard, world["district_regulator"])  # the district takes over
    assert hazard.supervision_level == "district"
    assert "supervise" not in services.allowed_actions(world["street_regulator"], hazard)
    general = make_hazard(db, world["e_a1"])
    assert "supervise" not in services.allowed_actions(world["district_regulator"], general)


def test_a_stale_form_is_refused_and_says_what_changed(world, client, db):
    hazard = make_hazard(db, world["e_a1"])
    services.submit_rectification(world["officer"], hazard, "已整改")
    stale = hazard.lock_version - 1
    with pytest.raises(StaleObject) as caught:
        services.verify(world["street_regulator"], hazard, expected_version=stale)
    assert services.status_label("rectification_submitted") in str(caught.value)
    login(client, world["street_regulator"])
    response = client.post(f"/hazards/{hazard.id}/verify", data={"lock_version": stale})
    assert response.status_code == 409
    db.session.refresh(hazard)
    assert hazard.status == "rectification_submitted"


def test_the_timeline_is_append_only(world, db):
    hazard = make_hazard(db, world["e_a1"])
    services.record_temporary_measures(world["officer"], hazard, "围挡")
    entry = db.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id)).one()
    entry.comment = "改写"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_escalation_rules_are_data(world, db):
    today = local_today()
    assert {rule.id for rule in escalation.rules()} >= {"general-overdue-7", "major-overdue"}
    general_8 = make_hazard(db, world["e_a1"], days_left=-8)
    general_6 = make_hazard(db, world["e_a1"], days_left=-6)
    major_1 = make_hazard(db, world["e_a1"], severity="major", days_left=-1)
    assert [r.id for r in escalation.escalations(general_8, today)] == ["general-overdue-7"]
    assert escalation.escalations(general_6, today) == []
    assert escalation.suggests_interview(major_1, today)
    found = set(db.session.scalars(select(Hazard.id).where(escalation.escalated(today))))
    assert found == {general_8.id, major_1.id}  # SQL and Python agree
    assert set(db.session.scalars(select(Hazard.id).where(escalation.escalated(today, to="district")))) == {major_1.id}
