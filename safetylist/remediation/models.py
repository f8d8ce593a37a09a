"""Hazards (隐患) found by checklists and inspections, and their remediation (隐患整改闭环): the
timeline of every step, extension requests and numbered rectification notices.

Only `safetylist/remediation/services.py` changes these rows."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow

SEVERITIES = ("general", "major")  # 一般/重大事故隐患
STATUSES = ("open", "rectification_submitted", "closed", "withdrawn")
ACTIVE_STATUSES = ("open", "rectification_submitted")  # still to be fixed: can be overdue
SOURCES = ("self_check", "site_inspection", "campaign", "interview", "agency_self_check", "spot_check", "standardization",
           "other")


class Hazard(db.Model):
    __table_args__ = (
        # The board filters an area's enterprises by status: one index serves both (PostgreSQL plans).
        Index("ix_hazard_enterprise_id_status", "enterprise_id", "status"),
        # Reminder scans read hazards still to be fixed by deadline: a range on this index.
        Index("ix_hazard_status_deadline", "status", "deadline"),
        CheckConstraint("severity IN ('general','major')", name="severity"),
        CheckConstraint("status IN ('open','rectification_submitted','closed','withdrawn')", name="status"),
        CheckConstraint("supervision_level IS NULL OR supervision_level IN ('street','district')",
                        name="supervision_level"),
        CheckConstraint("enterprise_id IS NOT NULL OR agency_id IS NOT NULL", name="party"),
        CheckConstraint("deadline >= found_on", name="deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_run.id"), index=True)
    checklist_item: Mapped[str | None] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(String(500))
    found_on: Mapped[date]
    deadline: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(30), default="open", index=True)
    rectification_evidence: Mapped[str] = mapped_column(String(10), default="none")
    notify: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where it was found: the kind of checklist, a campaign (an ordered inspection) or an interview.
    source: Mapped[str] = mapped_column(String(20), default="other", server_default="other", index=True)
    # The enterprise's rectification (整改) as last submitted: what was done, and the after-photos.
    rectification_note: Mapped[str | None] = mapped_column(Text)
    rectification_photos: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    rectification_submitted_at: Mapped[datetime | None]
    temporary_measures: Mapped[str | None] = mapped_column(Text)  # 临时措施 while it cannot be fixed
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # 挂牌督办: a major hazard listed for supervision by the street or district, with a named supervisor.
    supervision_level: Mapped[str | None] = mapped_column(String(10))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    supervised_at: Mapped[datetime | None]
    # A commitment made in an interview (约谈承诺) is a hazard of that interview, with a named owner.
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interview.id"), index=True)
    responsible_person: Mapped[str | None] = mapped_column(String(60))
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    enterprise: Mapped["Enterprise | None"] = relationship()
    agency: Mapped["Agency | None"] = relationship()
    supervisor: Mapped["User | None"] = relationship(foreign_keys=[supervisor_id])
    closed_by: Mapped["User | None"] = relationship(foreign_keys=[closed_by_id])
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])

    # Two people acting on one hazard at once: the second write finds the version moved and fails.
    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def overdue_days(self, today: date) -> int:
        """Days past the deadline while it is still to be fixed (computed, never stored)."""
        return max(0, (today - self.deadline).days) if self.active else 0


class HazardEvent(db.Model):
    """One step in a hazard's timeline: who, when, from → to, and why. Append-only."""
    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped["User | None"] = relationship()


class ExtensionRequest(db.Model):
    """An enterprise asks for more time (延期); a regulator approves or refuses it."""
    __table_args__ = (CheckConstraint("status IN ('pending','approved','refused')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    old_deadline: Mapped[date]
    new_deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)

    requested_by: Mapped["User"] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])


notice_hazard = Table(
    "notice_hazard", db.metadata,
    Column("notice_id", ForeignKey("rectification_notice.id"), primary_key=True),
    Column("hazard_id", ForeignKey("hazard.id"), primary_key=True),
)


class NoticeCounter(db.Model):
    """The last number a unit issued in a year; incremented under a row lock, so numbers have no gaps."""
    unit: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class RectificationNotice(db.Model):
    """责令限期整改通知书: one numbered notice for one or several hazards of an enterprise."""
    __table_args__ = (UniqueConstraint("unit", "year", "sequence", name="uq_notice_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(40))  # issuing unit: "district" or a street code
    year: Mapped[int]
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(80), unique=True)  # as printed
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[date]

    enterprise: Mapped["Enterprise"] = relationship()
    issued_by: Mapped["User"] = relationship()
    hazards: Mapped[list[Hazard]] = relationship(secondary=notice_hazard, order_by="Hazard.id")


class AppendOnlyError(RuntimeError):
    """A timeline entry was about to be changed or deleted."""


@event.listens_for(HazardEvent, "before_update")
@event.listens_for(HazardEvent, "before_delete")
def _timeline_is_append_only(mapper, connection, entry: HazardEvent) -> None:
    raise AppendOnlyError(f"hazard event {entry.id} is part of the record and cannot change")
