"""Safety evaluation agencies (安全评价机构); agency staff accounts are bound to one."""
from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from safetylist.extensions import db


class Agency(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    qualification_no: Mapped[str | None] = mapped_column(String(60))
    qualification_expires_on: Mapped[date | None] = mapped_column(index=True)  # 资质证书有效期至
    address: Mapped[str | None] = mapped_column(String(300))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
