"""The district map (district → street → community) and the enterprise register (企业建档)."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow

from safetylist.registry.vocabulary import FLAGS, RISK_LEVELS, STATUSES  # noqa: F401  (re-exported)


def new_checkin_token() -> str:
    return secrets.token_urlsafe(16)


class District(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))

    streets: Mapped[list[Street]] = relationship(back_populates="district", order_by="Street.id")


class Street(db.Model):
    """街道"""
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))

    district: Mapped[District] = relationship(back_populates="streets")
    communities: Mapped[list[Community]] = relationship(back_populates="street", order_by="Community.id")


class Community(db.Model):
    """社区"""
    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"), index=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))

    street: Mapped[Street] = relationship(back_populates="communities")
    grids: Mapped[list["Grid"]] = relationship(back_populates="community", order_by="Grid.code")


class Sector(db.Model):
    """Industry sector; the taxonomy is data (DOMAIN.md's default 20)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)


class Enterprise(db.Model):
    """A registered enterprise (企业), identified by its unified social credit code."""
    __table_args__ = (
        CheckConstraint("risk_level IN ('red','orange','yellow','blue')", name="risk_level"),
        CheckConstraint("status IN ('active','suspended','closed')", name="status"),
        CheckConstraint("length(credit_code) = 18", name="credit_code_length"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    risk_level: Mapped[str] = mapped_column(String(10), index=True)
    confined_space: Mapped[bool] = mapped_column(default=False)
    hazardous_chemicals: Mapped[bool] = mapped_column(default=False)
    gas_user: Mapped[bool] = mapped_column(default=False)
    key_enterprise: Mapped[bool] = mapped_column(default=False)
    standardization_required: Mapped[bool] = mapped_column(default=False)
    # Photos keep their GPS position only if the enterprise agreed to it.
    photo_location_opt_in: Mapped[bool] = mapped_column(default=False, server_default="0")
    headcount: Mapped[int | None]
    legal_representative: Mapped[str] = mapped_column(String(60))
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(30))
    filed_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    # The secret in the site's QR poster: scanning it on site starts an on-site inspection.
    checkin_token: Mapped[str] = mapped_column(String(32), unique=True, default=new_checkin_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking: a save carrying an old version is refused instead of overwriting.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    sector: Mapped[Sector] = relationship(lazy="joined", innerjoin=True)
    street: Mapped[Street] = relationship(lazy="joined", innerjoin=True)
    community: Mapped[Community | None] = relationship(lazy="joined")
    grid: Mapped["Grid | None"] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def flags(self) -> list[str]:
        return [flag for flag in FLAGS if getattr(self, flag)]

