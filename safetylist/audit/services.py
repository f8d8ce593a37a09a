"""Recording audit entries inside the caller's transaction."""
from __future__ import annotations

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
