"""Notifications (the intent, which is also the inbox message), their deliveries over other
channels, and the development outbox that stands in for SMTP.

A notification's key is (recipient, reminder, subject, deadline, stage): the unique constraint
is what makes a repeated scan, a second beat or a redelivered task record it only once.
Only `safetylist/notify/` changes these rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow

CHANNELS = ("email", "webhook")  # the inbox is the notification itself
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


class Notification(db.Model):
    __table_args__ = (
        UniqueConstraint("user_id", "reminder", "subject_id", "deadline", "stage", name="uq_notification_key"),
        Index("ix_notification_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reminder: Mapped[str] = mapped_column(String(60))       # a reminder id of data/reminders.yaml
    subject_type: Mapped[str] = mapped_column(String(30))   # hazard, enterprise, user, certificate …
    subject_id: Mapped[int]
    deadline: Mapped[str] = mapped_column(String(32))       # ISO date or local date-time it counts to
    stage: Mapped[str] = mapped_column(String(60))          # stage id, plus the day for daily stages
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # rendered in the reader's language
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user: Mapped["User"] = relationship()
    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="notification", order_by="Delivery.id")

    @property
    def key(self) -> str:
        return f"{self.user_id}:{self.reminder}:{self.subject_id}:{self.deadline}:{self.stage}"


class Delivery(db.Model):
    """Sending one notification over one channel: claimed by one worker at a time, retried with
    backoff, failed after too many attempts (and then shown to administrators)."""
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_delivery_channel"),
        Index("ix_delivery_status_next", "status", "next_attempt_at"),
        CheckConstraint("channel IN ('email','webhook')", name="channel"),
        CheckConstraint("status IN ('pending','sending','sent','failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]   # a worker is sending it until then
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")


class OutboxMessage(db.Model):
    """An e-mail kept instead of sent because no SMTP server is configured (development)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id"), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
