"""Stored checklist versions and the runs filled against them (清单执行记录)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow


class ChecklistVersion(db.Model):
    """One distinct content of a checklist file, keyed by its hash; never changed once stored."""
    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_key: Mapped[str] = mapped_column(String(80), index=True)  # the file's `id`
    number: Mapped[int]  # the file's `version`
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    audience: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(20))
    definition: Mapped[dict] = mapped_column(JSON)  # canonical JSON of the validated file
    source: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChecklistRun(db.Model):
    """A checklist being filled (draft) or filled (submitted) for an enterprise or an agency."""
    __table_args__ = (
        CheckConstraint("status IN ('draft','submitted')", name="status"),
        CheckConstraint("enterprise_id IS NOT NULL OR agency_id IS NOT NULL", name="subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklist_version.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # item id -> answer value
    notes: Mapped[dict] = mapped_column(JSON, default=dict)  # item id -> the filler's remark
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # item id -> [stored photo refs]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    # A key the client sends with a submission, so a retried (e.g. offline-queued) submit counts once.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    score: Mapped[float | None]
    passed: Mapped[bool | None]
    grade: Mapped[str | None] = mapped_column(String(40))
    vetoed: Mapped[bool] = mapped_column(default=False)
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # evaluation summary at submit time
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Site inspections: when the inspector checked in, whether by the site's QR poster (on site),
    # and where the browser said they were (only if it granted the location).
    checked_in_at: Mapped[datetime | None]
    on_site: Mapped[bool] = mapped_column(default=False, server_default="0")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    location_accuracy_m: Mapped[float | None]

    version: Mapped[ChecklistVersion] = relationship(lazy="joined", innerjoin=True)
    enterprise: Mapped["Enterprise | None"] = relationship()
    agency: Mapped["Agency | None"] = relationship()
    started_by: Mapped["User | None"] = relationship(foreign_keys=[started_by_id])
    submitted_by: Mapped["User | None"] = relationship(foreign_keys=[submitted_by_id])

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def submitted(self) -> bool:
        return self.status == "submitted"


class ImmutableRunError(RuntimeError):
    """A submitted run was about to be changed."""


@event.listens_for(ChecklistRun, "before_update")
def _submitted_runs_never_change(mapper, connection, run: ChecklistRun) -> None:
    # The last line of defence: services refuse first, this catches any other code path.
    status = inspect(run).attrs.status.history
    was = status.deleted[0] if status.deleted else run.status
    if was == "submitted":
        raise ImmutableRunError(f"checklist run {run.id} is submitted and cannot change")
