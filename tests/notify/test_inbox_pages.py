"""Notification pages: each user's inbox (only their own), the unread count in the top bar, reading,
the settings form (with its checks and stale-version refusal), and the administrators' deliveries
and development outbox."""
from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from safetylist.audit.models import AuditEntry
from safetylist.auth.models import User
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.notify import services
from safetylist.notify.models import Delivery, Notification, OutboxMessage
from safetylist.timeutil import utcnow

PARAMS = {"title": {"zh": "灭火器过期", "en": "Expired extinguisher"}, "party": "甲一五金有限公司",
          "deadline": "2026-12-01", "days_left": 1, "days_overdue": 0, "severity": "general"}
TITLE_ZH, TITLE_EN = "隐患整改期限：灭火器过期", "Hazard rectification deadline: Expired extinguisher"
BODY_ZH = "甲一五金有限公司的隐患“灭火器过期”明天（2026-12-01）整改到期。"
BODY_EN = "The hazard “Expired extinguisher” at 甲一五金有限公司 is due for rectification tomorrow (2026-12-01)."
_subjects = itertools.count(1)


def notify(db, user, *, link=None, read=False, minutes_ago=0, params=None, stage="before-1d"):
    """A notification as the scan records it (each with its own subject, so keys never collide)."""
    created = utcnow() - timedelta(minutes=minutes_ago)
    notification = Notification(user_id=user.id, reminder="hazard-deadline", stage=stage, params=params or PARAMS,
                                subject_type="hazard", subject_id=next(_subjects), deadline="2026-12-01",
                                link=link, created_at=created, read_at=created if read else None)
    db.session.add(notification)
    db.session.commit()
    return notification


def badge(page: str) -> int | None:
    """The unread count in the top bar, or None when it is not shown."""
    found = re.search(r'id="unread-count"[^>]*>(\d+)<', page)
    return int(found.group(1)) if found else None


def english(db, *users):
    for user in users:
        user.locale = "en"
    db.session.commit()


def statements_of(client, url: str) -> list[str]:
    """The SQL one GET of `url` runs, with nothing cached in the session (tests share the requests' session)."""
    from safetylist.extensions import db
    db.session.expire_all()
    statements: list[str] = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return statements


# --- the inbox -----------------------------------------------------------------------------------
def test_inbox_speaks_chinese_by_default_and_english_after_switching(world, db, login_as):
    notify(db, world["officer"])
    client = login_as(world["officer"])
    page = client.get("/notifications/").get_data(as_text=True)
    assert TITLE_ZH in page and BODY_ZH in page
    assert TITLE_EN not in page

    client.post("/language", data={"locale": "en", "next": "/notifications/"})
    page = client.get("/notifications/").get_data(as_text=True)
    assert TITLE_EN in page and BODY_EN in page
    assert TITLE_ZH not in page and "灭火器过期" not in page


def test_inbox_shows_only_the_users_own_notifications_newest_first_and_pages(world, db, login_as, app,
                                                                             monkeypatch):
    officer, worker = world["officer"], world["grid_worker"]
    for n in range(3):
        notify(db, officer, minutes_ago=10 * n, params={**PARAMS, "title": {"zh": f"隐患{n}号", "en": f"Hazard {n}"}})
    notify(db, worker, params={**PARAMS, "title": {"zh": "别人的隐患", "en": "Someone else's"}})
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    client = login_as(officer)

    first = client.get("/notifications/").get_data(as_text=True)
    assert "别人的隐患" not in first
    assert "隐患0号" in first and "隐患1号" in first and "隐患2号" not in first
    assert first.index("隐患0号") < first.index("隐患1号")  # newest first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "隐患2号" in second and "隐患0号" not in second and "别人的隐患" not in second


def test_unread_filter_and_unread_look(world, db, login_as):
    officer = world["officer"]
    notify(db, officer, params={**PARAMS, "title": {"zh": "未读的", "en": "unread one"}})
    notify(db, officer, read=True, minutes_ago=5, params={**PARAMS, "title": {"zh": "读过的", "en": "read one"}})
    client = login_as(officer)

    everything = client.get("/notifications/").get_data(as_text=True)
    assert "未读的" in everything and "读过的" in everything
    cards = re.findall(r'<li class="card item notification( unread)?">.*?</li>', everything, re.S)
    assert cards == [" unread", ""]  # the unread one is marked, the read one is not

    unread = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "未读的" in unread and "读过的" not in unread


def test_unread_badge_shows_on_other_pages_with_one_query(world, db, login_as):
    officer = world["officer"]
    notify(db, officer)
    notify(db, officer)
    notify(db, officer, read=True)
    notify(db, world["grid_worker"])  # someone else's does not count
    client = login_as(officer)
    assert badge(client.get("/").get_data(as_text=True)) == 2

    statements = statements_of(client, "/")
    assert len([s for s in statements if "notification" in s.lower()]) == 1

    inbox = statements_of(client, "/notifications/")  # the inbox shows the count too, still counted once
    assert len([s for s in inbox if "read_at IS NULL" in s]) == 1

    other = login_as(world["street_regulator"])  # nothing unread: no badge at all
    assert badge(other.get("/").get_data(as_text=True)) is None


def test_reading_goes_to_the_link_and_lowers_the_count(world, db, login_as):
    officer = world["officer"]
    linked = notify(db, officer, link="/hazards/5")
    notify(db, officer)
    client = login_as(officer)
    assert badge(client.get("/").get_data(as_text=True)) == 2

    response = client.post(f"/notifications/{linked.id}/read")
    assert response.status_code == 302 and response.headers["Location"].endswith("/hazards/5")
    db.session.refresh(linked)
    assert linked.read_at is not None
    assert badge(client.get("/").get_data(as_text=True)) == 1

    again = client.post(f"/notifications/{linked.id}/read")  # opening it again still follows the link
    assert again.headers["Location"].endswith("/hazards/5")


@pytest.mark.parametrize("link", [None, "https://evil.example/phish", "//evil.example/x"])
def test_reading_without_a_same_site_link_returns_to_the_inbox(world, db, login_as, link):
    notification = notify(db, world["officer"], link=link)
    response = login_as(world["officer"]).post(f"/notifications/{notification.id}/read")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications/")
    db.session.refresh(notification)
    assert notification.read_at is not None


def test_mark_all_read_leaves_other_users_alone(world, db, login_as):
    officer, worker = world["officer"], world["grid_worker"]
    mine = [notify(db, officer) for _ in range(3)]
    theirs = notify(db, worker)
    client = login_as(officer)
    assert badge(client.get("/").get_data(as_text=True)) == 3

    response = client.post("/notifications/read-all")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications/")
    assert badge(client.get("/notifications/").get_data(as_text=True)) is None
    for notification in mine + [theirs]:
        db.session.refresh(notification)
    assert all(n.read_at is not None for n in mine)
    assert theirs.read_at is None


@pytest.mark.parametrize("role", ["grid_worker", "admin"])  # not even an administrator reads others' inboxes
def test_another_users_notification_is_404(world, db, login_as, role):
    notification = notify(db, world["officer"], link="/hazards/5")
    client = login_as(world[role])
    assert client.post(f"/notifications/{notification.id}/read").status_code == 404
    assert TITLE_ZH not in client.get("/notifications/").get_data(as_text=True)
    client.post("/notifications/read-all")
    db.session.refresh(notification)
    assert notification.read_at is None


def test_scope_and_services_keep_inboxes_apart(world, db):
    officer, worker = world["officer"], world["grid_worker"]
    mine, theirs = notify(db, officer), notify(db, worker)
    seen = notify(db, officer, read=True, minutes_ago=60)
    first_read = seen.read_at
    assert set(db.session.scalars(Scope(officer).notifications())) == {mine, seen}
    assert Scope(officer).get_notification(mine.id) is mine
    with pytest.raises(Exception) as refused:
        Scope(officer).get_notification(theirs.id)
    assert getattr(refused.value, "code", None) == 404
    with pytest.raises(PermissionDenied):
        services.mark_read(officer, theirs)
    assert services.unread_count(officer) == 1 and services.unread_count(worker) == 1
    assert services.mark_all_read(officer) == 1
    assert services.unread_count(officer) == 0 and services.unread_count(worker) == 1
    db.session.refresh(seen)
    assert seen.read_at == first_read  # read earlier: keeps when it was read


def test_inbox_runs_a_constant_number_of_queries(world, db, login_as):
    officer = world["officer"]
    notify(db, officer)
    client = login_as(officer)
    before = len(statements_of(client, "/notifications/"))
    for n in range(10):
        notify(db, officer, read=n % 2 == 0, link="/hazards/1")
    assert len(statements_of(client, "/notifications/")) == before


# --- settings ------------------------------------------------------------------------------------
def _version(page: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page).group(1)


def test_settings_save_address_and_channels_and_are_audited(world, db, login_as):
    officer = world["officer"]
    client = login_as(officer)
    page = client.get("/notifications/settings").get_data(as_text=True)
    response = client.post("/notifications/settings", data={
        "email": "  wang.li@qq.com ", "notify_email": "y", "version": _version(page)})  # webhook unticked
    assert response.status_code == 302
    db.session.refresh(officer)
    assert (officer.email, officer.notify_email, officer.notify_webhook) == ("wang.li@qq.com", True, False)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "notification_preferences_changed")).one()
    assert entry.actor_id == officer.id and entry.details == {"email": "wang.li@qq.com", "notify_webhook": False}

    page = client.get("/notifications/settings").get_data(as_text=True)
    assert 'value="wang.li@qq.com"' in page


@pytest.mark.parametrize("address, reason", [
    ("wang.qq.com", "An e-mail address needs an @ sign, as in name@example.com."),
    ("wang＠qq.com", "Use the half-width @ sign, not the full-width ＠."),
    ("wang@@qq.com", "An e-mail address has only one @ sign."),
    ("wang li@qq.com", "An e-mail address cannot contain spaces."),
    ("@qq.com", "Something must come before the @ sign."),
    ("wang@qq", "After the @ sign comes a domain name such as example.com."),
])
def test_a_bad_address_is_refused_with_the_reason(world, db, login_as, address, reason):
    officer = world["officer"]
    english(db, officer)
    client = login_as(officer)
    response = client.post("/notifications/settings", data={
        "email": address, "notify_email": "y", "version": officer.version})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in page and reason in page
    db.session.refresh(officer)
    assert officer.email is None


def test_email_channel_needs_an_address(world, db):
    officer = world["officer"]
    with pytest.raises(ValidationFailed) as refused:
        services.update_preferences(officer, "", True, True, officer.version)
    assert set(refused.value.errors) == {"email"}
    services.update_preferences(officer, "", False, True, officer.version)  # no address, no e-mail: fine
    assert officer.notify_email is False


def test_a_stale_settings_form_is_refused_and_then_shows_the_current_version(world, db, login_as):
    officer = world["officer"]
    english(db, officer)
    client = login_as(officer)
    opened = _version(client.get("/notifications/settings").get_data(as_text=True))
    # another tab saves first
    assert client.post("/notifications/settings", data={
        "email": "first@qq.com", "notify_email": "y", "notify_webhook": "y", "version": opened}).status_code == 302

    response = client.post("/notifications/settings", data={
        "email": "second@qq.com", "notify_email": "y", "version": opened})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Your account was changed elsewhere after you opened this page." in page
    assert 'value="second@qq.com"' in page  # the user's input is kept on the form
    db.session.refresh(officer)
    assert (officer.email, officer.notify_webhook) == ("first@qq.com", True)

    # saving again, having seen the message, goes through
    assert client.post("/notifications/settings", data={
        "email": "second@qq.com", "notify_email": "y", "version": _version(page)}).status_code == 302
    db.session.refresh(officer)
    assert (officer.email, officer.notify_webhook) == ("second@qq.com", False)


def test_a_concurrent_save_between_check_and_commit_is_detected(world, db):
    officer = world["officer"]
    loaded = officer.version
    # another request saves the account after this one loaded it (a plain UPDATE: the object keeps its version)
    db.session.execute(update(User.__table__).where(User.__table__.c.id == officer.id)
                       .values(version=User.__table__.c.version + 1))
    with pytest.raises(StaleObject):
        services.update_preferences(officer, "late@qq.com", True, True, loaded)
    db.session.refresh(officer)
    assert officer.email is None and officer.version == loaded


def test_settings_show_the_phone_and_what_this_server_sends(world, db, login_as, app, monkeypatch):
    officer = world["officer"]
    officer.phone = "13912345678"
    english(db, officer)
    client = login_as(officer)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "13912345678" in page
    assert "Reminders always arrive in your inbox in this app." in page
    assert "e-mails are kept in the development outbox" in page
    assert "This channel is off on this server" in page

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.gov.cn")
    monkeypatch.setitem(app.config, "NOTIFY_WEBHOOK_URL", "https://gateway.example.gov.cn/notify")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "This server sends e-mail." in page and "The gateway is set up on this server." in page
    assert "development outbox" not in page and "This channel is off" not in page


# --- administrators: deliveries and the outbox ---------------------------------------------------------
@pytest.fixture
def deliveries(world, db):
    officer = world["officer"]
    officer.email, officer.phone = "officer@qq.com", "13900000001"
    db.session.commit()
    made = {}
    for status, channel, error in (("failed", "email", "SMTP 550 mailbox unavailable"),
                                   ("failed", "webhook", "gateway answered 500"),
                                   ("pending", "email", "timed out, will retry"),
                                   ("sent", "email", None)):
        notification = notify(db, officer)
        delivery = Delivery(notification_id=notification.id, channel=channel, status=status,
                            attempts=6 if status == "failed" else 1, last_error=error)
        db.session.add(delivery)
        db.session.commit()
        made[(status, channel)] = delivery
    return made


def test_admin_sees_failed_deliveries_by_default_with_counts(world, db, login_as, deliveries):
    english(db, world["admin"])
    client = login_as(world["admin"])
    page = client.get("/notifications/deliveries").get_data(as_text=True)
    assert "SMTP 550 mailbox unavailable" in page and "gateway answered 500" in page
    assert "timed out, will retry" not in page
    assert "officer@qq.com" in page and "13900000001" in page and TITLE_EN in page
    tiles = dict((label, int(count)) for count, label in
                 re.findall(r'<strong>(\d+)</strong> <span class="muted">(\w+)</span>', page))
    assert tiles == {"Failed": 2, "Waiting": 1, "Sending": 0, "Sent": 1}

    pending = client.get("/notifications/deliveries?status=pending").get_data(as_text=True)
    assert "timed out, will retry" in pending and "SMTP 550" not in pending
    everything = client.get("/notifications/deliveries?status=all").get_data(as_text=True)
    assert "timed out, will retry" in everything and "SMTP 550" in everything


def test_admin_retries_a_failed_delivery(world, db, login_as, deliveries):
    failed = deliveries[("failed", "email")]
    client = login_as(world["admin"])
    response = client.post(f"/notifications/deliveries/{failed.id}/retry", data={"status": "failed"})
    assert response.status_code == 302
    db.session.refresh(failed)
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 0, None)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "delivery.retry")).one().object_id \
        == failed.id

    sent = deliveries[("sent", "email")]  # only failed ones can be retried
    client.post(f"/notifications/deliveries/{sent.id}/retry")
    db.session.refresh(sent)
    assert (sent.status, sent.attempts) == ("sent", 1)


@pytest.mark.parametrize("role", ["officer", "grid_worker", "street_regulator", "district_regulator",
                                  "agency_staff"])
def test_only_admins_see_deliveries_and_the_outbox(world, db, login_as, deliveries, role):
    failed = deliveries[("failed", "email")]
    client = login_as(world[role])
    assert client.get("/notifications/deliveries").status_code == 404
    assert client.get("/notifications/outbox").status_code == 404
    assert client.post(f"/notifications/deliveries/{failed.id}/retry").status_code == 404
    db.session.refresh(failed)
    assert failed.status == "failed"
    menu = client.get("/").get_data(as_text=True)
    assert "/notifications/deliveries" not in menu and "/notifications/outbox" not in menu
    assert "/notifications/settings" in menu

    admin_menu = login_as(world["admin"]).get("/").get_data(as_text=True)
    assert "/notifications/deliveries" in admin_menu and "/notifications/outbox" in admin_menu


def test_outbox_shows_the_kept_emails_newest_first(world, db, login_as, deliveries):
    older = OutboxMessage(delivery_id=deliveries[("sent", "email")].id, to_address="officer@qq.com",
                          subject=TITLE_ZH, body=BODY_ZH + "\n\nhttp://localhost/hazards/1",
                          created_at=utcnow() - timedelta(hours=1))
    newer = OutboxMessage(delivery_id=deliveries[("pending", "email")].id, to_address="other@qq.com",
                          subject="较新的邮件", body="正文")
    db.session.add_all([older, newer])
    db.session.commit()
    page = login_as(world["admin"]).get("/notifications/outbox").get_data(as_text=True)
    assert "officer@qq.com" in page and TITLE_ZH in page and BODY_ZH in page and "http://localhost/hazards/1" in page
    assert page.index("较新的邮件") < page.index(TITLE_ZH)


def test_deliveries_page_runs_a_constant_number_of_queries(world, db, login_as, make_user, deliveries):
    client = login_as(world["admin"])
    before = len(statements_of(client, "/notifications/deliveries?status=all"))
    for n in range(6):  # more recipients, more failures
        user = make_user("grid_worker", street_id=world["street_a"].id, email=f"worker{n}@qq.com")
        db.session.add(Delivery(notification_id=notify(db, user).id, channel="email", status="failed",
                                attempts=6, last_error="SMTP 550"))
        db.session.commit()
    assert len(statements_of(client, "/notifications/deliveries?status=all")) == before
