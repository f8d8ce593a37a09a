"""Hazards (隐患) found by checklists and inspections; their lifecycle grows with the remediation issue."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow

SEVERITIES = ("general", "major")  # 一般/重大事故隐患


class Hazard(db.Model):
    __table_args__ = (
        CheckConstraint("severity IN ('general','major')", name="severity"),
        CheckConstraint("status IN ('open','rectification_submitted','closed')", name="status"),
        CheckConstraint("enterprise_id IS NOT NULL OR agency_id IS NOT NULL", name="party"),
        CheckConstraint("deadline >= found_on", name="deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
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

    enterprise: Mapped["Enterprise | None"] = relationship()
    agency: Mapped["Agency | None"] = relationship()
