"""Delivering notifications: the development outbox, SMTP, the signed webhook, claims, retries
with backoff, giving up, and the sweep that finds lost work."""
from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from safetylist.notify import delivery as service
from safetylist.notify.channels import signature
from safetylist.notify.models import Delivery, Notification, OutboxMessage
from safetylist.timeutil import utcnow


@pytest.fixture
def notification(world, db):
    officer = world["officer"]
    officer.email, officer.phone = "officer@example.com", "13800000001"
    row = Notification(user_id=officer.id, reminder="hazard-deadline", subject_type="hazard", subject_id=7,
                       deadline="2026-12-10", stage="before-1d", link="/hazards/7",
                       params={"title": {"zh": "消防通道堵塞", "en": "Fire exit blocked"}, "party": "甲一五金有限公司",
                               "deadline": "2026-12-10", "days_left": 1, "days_overdue": 0, "severity": "general"})
    db.session.add(row)
    db.session.commit()
    return row


def add_delivery(db, notification, channel):
    row = Delivery(notification_id=notification.id, channel=channel)
    db.session.add(row)
    db.session.commit()
    return row


def reload(db, row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


class Gateway:
    """A local webhook receiver: records requests, answers with the next queued status."""

    def __init__(self):
        self.requests, self.statuses = [], []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append((self.headers, body))  # header names are case-insensitive
                self.send_response(gateway.statuses.pop(0) if gateway.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gateway(app, monkeypatch):
    gateway = Gateway()
    monkeypatch.setitem(app.config, "NOTIFY_WEBHOOK_URL", gateway.url)
    monkeypatch.setitem(app.config, "NOTIFY_WEBHOOK_SECRET", "s3cret")
    yield gateway
    gateway.server.shutdown()


def test_without_smtp_an_email_lands_in_the_development_outbox_once(notification, db):
    delivery = add_delivery(db, notification, "email")
    assert service.attempt(delivery.id).status == "sent"
    assert service.attempt(delivery.id).status == "skipped"  # already sent: a repeat does nothing
    kept = db.session.scalars(select(OutboxMessage)).one()
    assert (kept.to_address, kept.subject) == ("officer@example.com", "隐患整改期限：消防通道堵塞")
    assert "明天（2026-12-10）整改到期" in kept.body and kept.body.endswith("/hazards/7")
    delivery = reload(db, delivery)
    assert (delivery.status, delivery.attempts, delivery.sent_at is not None) == ("sent", 1, True)


def test_an_english_speaker_gets_english(notification, db):
    notification.user.locale = "en"
    db.session.commit()
    add_delivery(db, notification, "email")
    service.attempt(db.session.scalars(select(Delivery.id)).one())
    assert db.session.scalars(select(OutboxMessage.subject)).one() == "Hazard rectification deadline: Fire exit blocked"


def test_smtp_delivers_with_a_stable_message_id(notification, db, app, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:  # a free port for the test server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        delivery = add_delivery(db, notification, "email")
        assert service.attempt(delivery.id).status == "sent"
    finally:
        controller.stop()
    assert len(received) == 1
    message = received[0]
    subject = str(make_header(decode_header(message["Subject"])))
    assert message["To"] == "officer@example.com" and subject == "隐患整改期限：消防通道堵塞"
    assert "明天（2026-12-10）整改到期" in message.get_payload(decode=True).decode("utf-8")
    assert notification.key.replace(":", ".") in message["Message-ID"]
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_an_unreachable_smtp_server_is_retried_with_backoff(notification, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", 9)  # nothing listens on the discard port
    delivery = add_delivery(db, notification, "email")
    before = utcnow()
    outcome = service.attempt(delivery.id)
    assert outcome.status == "retry" and "SMTP 127.0.0.1:9" in outcome.error
    delivery = reload(db, delivery)
    assert delivery.status == "pending" and delivery.claim_token is None
    assert timedelta(seconds=59) < delivery.next_attempt_at - before < timedelta(seconds=70)
    assert service.attempt(delivery.id).status == "skipped"  # not before its time
    assert service.sweep(before + timedelta(seconds=30)) == []
    assert service.sweep(before + timedelta(seconds=61)) == [delivery.id]


def test_the_webhook_posts_signed_json_with_an_idempotency_key(notification, db, gateway):
    delivery = add_delivery(db, notification, "webhook")
    assert service.attempt(delivery.id).status == "sent"
    [(headers, body)] = gateway.requests
    assert headers["X-SafetyList-Signature"] == signature("s3cret", headers["X-SafetyList-Timestamp"], body)
    assert headers["Idempotency-Key"] == f"safetylist-{notification.key}-webhook"
    data = json.loads(body)
    assert data["recipient"] == {"id": notification.user_id, "name": notification.user.display_name,
                                 "phone": "13800000001", "email": "officer@example.com", "role": "officer"}
    assert data["title"] == "隐患整改期限：消防通道堵塞" and data["deadline"] == "2026-12-10"
    assert data["key"] == notification.key and data["link"] == "/hazards/7"


def test_a_failing_gateway_is_retried_then_marked_failed_for_administrators(notification, db, gateway, app,
                                                                            monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 3)
    gateway.statuses = [503, 500, 502]
    delivery = add_delivery(db, notification, "webhook")
    clock = utcnow()
    outcomes = []
    for _ in range(3):
        outcomes.append(service.attempt(delivery.id, clock))
        clock = reload(db, delivery).next_attempt_at + timedelta(seconds=1)
    assert [o.status for o in outcomes] == ["retry", "retry", "failed"]
    waits = [60, 300]
    delivery = reload(db, delivery)
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error == "webhook answered HTTP 502 (after 3 attempts)"
    assert len(gateway.requests) == 3 and waits == app.config["NOTIFY_BACKOFF_SECONDS"][:2]
    assert service.sweep(clock + timedelta(days=1)) == []  # failed stays failed until someone acts
    service.retry(notification.user, delivery)  # an administrator, after fixing the gateway
    assert service.attempt(delivery.id).status == "sent"


def test_a_refusing_gateway_is_not_retried(notification, db, gateway):
    gateway.statuses = [400]
    delivery = add_delivery(db, notification, "webhook")
    outcome = service.attempt(delivery.id)
    assert outcome.status == "failed" and outcome.error == "webhook answered HTTP 400"
    assert len(gateway.requests) == 1


def test_one_delivery_is_sent_by_one_worker_at_a_time(notification, db, gateway):
    """Two workers racing for the same delivery: the claim lets only one through."""
    delivery = add_delivery(db, notification, "webhook")
    now = utcnow()
    token = service._claim(delivery.id, now)
    assert token and service._claim(delivery.id, now) is None
    assert service.attempt(delivery.id, now).status == "skipped" and gateway.requests == []
    # The worker holding the claim died: once its lease runs out, the sweep and a worker take over.
    lease = timedelta(seconds=120)
    assert service.sweep(now + lease - timedelta(seconds=1)) == []
    assert service.sweep(now + lease + timedelta(seconds=1)) == [delivery.id]
    assert service.attempt(delivery.id, now + lease + timedelta(seconds=1)).status == "sent"
    assert reload(db, delivery).attempts == 2 and len(gateway.requests) == 1


def test_a_delivery_whose_worker_keeps_dying_is_given_up(notification, db, gateway, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 2)
    delivery = add_delivery(db, notification, "webhook")
    clock = utcnow()
    for _ in range(2):  # claimed, then the worker vanished
        assert service._claim(delivery.id, clock)
        clock += timedelta(seconds=121)
    outcome = service.attempt(delivery.id, clock)
    assert outcome.status == "failed" and "worker was lost" in outcome.error
    assert gateway.requests == []


def test_the_sweep_finds_first_attempts_whose_message_was_lost(notification, db):
    delivery = add_delivery(db, notification, "email")
    created = reload(db, delivery).created_at
    assert service.sweep(created + timedelta(seconds=30)) == []  # the scan's own message is on its way
    assert service.sweep(created + timedelta(seconds=61)) == [delivery.id]


def test_the_deliver_task_sends_through_celery(notification, db, app):
    delivery = add_delivery(db, notification, "email")
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    result = celery.tasks["worker.tasks.deliver"].delay([delivery.id, delivery.id]).get(timeout=10)
    assert result == {"sent": 1, "skipped": 1}
    assert reload(db, delivery).status == "sent"


def test_the_scan_task_records_and_delivers(world, db, app):
    from safetylist.remediation.models import Hazard
    from safetylist.timeutil import local_today
    world["officer"].email = "officer@example.com"
    db.session.add(Hazard(enterprise_id=world["e_a1"].id, severity="general", title="消防通道堵塞",
                          found_on=local_today(), deadline=local_today() + timedelta(days=1), source="other"))
    db.session.commit()
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    at = datetime.combine(local_today(), datetime.min.time()).replace(hour=9).isoformat() + "+08:00"
    result = celery.tasks["worker.tasks.scan_reminders"].delay(at).get(timeout=30)
    assert result["recorded"]["hazard-deadline"] == 1 and result["queued"] == 1
    assert db.session.scalars(select(Delivery.status)).all() == ["sent"]  # eager: delivered already
    assert db.session.scalars(select(OutboxMessage.to_address)).all() == ["officer@example.com"]


def test_the_cli_scans_by_hand(world, db, app):
    from safetylist.remediation.models import Hazard
    db.session.add(Hazard(enterprise_id=world["e_a1"].id, severity="general", title="消防通道堵塞",
                          found_on=datetime(2026, 12, 1).date(), deadline=datetime(2026, 12, 10).date(),
                          source="other"))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "scan", "--at", "2026-12-09 09:00", "--deliver"])
    assert result.exit_code == 0, result.output
    assert "hazard-deadline: 1 new" in result.output
    from safetylist.notify.rules import rules
    again = runner.invoke(args=["reminders", "scan", "--at", "2026-12-09 09:00"]).output
    assert again.count(" 0 new") == len(rules().reminders)  # one line per reminder, nothing new
    check = runner.invoke(args=["reminders", "check"])
    assert check.exit_code == 0 and "hazard-deadline: hazard_deadline → responsible_party" in check.output


def test_a_worker_whose_claim_was_taken_over_keeps_no_record(notification, db, app, monkeypatch):
    """A slow worker finishing after its lease ran out (and another took over) writes nothing."""
    delivery = add_delivery(db, notification, "email")
    real_claim = service._claim

    def slow_claim(delivery_id, now):
        token = real_claim(delivery_id, now)
        # Meanwhile the lease runs out and another worker claims the delivery.
        db.session.execute(Delivery.__table__.update().where(Delivery.__table__.c.id == delivery_id)
                           .values(claim_token="someone-else"))
        db.session.commit()
        return token

    monkeypatch.setattr(service, "_claim", slow_claim)
    outcome = service.attempt(delivery.id)
    assert outcome == service.Outcome("skipped", "the claim ran out while sending")
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert reload(db, delivery).status == "sending"
