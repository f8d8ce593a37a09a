"""Grids (网格) and who is responsible for them when (定人定岗定责)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow


class Grid(db.Model):
    """网格: the smallest unit of the district map; every enterprise sits in one."""
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(80))

    community: Mapped["Community"] = relationship(back_populates="grids")
    assignments: Mapped[list[GridAssignment]] = relationship(back_populates="grid")


class GridAssignment(db.Model):
    """A grid worker responsible for a grid from `starts_on` until `ends_on` (open-ended if None)."""
    __table_args__ = (
        CheckConstraint("role IN ('primary','backup')", name="role"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="primary")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]

    grid: Mapped[Grid] = relationship(back_populates="assignments")
    user: Mapped["User"] = relationship()

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)

    @staticmethod
    def current_on(day: date):
        """SQL: assignments in force on the day (the same test as `active_on`)."""
        return (GridAssignment.starts_on <= day) & (GridAssignment.ends_on.is_(None) | (GridAssignment.ends_on >= day))


class InspectionFrequency(db.Model):
    """How often a grid worker inspects an enterprise of a risk level, per district (data, not code)."""
    __table_args__ = (
        CheckConstraint("risk_level IN ('red','orange','yellow','blue')", name="risk_level"),
        CheckConstraint("months >= 1", name="months"),
        UniqueConstraint("district_id", "risk_level", name="uq_inspection_frequency_district_risk"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    risk_level: Mapped[str] = mapped_column(String(10))
    months: Mapped[int]


class InspectionOrder(db.Model):
    """An extra site inspection a regulator orders (督办/专项检查): for one enterprise, or for every
    enterprise of a sector and/or street in a campaign. Each matching enterprise is due by `due_on`;
    an inspection submitted after the order was made fulfils it for that enterprise."""
    __table_args__ = (
        CheckConstraint("enterprise_id IS NOT NULL OR sector_id IS NOT NULL OR street_id IS NOT NULL",
                        name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))  # the reason or the campaign's name
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    due_on: Mapped[date]
    ordered_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]

    enterprise: Mapped["Enterprise | None"] = relationship()
    sector: Mapped["Sector | None"] = relationship()
    street: Mapped["Street | None"] = relationship()
    ordered_by: Mapped["User"] = relationship()

    def covers(self, enterprise) -> bool:
        return ((self.enterprise_id is None or self.enterprise_id == enterprise.id)
                and (self.sector_id is None or self.sector_id == enterprise.sector_id)
                and (self.street_id is None or self.street_id == enterprise.street_id))
