"""Rectification notices (责令限期整改通知书): issuing a numbered notice for hazards of one enterprise,
and its printed A4 form. Numbers are unique and gap-free per issuing unit and year (see data/notices.yaml)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.registry.models import Enterprise, Street
from safetylist.remediation.models import (ACTIVE_STATUSES, Hazard, NoticeCounter, RectificationNotice,
                                           notice_hazard)
from safetylist.remediation.services import add_event, status_label
from safetylist.reports.pdf import render_pdf
from safetylist.timeutil import to_local, utcnow

UNITS_FILE = Path(__file__).parent / "data" / "notices.yaml"
DISTRICT = "district"  # the unit code of the district bureau; a street's unit code is the street's code
SEVERITY = {"general": "一般事故隐患", "major": "重大事故隐患"}  # the terms of SAWS order No. 16, as a notice cites them


class _Unit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    prefix: str


class _UnitsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    district: _Unit
    street: _Unit


@lru_cache(maxsize=1)
def _units() -> _UnitsFile:
    with UNITS_FILE.open(encoding="utf-8") as handle:
        return _UnitsFile.model_validate(yaml.safe_load(handle))


@dataclass(frozen=True)
class IssuingUnit:
    """Who a notice is issued in the name of: the district bureau, or a street."""
    code: str  # stored in RectificationNotice.unit and NoticeCounter.unit
    name: str  # printed above the seal
    prefix: str  # the number's prefix (机关代字)

    def number(self, year: int, sequence: int) -> str:
        return f"{self.prefix}〔{year}〕{sequence:04d}号"


def unit_of_street(street: Street) -> IssuingUnit:
    words = {"street": street.name_zh, "short": street.name_zh.removesuffix("街道")}
    template = _units().street
    return IssuingUnit(street.code, template.name.format(**words), template.prefix.format(**words))


def district_unit() -> IssuingUnit:
    return IssuingUnit(DISTRICT, _units().district.name, _units().district.prefix)


def unit_of(code: str) -> IssuingUnit:
    """The unit a stored notice names (for printing)."""
    if code == DISTRICT:
        return district_unit()
    return unit_of_street(db.session.scalars(select(Street).where(Street.code == code)).one())


def issuing_unit(actor) -> IssuingUnit:
    """The unit the actor issues notices for; only street and district regulators issue them."""
    if not Scope(actor).can_issue_notices():
        raise PermissionDenied(_("Only street and district regulators issue rectification notices."))
    if actor.role == roles.DISTRICT_REGULATOR:
        return district_unit()
    return unit_of_street(actor.street)


def candidate_hazards(actor, enterprise: Enterprise) -> list[Hazard]:
    """The enterprise's hazards still to be fixed that the actor sees: what a notice may list."""
    return list(db.session.scalars(Scope(actor).hazards().where(
        Hazard.enterprise_id == enterprise.id, Hazard.status.in_(ACTIVE_STATUSES))
        .order_by(Hazard.deadline, Hazard.id)))


def notices_of_hazards(hazard_ids) -> dict[int, list[str]]:
    """{hazard id: numbers of the notices already issued for it}."""
    rows = db.session.execute(
        select(notice_hazard.c.hazard_id, RectificationNotice.number)
        .join(RectificationNotice, RectificationNotice.id == notice_hazard.c.notice_id)
        .where(notice_hazard.c.hazard_id.in_(list(hazard_ids))).order_by(RectificationNotice.id))
    found: dict[int, list[str]] = {}
    for hazard_id, number in rows:
        found.setdefault(hazard_id, []).append(number)
    return found


def issue_notice(actor, enterprise: Enterprise, hazard_ids, deadline: date | None = None) -> RectificationNotice:
    """Issue a numbered notice for some of the enterprise's active hazards; each gets a timeline entry.

    The deadline defaults to the latest deadline of the hazards and may not be before today. The number
    is taken from the unit's counter for the year under a row lock held until commit, so two regulators
    issuing at once get consecutive numbers, and a notice that fails leaves no gap.
    """
    unit = issuing_unit(actor)
    scope = Scope(actor)
    in_scope = db.session.scalar(scope.enterprises().with_only_columns(Enterprise.id)
                                 .where(Enterprise.id == enterprise.id))
    if in_scope is None:
        raise PermissionDenied(_("This enterprise is not in your area."))
    hazards = _chosen_hazards(actor, enterprise, hazard_ids)
    now = utcnow()
    today = to_local(now).date()
    deadline = _deadline(deadline, hazards, today)
    try:
        sequence = next_sequence(unit.code, today.year)
        notice = RectificationNotice(
            unit=unit.code, year=today.year, sequence=sequence, number=unit.number(today.year, sequence),
            enterprise_id=enterprise.id, issued_by_id=actor.id, issued_at=now, deadline=deadline,
            hazards=hazards)
        db.session.add(notice)
        db.session.flush()
        for hazard in hazards:
            add_event(hazard, actor, "notice_issued", hazard.status, hazard.status,
                      details={"notice": notice.number})
        record(actor, "notice_issued", notice, number=notice.number, enterprise_id=enterprise.id,
               hazards=[h.id for h in hazards], deadline=deadline.isoformat())
        db.session.commit()
    except Exception:
        db.session.rollback()  # the counter goes back too: no gap
        raise
    return notice


def _chosen_hazards(actor, enterprise: Enterprise, hazard_ids) -> list[Hazard]:
    wanted = list(dict.fromkeys(int(i) for i in hazard_ids or ()))
    if not wanted:
        raise ValidationFailed({"hazards": _("Choose at least one hazard.")})
    hazards = list(db.session.scalars(Scope(actor).hazards().where(
        Hazard.id.in_(wanted), Hazard.enterprise_id == enterprise.id).order_by(Hazard.id)))
    if len(hazards) != len(wanted):
        raise ValidationFailed({"hazards": _("Some of the chosen hazards are not this enterprise's.")})
    for hazard in hazards:
        if not hazard.active:
            raise ValidationFailed({"hazards": _(
                "“%(title)s” is %(status)s: a notice is issued only for hazards still to be fixed.",
                title=hazard.title, status=status_label(hazard.status))})
    return hazards


def _deadline(chosen: date | None, hazards: list[Hazard], today: date) -> date:
    if chosen is None:
        chosen = max(hazard.deadline for hazard in hazards)
        if chosen < today:
            raise ValidationFailed({"deadline": _(
                "The chosen hazards are past their deadlines: set a deadline for the notice.")})
    if chosen < today:
        raise ValidationFailed({"deadline": _("The deadline cannot be before today (%(day)s).",
                                              day=today.isoformat())})
    return chosen


def next_sequence(unit: str, year: int) -> int:
    """The unit's next number in the year; its counter row stays locked until the transaction ends."""
    counter = _locked_counter(unit, year)
    if counter is None:
        try:
            with db.session.begin_nested():
                db.session.add(NoticeCounter(unit=unit, year=year, last=0))
        except IntegrityError:
            pass  # the unit's first notice of the year is being issued at the same moment: use its row
        counter = _locked_counter(unit, year)
    counter.last += 1
    db.session.flush()
    return counter.last


def _locked_counter(unit: str, year: int) -> NoticeCounter | None:
    # populate_existing: the value read under the lock, never a copy the session kept from before.
    return db.session.scalars(
        select(NoticeCounter).where(NoticeCounter.unit == unit, NoticeCounter.year == year)
        .with_for_update().execution_options(populate_existing=True)).first()


# --- the printed notice ------------------------------------------------------------------------------
def notice_pdf(notice: RectificationNotice) -> bytes:
    """The A4 PDF of a notice, always in Chinese: the document that is signed, sealed and handed over."""
    return render_pdf("reports/notice.html", **notice_record(notice))


def notice_record(notice: RectificationNotice) -> dict:
    issued = to_local(notice.issued_at)
    return {
        "notice": notice, "enterprise": notice.enterprise, "unit": unit_of(notice.unit),
        "items": [{"title": h.title, "severity": SEVERITY.get(h.severity, h.severity),
                   "major": h.severity == "major", "basis": h.basis or "", "description": h.description or ""}
                  for h in notice.hazards],
        "deadline": _chinese_date(notice.deadline), "issued_on": _chinese_date(issued.date()),
        "issued_by": notice.issued_by.display_name, "printed_at": to_local(utcnow()),
    }


def _chinese_date(day: date) -> str:
    return f"{day:%Y}年{day:%m}月{day:%d}日"
