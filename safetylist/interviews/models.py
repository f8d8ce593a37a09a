"""Accidents (事故), interviews (约谈) and their timeline.

Commitments made in an interview are hazards (source "interview", Hazard.interview_id), so the
remediation service tracks them like any other. Only the services of this package change these
rows."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Numeric, String, Table, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safetylist.extensions import db
from safetylist.timeutil import utcnow

# GB 6441-86 企业职工伤亡事故分类, in the standard's order. Fire is one of them and is counted as
# its own scope in the statistics (the seed notes the fire statistics scope changed).
ACCIDENT_CATEGORIES = (
    "struck_by_object", "vehicle", "machinery", "lifting", "electric_shock", "drowning", "burns", "fire",
    "fall_from_height", "collapse", "roof_fall", "water_inrush", "blasting", "explosives", "gas_explosion",
    "boiler_explosion", "vessel_explosion", "other_explosion", "poisoning_asphyxiation", "other")
CATEGORY_ZH = {
    "struck_by_object": "物体打击", "vehicle": "车辆伤害", "machinery": "机械伤害", "lifting": "起重伤害",
    "electric_shock": "触电", "drowning": "淹溺", "burns": "灼烫", "fire": "火灾", "fall_from_height": "高处坠落",
    "collapse": "坍塌", "roof_fall": "冒顶片帮", "water_inrush": "透水", "blasting": "放炮",
    "explosives": "火药爆炸", "gas_explosion": "瓦斯爆炸", "boiler_explosion": "锅炉爆炸",
    "vessel_explosion": "容器爆炸", "other_explosion": "其它爆炸", "poisoning_asphyxiation": "中毒和窒息",
    "other": "其它伤害"}

INTERVIEW_STATUSES = ("planned", "notice_issued", "held", "follow_up", "closed", "cancelled")
PARTY_KINDS = ("enterprise", "authority")  # an enterprise, or the authority in charge of a sector


class Accident(db.Model):
    __table_args__ = (
        CheckConstraint("deaths >= 0 AND injuries >= 0 AND direct_loss >= 0", name="counts"),
        # An unregistered place has no enterprise: then its name and address say where it happened.
        CheckConstraint("enterprise_id IS NOT NULL OR (place_name IS NOT NULL AND address IS NOT NULL)",
                        name="where"),
        Index("ix_accident_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]                # naive UTC, shown in Asia/Shanghai
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    place_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"), index=True)
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    deaths: Mapped[int] = mapped_column(default=0)
    injuries: Mapped[int] = mapped_column(default=0)
    direct_loss: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))  # yuan
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(100))  # e.g. 快报, 119 接警, 企业报告
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    enterprise: Mapped["Enterprise | None"] = relationship()
    street: Mapped["Street"] = relationship()
    sector: Mapped["Sector | None"] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


interview_accident = Table(
    "interview_accident", db.metadata,
    Column("interview_id", ForeignKey("interview.id"), primary_key=True),
    Column("accident_id", ForeignKey("accident.id"), primary_key=True),
)

interview_hazard = Table(  # hazards that were a reason for the interview (commitments are Hazard.interview_id)
    "interview_hazard", db.metadata,
    Column("interview_id", ForeignKey("interview.id"), primary_key=True),
    Column("hazard_id", ForeignKey("hazard.id"), primary_key=True),
)


class Interview(db.Model):
    __table_args__ = (
        CheckConstraint("status IN ('planned','notice_issued','held','follow_up','closed','cancelled')",
                        name="status"),
        CheckConstraint("party_kind IN ('enterprise','authority')", name="party_kind"),
        CheckConstraint("party_kind <> 'enterprise' OR enterprise_id IS NOT NULL", name="enterprise_party"),
        CheckConstraint("party_kind <> 'authority' OR authority_name IS NOT NULL", name="authority_party"),
        Index("ix_interview_status_planned_at", "status", "planned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_kind: Mapped[str] = mapped_column(String(12), default="enterprise")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    authority_name: Mapped[str | None] = mapped_column(String(200))   # e.g. 区住房和建设局
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"), index=True)  # None: district-wide
    planned_at: Mapped[datetime]                  # naive UTC
    place: Mapped[str] = mapped_column(String(200))
    interviewing_unit: Mapped[str] = mapped_column(String(200))
    officials: Mapped[str] = mapped_column(Text)          # who conducts it
    attendees_required: Mapped[str] = mapped_column(Text)  # e.g. the legal representative and safety manager
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    # 约谈通知书: numbered per issuing unit and year with the rectification notices' counters.
    notice_unit: Mapped[str | None] = mapped_column(String(40))
    notice_year: Mapped[int | None]
    notice_sequence: Mapped[int | None]
    notice_number: Mapped[str | None] = mapped_column(String(80), unique=True)
    notice_issued_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    attendees: Mapped[str | None] = mapped_column(Text)    # who came
    minutes: Mapped[str | None] = mapped_column(Text)      # what was said
    follow_up_note: Mapped[str | None] = mapped_column(Text)
    followed_up_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    enterprise: Mapped["Enterprise | None"] = relationship()
    street: Mapped["Street | None"] = relationship()
    created_by: Mapped["User | None"] = relationship()
    accidents: Mapped[list[Accident]] = relationship(secondary=interview_accident, order_by="Accident.occurred_at")
    hazards: Mapped[list["Hazard"]] = relationship(secondary=interview_hazard, order_by="Hazard.id")
    commitments: Mapped[list["Hazard"]] = relationship(primaryjoin="Hazard.interview_id == Interview.id",
                                                       order_by="Hazard.id", viewonly=True)

    __mapper_args__ = {"version_id_col": lock_version}


class InterviewEvent(db.Model):
    """One step in an interview's timeline: who, when, from → to, and why. Append-only."""
    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped["User | None"] = relationship()


class InterviewAppendOnlyError(RuntimeError):
    """A timeline entry was about to be changed or deleted."""


@event.listens_for(InterviewEvent, "before_update")
@event.listens_for(InterviewEvent, "before_delete")
def _timeline_is_append_only(mapper, connection, entry: InterviewEvent) -> None:
    raise InterviewAppendOnlyError(f"interview event {entry.id} is part of the record and cannot change")
