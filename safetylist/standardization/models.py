"""Standardization (安全生产标准化, GB/T 33000-2016): assessments from the enterprise's self-assessment
through an independent review to a grade, the certificates that grades issue, and the timeline of
both. Only safetylist/standardization/services.py changes these rows."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow

GRADES = ("1", "2", "3")  # 一级/二级/三级
# draft: the application is being prepared (evidence per element) on a submitted self-assessment;
# submitted: waiting for a reviewer; in_review: a reviewer scores it; reviewed: the review is in,
# waiting for the decision; decided: a grade was granted or refused; withdrawn: the enterprise took
# it back. A reviewer or regulator may return a submitted or in-review application to draft.
ASSESSMENT_STATUSES = ("draft", "submitted", "in_review", "reviewed", "decided", "withdrawn")
OPEN_STATUSES = ("draft", "submitted", "in_review", "reviewed")
CERTIFICATE_STATUSES = ("valid", "suspended", "revoked", "superseded")


class Assessment(db.Model):
    """An application for a grade (定级申请): the enterprise's self-assessment, its evidence per
    first-level element, the reviewer's independent scores and the decision."""
    __table_args__ = (
        CheckConstraint("status IN ('draft','submitted','in_review','reviewed','decided','withdrawn')",
                        name="status"),
        CheckConstraint("decision IS NULL OR decision IN ('granted','refused')", name="decision"),
        CheckConstraint("decision <> 'granted' OR decided_grade IS NOT NULL", name="granted_grade"),
        CheckConstraint("reviewer_user_id IS NULL OR reviewer_agency_id IS NULL", name="one_reviewer"),
        Index("ix_assessment_enterprise_id_status", "enterprise_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    self_run_id: Mapped[int] = mapped_column(ForeignKey("checklist_run.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    # {section id: {"note": text, "photos": [photo refs]}}: evidence per first-level element (一级要素).
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    self_score: Mapped[float | None]
    self_grade: Mapped[str | None] = mapped_column(String(1))   # the certificate grade the self-score reaches
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)    # why it was last sent back to draft
    # The reviewer: a district regulator, or an evaluation agency (any of its staff).
    reviewer_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    reviewer_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    assigned_at: Mapped[datetime | None]
    # The review: item answers and reasons like a run's, against the self-assessment's version.
    review_answers: Mapped[dict] = mapped_column(JSON, default=dict)
    review_notes: Mapped[dict] = mapped_column(JSON, default=dict)
    review_submitted_at: Mapped[datetime | None]
    review_submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    review_score: Mapped[float | None]
    review_grade: Mapped[str | None] = mapped_column(String(1))
    review_result: Mapped[dict] = mapped_column(JSON, default=dict)  # the engine's summary at submission
    # The decision: veto findings from the records at that moment, the grade granted or the refusal.
    vetoes: Mapped[list] = mapped_column(JSON, default=list)
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_grade: Mapped[str | None] = mapped_column(String(1))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    enterprise: Mapped["Enterprise"] = relationship()
    self_run: Mapped["ChecklistRun"] = relationship()
    reviewer_user: Mapped["User | None"] = relationship(foreign_keys=[reviewer_user_id])
    reviewer_agency: Mapped["Agency | None"] = relationship()
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
    certificate: Mapped["Certificate | None"] = relationship(
        primaryjoin="and_(Certificate.assessment_id == Assessment.id, Certificate.replaces_id.is_(None))",
        viewonly=True, uselist=False)

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def reviewed(self) -> bool:
        return self.review_submitted_at is not None


class Certificate(db.Model):
    """安全生产标准化证书: the grade an enterprise holds and until when. A downgrade supersedes it with a
    new certificate of the lower grade (`replaces_id`); a veto event recorded after issue flags it."""
    __table_args__ = (
        CheckConstraint("grade IN ('1','2','3')", name="grade"),
        CheckConstraint("status IN ('valid','suspended','revoked','superseded')", name="status"),
        CheckConstraint("expires_on > issued_on", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    grade: Mapped[str] = mapped_column(String(1))
    issued_on: Mapped[date]
    expires_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10), default="valid")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"), index=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status_reason: Mapped[str | None] = mapped_column(Text)  # why it was revoked or downgraded
    status_changed_at: Mapped[datetime | None]
    # Flagged for review (待复核): veto events recorded after issue, as [{rule, reason_zh, reason_en, events}].
    flagged_at: Mapped[datetime | None] = mapped_column(index=True)
    flag_reasons: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Event keys ("accident:12", "hazard:34") a regulator has looked at: they never flag it again.
    reviewed_events: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    enterprise: Mapped["Enterprise"] = relationship()
    assessment: Mapped["Assessment | None"] = relationship(foreign_keys=[assessment_id])
    replaces: Mapped["Certificate | None"] = relationship(remote_side=[id])
    issued_by: Mapped["User | None"] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}

    def in_force(self, today: date) -> bool:
        return self.status == "valid" and self.issued_on <= today <= self.expires_on


class StandardizationEvent(db.Model):
    """One step of an assessment's or a certificate's timeline: who, when, from → to, why. Append-only."""
    __table_args__ = (
        CheckConstraint("assessment_id IS NOT NULL OR certificate_id IS NOT NULL", name="subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped["User | None"] = relationship()


class StandardizationAppendOnlyError(RuntimeError):
    """A timeline entry was about to be changed or deleted."""


@event.listens_for(StandardizationEvent, "before_update")
@event.listens_for(StandardizationEvent, "before_delete")
def _timeline_is_append_only(mapper, connection, entry: StandardizationEvent) -> None:
    raise StandardizationAppendOnlyError(f"standardization event {entry.id} is part of the record and cannot change")
