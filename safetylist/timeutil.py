"""The one time-zone helper: UTC in the database, Asia/Shanghai for people and deadlines.

Stored times are naive UTC, the same on SQLite and PostgreSQL whatever the server's time zone.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def utc_start_of(day: date) -> datetime:
    """The stored (naive UTC) moment at which a local Asia/Shanghai day begins."""
    return datetime.combine(day, time.min, LOCAL_TZ).astimezone(timezone.utc).replace(tzinfo=None)


def from_local(moment: datetime) -> datetime:
    """The stored (naive UTC) form of a wall-clock time people gave in Asia/Shanghai (naive or aware)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def to_local(moment: datetime | None) -> datetime | None:
    """Show a stored time in Asia/Shanghai; naive values from SQLite are UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LOCAL_TZ)

