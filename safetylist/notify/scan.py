"""The reminder scan: for every reminder of data/reminders.yaml, the subjects whose current stage
has fired are recorded as one notification per recipient, with one delivery per channel the
recipient wants. The notification key's unique constraint makes every scan idempotent: running
it twice, from two beats at once, or again after a crash records nothing twice."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from safetylist.auth.models import User
from safetylist.extensions import db
from safetylist.notify import rules as reminder_rules
from safetylist.notify.audiences import resolve
from safetylist.notify.models import Delivery, Notification
from safetylist.notify.sources import SOURCES, Window
from safetylist.timeutil import LOCAL_TZ, utcnow

BATCH = 500  # rows per INSERT … VALUES statement (SQLite)
JSON_BATCH = 10_000  # rows per INSERT … SELECT FROM json_to_recordset(…) statement (PostgreSQL)


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

    by_date: dict[date, reminder_rules.Due | None] = {}

    def current(deadline):
        """The current stage for a deadline. Thousands of subjects share a few dozen deadline dates,
        and a date's stage depends only on the date: each date is worked out once per scan."""
        if type(deadline) is not date:  # date-times (and anything else): every time
            return reminder_rules.current_stage(reminder, deadline, now, send_at, rule_file.catch_up_days)
        if deadline not in by_date:
            by_date[deadline] = reminder_rules.current_stage(reminder, deadline, now, send_at,
                                                             rule_file.catch_up_days)
        return by_date[deadline]

    def stage_for(deadline):
        due = current(deadline)
        return due.key if due else None

    def recorded(deadline, stage: str) -> set[int]:
        # Every notification's user exists (a foreign key), so naming the users changes nothing but
        # the plan: the key index starts with user_id, and without it PostgreSQL reads the whole
        # index, which grows by every reminder ever recorded.
        return set(db.session.scalars(select(Notification.subject_id).where(
            Notification.user_id.in_(select(User.id)),
            Notification.reminder == reminder.id, Notification.deadline == deadline_key(deadline),
            Notification.stage == stage)))

    window = Window(today=today, first=today - timedelta(days=back) if back is not None else None,
                    last=today + timedelta(days=reminder_rules.lookahead_days(reminder)),
                    match=reminder.match, now=now, stage_for=stage_for, recorded=recorded)
    due_items = []
    for item in source.items(window):
        due = current(item.deadline)
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


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# On PostgreSQL a batch of rows travels as one JSON document read by json_to_recordset(), so the
# statement is the same short text whatever the number of rows: no per-row SQL to compile, render
# and parse (a many-row VALUES cost ~0.3 ms a row in SQLAlchemy and psycopg, seconds for a
# district's day of reminders), and json.dumps encodes in C. Rows come out in the document's order,
# so ids are given in the rows' order, as with VALUES. A `json` column keeps the text it is given:
# `params` is stored exactly as json.dumps wrote it, as psycopg's Json adapter did before.
_NOTIFICATION_COLUMNS = (("user_id", "integer"), ("reminder", "varchar"), ("subject_type", "varchar"),
                         ("subject_id", "integer"), ("deadline", "varchar"), ("stage", "varchar"),
                         ("params", "json"), ("link", "varchar"), ("created_at", "timestamp"))
_DELIVERY_COLUMNS = (("notification_id", "integer"), ("channel", "varchar"), ("status", "varchar"),
                     ("attempts", "integer"), ("next_attempt_at", "timestamp"), ("created_at", "timestamp"))


def _insert_from_json(table: str, columns, tail: str):
    names = ", ".join(name for name, _ in columns)
    return text(f"INSERT INTO {table} ({names}) SELECT {names} FROM json_to_recordset(CAST(:rows AS json)) "
                f"AS new ({', '.join(f'{name} {kind}' for name, kind in columns)}) {tail}")


_INSERT_NOTIFICATIONS = _insert_from_json(
    "notification", _NOTIFICATION_COLUMNS,
    "ON CONFLICT (user_id, reminder, subject_id, deadline, stage) DO NOTHING RETURNING id, user_id")
_INSERT_DELIVERIES = _insert_from_json("delivery", _DELIVERY_COLUMNS, "RETURNING id")


def _json_rows(rows: list[dict], stamps: tuple[str, ...]) -> str:
    """The rows as a JSON array, the time stamp columns `stamps` (naive UTC) as ISO text."""
    text_of: dict[datetime, str] = {}  # a scan's rows share one or two time stamps
    for row in rows:
        for name in stamps:
            value = row[name]
            if value not in text_of:
                text_of[value] = value.isoformat()
    return json.dumps([{**row, **{name: text_of[row[name]] for name in stamps}} for row in rows])


def _insert_new(rows: list[dict]) -> list[tuple[int, int]]:
    """Insert the notifications not yet recorded; (id, user id) of those that were new."""
    created = []
    if _postgresql():
        for start in range(0, len(rows), JSON_BATCH):
            created += [tuple(row) for row in db.session.execute(
                _INSERT_NOTIFICATIONS, {"rows": _json_rows(rows[start:start + JSON_BATCH], ("created_at",))})]
        return created
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
    if _postgresql():
        for start in range(0, len(rows), JSON_BATCH):
            ids += db.session.scalars(_INSERT_DELIVERIES, {"rows": _json_rows(
                rows[start:start + JSON_BATCH], ("next_attempt_at", "created_at"))}).all()
        return ids
    for start in range(0, len(rows), BATCH):
        ids += db.session.scalars(_insert(Delivery.__table__).values(rows[start:start + BATCH])
                                  .returning(Delivery.__table__.c.id)).all()
    return ids
