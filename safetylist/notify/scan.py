"""The reminder scan: for every reminder of data/reminders.yaml, the subjects whose current stage
has fired are recorded as one notification per recipient, with one delivery per channel the
recipient wants. The notification key's unique constraint makes every scan idempotent: running
it twice, from two beats at once, or again after a crash records nothing twice."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from safetylist.auth.models import User
from safetylist.extensions import db
from safetylist.notify import rules as reminder_rules
from safetylist.notify.audiences import resolve
from safetylist.notify.models import Delivery, Notification
from safetylist.notify.sources import SOURCES, Window
from safetylist.timeutil import LOCAL_TZ, utcnow

BATCH = 500  # rows per INSERT statement


@dataclass
class ScanResult:
    recorded: dict[str, int] = field(default_factory=dict)  # new notifications by reminder id
    deliveries: list[int] = field(default_factory=list)      # new delivery ids, to queue

    @property
    def total(self) -> int:
        return sum(self.recorded.values())


def deadline_key(deadline: date | datetime) -> str:
    if isinstance(deadline, datetime):
        return deadline.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if deadline.tzinfo \
            else deadline.strftime("%Y-%m-%dT%H:%M")
    return deadline.isoformat()


def scan(now: datetime | None = None) -> ScanResult:
    """Record every reminder due at `now` (aware; default: the current time). Commits per reminder."""
    now = (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    rule_file = reminder_rules.rules()
    result = ScanResult()
    for reminder in rule_file.reminders:
        rows = _due_rows(reminder, rule_file, now)
        created = _insert_new(rows)
        result.recorded[reminder.id] = len(created)
        result.deliveries += _add_deliveries(created)
        db.session.commit()
    return result


def _due_rows(reminder, rule_file, now: datetime) -> list[dict]:
    source = SOURCES[reminder.source]
    send_at = reminder_rules.send_at(rule_file)
    today = now.date()
    back = reminder_rules.lookback_days(reminder, rule_file.catch_up_days)

    def stage_for(deadline):
        due = reminder_rules.current_stage(reminder, deadline, now, send_at, rule_file.catch_up_days)
        return due.key if due else None

    def recorded(deadline, stage: str) -> set[int]:
        return set(db.session.scalars(select(Notification.subject_id).where(
            Notification.reminder == reminder.id, Notification.deadline == deadline_key(deadline),
            Notification.stage == stage)))

    window = Window(today=today, first=today - timedelta(days=back) if back is not None else None,
                    last=today + timedelta(days=reminder_rules.lookahead_days(reminder)),
                    match=reminder.match, now=now, stage_for=stage_for, recorded=recorded)
    due_items = []
    for item in source.items(window):
        due = reminder_rules.current_stage(reminder, item.deadline, now, send_at, rule_file.catch_up_days)
        if due is not None:
            due_items.append((item, due.key + (f":{item.variant}" if item.variant else "")))
    recipients = resolve([item for item, _ in due_items], reminder.to, today)
    created_at = utcnow()
    return [{"user_id": user_id, "reminder": reminder.id, "subject_type": source.subject_type,
             "subject_id": item.subject_id, "deadline": deadline_key(item.deadline), "stage": stage,
             "params": item.params, "link": item.link, "created_at": created_at}
            for (item, stage), users in zip(due_items, recipients) for user_id in users]


def _insert(table):
    return (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def _insert_new(rows: list[dict]) -> list[tuple[int, int]]:
    """Insert the notifications not yet recorded; (id, user id) of those that were new."""
    created = []
    for start in range(0, len(rows), BATCH):
        statement = (_insert(Notification.__table__).values(rows[start:start + BATCH])
                     .on_conflict_do_nothing(index_elements=["user_id", "reminder", "subject_id", "deadline", "stage"])
                     .returning(Notification.__table__.c.id, Notification.__table__.c.user_id))
        created += [tuple(row) for row in db.session.execute(statement)]
    return created


def wanted_channels(user: User) -> list[str]:
    """The channels besides the inbox this user gets reminders on, given the deployment's settings."""
    channels = []
    if user.email and user.notify_email:
        channels.append("email")  # to SMTP, or to the development outbox when none is configured
    if current_app.config.get("NOTIFY_WEBHOOK_URL") and user.notify_webhook:
        channels.append("webhook")
    return channels


def _add_deliveries(created: list[tuple[int, int]]) -> list[int]:
    if not created:
        return []
    user_ids = {user_id for _, user_id in created}
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    now = utcnow()
    rows = [{"notification_id": notification_id, "channel": channel, "status": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now}
            for notification_id, user_id in created for channel in wanted_channels(users[user_id])]
    ids = []
    for start in range(0, len(rows), BATCH):
        ids += db.session.scalars(_insert(Delivery.__table__).values(rows[start:start + BATCH])
                                  .returning(Delivery.__table__.c.id)).all()
    return ids
