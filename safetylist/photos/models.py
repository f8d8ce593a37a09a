"""Photos taken as evidence (现场照片): stored under random names outside static/, served by scope."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from safetylist.extensions import db
from safetylist.timeutil import utcnow


class Photo(db.Model):
    __table_args__ = (
        CheckConstraint("enterprise_id IS NOT NULL OR agency_id IS NOT NULL", name="owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)  # random; also the file name
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_run.id"), index=True)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazard.id"), index=True)  # after-photos
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interview.id"), index=True)  # signed minutes
    # Evidence for a standardization application; item_id then names the element (section) it is for.
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"), index=True)
    item_id: Mapped[str | None] = mapped_column(String(80))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_at: Mapped[datetime | None]  # from the camera's EXIF, in UTC when known
    original_format: Mapped[str] = mapped_column(String(10))  # JPEG | PNG | HEIF
    content_type: Mapped[str] = mapped_column(String(40))  # of the stored file
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]  # bytes stored
