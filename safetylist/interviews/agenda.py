"""The interview list as an agenda: interviews in the actor's scope by day, filtered by what is still
to come or past, state, street and month."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from safetylist.auth.scope import Scope
from safetylist.errors import ValidationFailed
from safetylist.extensions import db
from safetylist.interviews.models import INTERVIEW_STATUSES, Interview
from safetylist.interviews.services import NOT_HELD
from safetylist.registry.services import Page
from safetylist.timeutil import local_today, to_local, utc_start_of

VIEWS = {"upcoming": _l("Upcoming"), "past": _l("Past"), "all": _l("All")}
FIELD_LABELS = {"view": _l("Show"), "status": _l("Status"), "street_id": _l("Street"), "month": _l("Month")}
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass
class InterviewFilters:
    """Default: the interviews not yet held, soonest first (overdue ones on top)."""
    view: str = "upcoming"
    status: str | None = None
    street_id: int | None = None
    month: str | None = None  # YYYY-MM, local calendar

    @classmethod
    def from_args(cls, args) -> InterviewFilters:
        errors: dict[str, str] = {}

        def text(name: str) -> str:
            return (args.get(name) or "").strip()

        view, status, street, month = text("view"), text("status"), text("street_id"), text("month")
        for name, value, ok in (("view", view, not view or view in VIEWS),
                                ("status", status, not status or status in INTERVIEW_STATUSES),
                                ("street_id", street, not street or (street.isdigit() and len(street) < 10)),
                                ("month", month, not month or MONTH.match(month))):
            if not ok:
                errors[name] = _("%(field)s: unknown value “%(value)s”.", field=FIELD_LABELS[name], value=value[:40])
        if errors:
            raise ValidationFailed(errors)
        return cls(view=view or ("all" if status or month else "upcoming"), status=status or None,
                   street_id=int(street) if street else None, month=month or None)

    def month_range(self) -> tuple[date, date] | None:
        if not self.month:
            return None
        year, month = (int(part) for part in self.month.split("-"))
        return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)


def _query(actor, filters: InterviewFilters, today: date):
    query = Scope(actor).interviews()
    if filters.view == "upcoming":
        query = query.where(Interview.status.in_(NOT_HELD))
    elif filters.view == "past":
        query = query.where(Interview.planned_at < utc_start_of(today))
    if filters.status:
        query = query.where(Interview.status == filters.status)
    if filters.street_id:
        query = query.where(Interview.street_id == filters.street_id)
    if months := filters.month_range():
        query = query.where(Interview.planned_at >= utc_start_of(months[0]),
                            Interview.planned_at < utc_start_of(months[1]))
    return query


def list_interviews(actor, filters: InterviewFilters, page: int = 1, per_page: int = 25,
                    today: date | None = None) -> Page:
    """One page: two queries (count, then the page with each interview's enterprise and street)."""
    today = today or local_today()
    query = _query(actor, filters, today)
    total = db.session.scalar(query.with_only_columns(func.count(Interview.id)).order_by(None))
    page = max(1, min(page, max(1, -(-total // per_page))))
    ascending = filters.view == "upcoming" or (filters.month and filters.view != "past")
    order = (Interview.planned_at, Interview.id) if ascending else (Interview.planned_at.desc(), Interview.id.desc())
    items = db.session.scalars(query.options(selectinload(Interview.enterprise), selectinload(Interview.street))
                               .order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def by_day(interviews: list[Interview]) -> list[tuple[date, list[Interview]]]:
    """The page's interviews under their local day, in the page's order."""
    return [(day, list(group)) for day, group in groupby(interviews, key=lambda i: to_local(i.planned_at).date())]
