"""Delivering notifications: each delivery is claimed by one worker for a while (a lease),
sent, then marked sent under the same claim. A worker that dies mid-send loses the lease and
the sweep queues the delivery again; a channel that keeps failing is retried with backoff and
then marked failed, for administrators to see and retry.

Tasks call `attempt` and `sweep`; the broker only wakes workers up: the database says what is
still to send, so a lost or repeated message neither loses nor repeats a delivery."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import joinedload

from safetylist.audit.services import record
from safetylist.errors import DomainError
from safetylist.extensions import db
from safetylist.notify.channels import PermanentFailure, TemporaryFailure, absolute, send_email, send_webhook
from safetylist.notify.models import Delivery, Notification, OutboxMessage
from safetylist.notify.render import render
from safetylist.timeutil import utcnow


@dataclass(frozen=True)
class Outcome:
    status: str              # sent | retry | failed | skipped (another worker has it, or it is done)
    error: str | None = None


def _claim(delivery_id: int, now: datetime) -> str | None:
    """Take the delivery for this worker (atomically: one UPDATE); None if it is not ours to send."""
    token = secrets.token_hex(8)
    lease = timedelta(seconds=current_app.config["NOTIFY_CLAIM_SECONDS"])
    claimed = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.in_(("pending", "sending")),
               Delivery.next_attempt_at <= now + timedelta(seconds=5),
               or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now))
        .values(status="sending", claim_token=token, claimed_until=now + lease, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return token if claimed.rowcount == 1 else None


def _finish(delivery_id: int, token: str, **values) -> bool:
    done = db.session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claim_token == token)
                              .values(claim_token=None, claimed_until=None, **values)
                              .execution_options(synchronize_session=False))
    return done.rowcount == 1


def attempt(delivery_id: int, now: datetime | None = None) -> Outcome:
    """Try one delivery once. Safe to call any number of times, from any number of workers."""
    now = now or utcnow()
    token = _claim(delivery_id, now)
    if token is None:
        return Outcome("skipped")
    delivery = db.session.scalars(select(Delivery).options(
        joinedload(Delivery.notification).joinedload(Notification.user))
        .where(Delivery.id == delivery_id).execution_options(populate_existing=True)).one()
    config = current_app.config
    if delivery.attempts > config["NOTIFY_MAX_ATTEMPTS"]:  # workers kept dying while sending it
        return _fail(delivery, token, "gave up: the worker was lost during every attempt")
    try:
        _send(delivery, config)
    except PermanentFailure as exc:
        return _fail(delivery, token, str(exc))
    except TemporaryFailure as exc:
        if delivery.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
            return _fail(delivery, token, f"{exc} (after {delivery.attempts} attempts)")
        backoff = config["NOTIFY_BACKOFF_SECONDS"]
        wait = backoff[min(delivery.attempts, len(backoff)) - 1]
        _finish(delivery.id, token, status="pending", last_error=str(exc),
                next_attempt_at=utcnow() + timedelta(seconds=wait))
        db.session.commit()
        return Outcome("retry", str(exc))
    if not _finish(delivery.id, token, status="sent", sent_at=utcnow(), last_error=None):
        # Our lease ran out while sending and another worker took the delivery over: its record
        # stands (an outbox row we were about to add is dropped with this rollback).
        db.session.rollback()
        return Outcome("skipped", "the claim ran out while sending")
    db.session.commit()
    return Outcome("sent")


def _fail(delivery: Delivery, token: str, error: str) -> Outcome:
    _finish(delivery.id, token, status="failed", last_error=error)
    db.session.commit()
    current_app.logger.warning("delivery %s (%s) failed: %s", delivery.id, delivery.channel, error)
    return Outcome("failed", error)


def payload(delivery: Delivery, title: str, body: str, config) -> dict:
    """The webhook's JSON: who, what, and the keys a gateway needs to drop repeats."""
    notification, user = delivery.notification, delivery.notification.user
    return {"delivery_id": delivery.id, "key": notification.key, "reminder": notification.reminder,
            "stage": notification.stage, "subject": {"type": notification.subject_type, "id": notification.subject_id},
            "deadline": notification.deadline, "title": title, "body": body,
            "link": absolute(notification.link, config),
            "recipient": {"id": user.id, "name": user.display_name, "phone": user.phone, "email": user.email,
                          "role": user.role},
            "created_at": notification.created_at.isoformat() + "Z"}


def _send(delivery: Delivery, config) -> None:
    notification, user = delivery.notification, delivery.notification.user
    locale = user.locale or config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        message = render(notification, locale)
    key = f"safetylist-{notification.key}-{delivery.channel}"
    if delivery.channel == "webhook":
        if not config.get("NOTIFY_WEBHOOK_URL"):
            raise PermanentFailure("no webhook is configured (NOTIFY_WEBHOOK_URL)")
        send_webhook(config, payload(delivery, message.title, message.body, config), key)
    elif not user.email:
        raise PermanentFailure("the user has no e-mail address")
    elif config.get("MAIL_SERVER"):
        send_email(config, user.email, message, key)
    else:  # development: keep the message where administrators can read it
        db.session.add(OutboxMessage(delivery_id=delivery.id, to_address=user.email, subject=message.title,
                                     body=message.body + (f"\n\n{absolute(message.link, config)}" if message.link else "")))


def sweep(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Deliveries to queue again: retries now due, first attempts nobody took up within the grace
    period (a lost message), and sends whose worker died (lease run out)."""
    now = now or utcnow()
    grace = now - timedelta(seconds=current_app.config["NOTIFY_SWEEP_GRACE_SECONDS"])
    return list(db.session.scalars(
        select(Delivery.id).where(or_(
            and_(Delivery.status == "pending", Delivery.next_attempt_at <= now,
                 or_(Delivery.attempts > 0, Delivery.created_at <= grace)),
            and_(Delivery.status == "sending", Delivery.claimed_until < now)))
        .order_by(Delivery.next_attempt_at).limit(limit)))


def retry(actor, delivery: Delivery) -> Delivery:
    """An administrator sends a failed delivery again (after fixing the channel's settings)."""
    if delivery.status != "failed":
        raise DomainError("only a failed delivery can be retried")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    delivery.last_error = None
    record(actor, "delivery.retry", delivery, channel=delivery.channel)
    db.session.commit()
    return delivery
