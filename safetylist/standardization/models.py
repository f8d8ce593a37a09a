"""Standardization certificates (安全生产标准化证书): grade and validity of an enterprise's
certificate. The assessment workflow that issues them builds on this table."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow

GRADES = ("1", "2", "3")  # 一级/二级/三级


class Certificate(db.Model):
    __table_args__ = (
        CheckConstraint("grade IN ('1','2','3')", name="grade"),
        CheckConstraint("status IN ('valid','suspended','revoked')", name="status"),
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

    enterprise: Mapped["Enterprise"] = relationship()
