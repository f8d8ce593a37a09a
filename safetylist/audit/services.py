"""Recording audit entries inside the caller's transaction."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from safetylist.audit.models import AuditEntry
from safetylist.extensions import db


def record(actor, action: str, obj=None, **details) -> AuditEntry:
    """Add an entry to the session; the calling service commits it with its own change."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        details=details,
    )
    db.session.add(entry)
    return entry


def jsonable(value):
    """A field's value as an audit entry stores it."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def apply_changes(actor, obj, data: dict, action: str) -> dict:
    """Set every field of `data` on `obj` and audit those that changed as {field: [old, new]}
    (no entry when nothing changed). Returns the changes."""
    changes = {name: [jsonable(getattr(obj, name)), jsonable(value)]
               for name, value in data.items() if getattr(obj, name) != value}
    for name, value in data.items():
        setattr(obj, name, value)
    if changes:
        record(actor, action, obj, changes=changes)
    return changes
