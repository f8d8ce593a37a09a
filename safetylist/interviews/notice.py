"""Interview notices (约谈通知书): the issuing unit of an interview, its number (gap-free per unit and year,
with the rectification notices' counters under their own unit codes) and the printed A4 form.
Wording and prefixes are data: data/notice.yaml."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from safetylist.auth import roles
from safetylist.extensions import db
from safetylist.interviews.models import InterviewEvent
from safetylist.registry.models import Street
from safetylist.remediation import notices as rectification
from safetylist.reports.pdf import render_pdf
from safetylist.timeutil import to_local, utcnow

NOTICE_FILE = Path(__file__).parent / "data" / "notice.yaml"
WEEKDAYS = "一二三四五六日"


class _Prefix(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    prefix: str


class _Wording(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    opening: str
    summons: str
    prepare: str
    receipt: str
    copies: str


class _NoticeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digits: int = Field(ge=1, le=6)
    district: _Prefix
    street: _Prefix
    enterprise_attendees: str
    wording: _Wording


@lru_cache(maxsize=1)
def settings() -> _NoticeFile:
    with NOTICE_FILE.open(encoding="utf-8") as handle:
        return _NoticeFile.model_validate(yaml.safe_load(handle))


@dataclass(frozen=True)
class InterviewUnit:
    """Who an interview's notice is issued in the name of: the district bureau or a street."""
    code: str  # Interview.notice_unit: "district" or a street's code, as on rectification notices
    name: str  # printed above the seal, and the default interviewing unit
    prefix: str

    @property
    def counter(self) -> str:
        """The NoticeCounter unit: interview notices are numbered apart from rectification notices."""
        return f"interview:{self.code}"

    def number(self, year: int, sequence: int) -> str:
        return f"{self.prefix}〔{year}〕{sequence:0{settings().digits}d}号"


def unit_of(code: str) -> InterviewUnit:
    if code == rectification.DISTRICT:
        issuer = rectification.district_unit()
        return InterviewUnit(issuer.code, issuer.name, settings().district.prefix)
    street = db.session.scalars(db.select(Street).where(Street.code == code)).one()
    issuer = rectification.unit_of_street(street)
    short = street.name_zh.removesuffix("街道")
    return InterviewUnit(issuer.code, issuer.name,
                         settings().street.prefix.format(street=street.name_zh, short=short))


def unit_for(actor) -> InterviewUnit:
    """The unit the actor plans interviews for: a street regulator's street, else the district
    (an administrator plans on the district bureau's behalf)."""
    if actor.role == roles.STREET_REGULATOR:
        return unit_of(actor.street.code)
    return unit_of(rectification.DISTRICT)


def enterprise_attendees(enterprise) -> str:
    return settings().enterprise_attendees.format(legal_representative=enterprise.legal_representative or "")


def next_sequence(unit: InterviewUnit, year: int) -> int:
    """The unit's next interview notice number in the year, under the counter's row lock (held until
    the caller's transaction ends, so a rollback leaves no gap)."""
    return rectification.next_sequence(unit.counter, year)


# --- the printed notice ------------------------------------------------------------------------------
def notice_pdf(interview) -> bytes:
    """The A4 PDF of an interview's notice, always in Chinese."""
    return render_pdf("reports/interview_notice.html", **notice_record(interview))


def notice_record(interview) -> dict:
    words = settings().wording
    planned = to_local(interview.planned_at)
    time = f"{chinese_date(planned.date())}（星期{WEEKDAYS[planned.weekday()]}）{planned:%H:%M}"
    party = interview.enterprise.name if interview.enterprise else interview.authority_name
    issued_by = notice_issuer(interview)
    return {
        "interview": interview, "unit": unit_of(interview.notice_unit), "party": party, "words": words,
        "opening": words.opening.format(unit=interview.interviewing_unit),
        "summons": words.summons.format(time=time, place=interview.place),
        "time": time, "issued_on": chinese_date(to_local(interview.notice_issued_at).date()),
        "accidents": [{"day": chinese_date(to_local(a.occurred_at).date()), "summary": a.summary}
                      for a in interview.accidents],
        "hazards": [h.title for h in interview.hazards],
        "issued_by": issued_by.display_name if issued_by else None, "printed_at": to_local(utcnow()),
    }


def notice_issuer(interview):
    """Who issued the interview's current notice (the latest notice_issued step)."""
    entry = db.session.scalars(db.select(InterviewEvent).where(
        InterviewEvent.interview_id == interview.id, InterviewEvent.action == "notice_issued")
        .order_by(InterviewEvent.id.desc())).first()
    return entry.actor if entry else None


def chinese_date(day: date) -> str:
    return f"{day:%Y}年{day:%m}月{day:%d}日"
