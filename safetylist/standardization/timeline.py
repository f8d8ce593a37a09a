"""The timeline of assessments and certificates: append a step (with its audit entry) and read it back."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safetylist.audit.services import record
from safetylist.extensions import db
from safetylist.standardization.models import StandardizationEvent


def add_event(actor, action: str, assessment=None, certificate=None, from_status: str | None = None,
              to_status: str | None = None, comment: str | None = None,
              details: dict | None = None) -> StandardizationEvent:
    """Append a step to the timeline and the audit trail, in the caller's transaction."""
    entry = StandardizationEvent(assessment_id=assessment.id if assessment else None,
                                 certificate_id=certificate.id if certificate else None,
                                 actor_id=getattr(actor, "id", None), action=action, from_status=from_status,
                                 to_status=to_status, comment=comment, details=details or {})
    db.session.add(entry)
    record(actor, f"standardization_{action}", assessment or certificate, from_status=from_status,
           to_status=to_status, **({"comment": comment} if comment else {}), **(details or {}))
    return entry


def events_of(assessment=None, certificate=None) -> list[StandardizationEvent]:
    """An assessment's or a certificate's steps, oldest first, with their actors (one query each)."""
    query = select(StandardizationEvent).options(selectinload(StandardizationEvent.actor))
    if assessment is not None:
        query = query.where(StandardizationEvent.assessment_id == assessment.id)
    else:
        query = query.where(StandardizationEvent.certificate_id == certificate.id)
    return list(db.session.scalars(query.order_by(StandardizationEvent.at, StandardizationEvent.id)))
