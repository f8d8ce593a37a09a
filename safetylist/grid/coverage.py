"""Inspection coverage (巡查覆盖率) of a month for regulators: per community and per responsible grid
worker, how many enterprises were due, inspected and overdue, and the hazards the inspections found."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import func, select, true

from safetylist.auth.models import User
from safetylist.auth.scope import Scope
from safetylist.checklists.models import ChecklistRun, ChecklistVersion
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.grid.inspections import SITE_INSPECTION, InspectionTask, due_inspections
from safetylist.grid.services import responsible_workers, staffed_grid_ids
from safetylist.registry.models import Community, Enterprise, Street
from safetylist.remediation.models import Hazard
from safetylist.timeutil import local_today, utc_start_of

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
YEARS = range(2000, 2100)  # a typo like 0202-07 is refused instead of showing an empty century


@dataclass
class CoverageRow:
    """The counts of one row: a street, a community, a grid worker, or nobody (`unstaffed`)."""
    street: Street | None = None
    community: Community | None = None
    worker: User | None = None
    unstaffed: bool = False  # the enterprises nobody is responsible for: shown flagged
    communities: list[Community] = field(default_factory=list)  # where a worker's enterprises are
    enterprises: int = 0
    due: int = 0
    done: int = 0
    overdue: int = 0
    hazards_found: int = 0
    nobody_responsible: int = 0  # of `enterprises`, those in no grid or a grid with no responsible worker

    @property
    def completion(self) -> float | None:
        """Share of the due enterprises inspected; None when nothing was due."""
        return self.done / self.due if self.due else None


@dataclass
class Coverage:
    month: date  # its first day
    period_end: date
    today: date
    street: Street | None  # None: the whole district, one row per street
    streets: list[Street]  # the streets the actor may choose
    by_street: list[CoverageRow]
    by_community: list[CoverageRow]
    by_worker: list[CoverageRow]  # the flagged nobody-responsible row comes last
    total: CoverageRow

    @property
    def month_value(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def previous_month(self) -> str:
        return (self.month - timedelta(days=1)).strftime("%Y-%m")

    @property
    def next_month(self) -> str:
        return (self.period_end + timedelta(days=1)).strftime("%Y-%m")

    @property
    def current(self) -> bool:
        return self.month <= self.today <= self.period_end


def parse_month(value: str | None, today: date) -> date:
    """The first day of the month written 'YYYY-MM'; today's month when not given."""
    if not value:
        return today.replace(day=1)
    match = MONTH.fullmatch(value.strip())
    if not match or int(match[1]) not in YEARS or not 1 <= int(match[2]) <= 12:
        raise ValidationFailed({"month": _("Choose a month as YYYY-MM, for example %(example)s.",
                                           example=today.strftime("%Y-%m"))})
    return date(int(match[1]), int(match[2]), 1)


def coverage_streets(actor) -> list[Street]:
    """Streets the actor may look at the coverage of."""
    return list(db.session.scalars(Scope(actor).streets()))


def street_coverage(actor, street_id: int | None = None, month: str | None = None,
                    today: date | None = None) -> Coverage:
    """Coverage of the month (default: the current local month) for one street, or for the whole
    district by street when a district regulator or administrator chooses none.

    An enterprise counts as *due* if it was inspected in the month or its next site inspection
    falls by the month's end; *done* if a site inspection was submitted in the month (local time);
    *overdue* if due, not done and its due date has passed today. Due dates are those of
    `due_inspections` today, so for past months they describe the present plan, not that month's.
    Rows follow today's map: the enterprise's community and its grid's responsible worker.
    A constant number of queries whatever the number of enterprises.
    """
    scope = Scope(actor)
    if not scope.can_view_coverage():
        raise PermissionDenied(_("You may not see inspection coverage."))
    today = today or local_today()
    first = parse_month(month, today)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    streets = coverage_streets(actor)
    if street_id is None and len(streets) == 1:
        street_id = streets[0].id  # a street regulator's own street
    street = None
    if street_id is not None:
        street = next((s for s in streets if s.id == street_id), None)
        if street is None:
            abort(404)  # as for any object outside the scope

    tasks = due_inspections(actor, today=today, street_id=street.id if street else None)
    done = _inspected(scope, street, first, last)
    hazards = _hazards_found(scope, street, first, last)
    if street is None:  # by street: only whether anyone is responsible, not who
        workers, staffed = {}, set(db.session.scalars(staffed_grid_ids(today)))
    else:
        grid_ids = {t.enterprise.grid_id for t in tasks if t.enterprise.grid_id}
        workers = responsible_workers(list(grid_ids), on=today) if grid_ids else {}
        staffed = set(workers)

    total = CoverageRow()
    by_street = {s.id: CoverageRow(street=s) for s in streets} if street is None else {}
    by_community: dict[int | None, CoverageRow] = {}
    if street is not None:
        by_community = {c.id: CoverageRow(street=street, community=c) for c in street.communities}
    by_worker: dict[int, CoverageRow] = {}
    unstaffed = CoverageRow(street=street, unstaffed=True)
    for task in tasks:
        enterprise = task.enterprise
        worker = workers.get(enterprise.grid_id)
        unstaffed_here = enterprise.grid_id not in staffed
        rows = [total]
        if street is None:
            rows.append(by_street[enterprise.street_id])
        else:
            community = by_community.get(enterprise.community_id)
            if community is None:  # no community recorded, or not one of the street's
                community = by_community[enterprise.community_id] = CoverageRow(
                    street=street, community=enterprise.community)
            rows.append(community)
            if unstaffed_here:
                rows.append(unstaffed)
            else:
                row = by_worker.setdefault(worker.id, CoverageRow(street=street, worker=worker))
                if enterprise.community and enterprise.community not in row.communities:
                    row.communities.append(enterprise.community)
                rows.append(row)
        _add(rows, task, enterprise.id in done, hazards.get(enterprise.id, 0), unstaffed_here, last)

    workers_rows = sorted(by_worker.values(), key=lambda r: (min((c.id for c in r.communities), default=0),
                                                              r.worker.display_name))
    for row in workers_rows:
        row.communities.sort(key=lambda c: c.id)
    if unstaffed.enterprises:
        workers_rows.append(unstaffed)
    return Coverage(month=first, period_end=last, today=today, street=street, streets=streets,
                    by_street=list(by_street.values()),
                    by_community=sorted(by_community.values(),
                                        key=lambda r: (r.community is None, r.community.id if r.community else 0)),
                    by_worker=workers_rows, total=total)


def _add(rows: list[CoverageRow], task: InspectionTask, done: bool, hazards: int, unstaffed: bool,
         period_end: date) -> None:
    due = done or task.due_on <= period_end
    overdue = due and not done and task.due_on < task.today
    for row in rows:
        row.enterprises += 1
        row.due += due
        row.done += done
        row.overdue += overdue
        row.hazards_found += hazards
        row.nobody_responsible += unstaffed


def _period(first: date, last: date):
    """The month's bounds as stored (naive UTC) times: local midnight to local midnight."""
    return utc_start_of(first), utc_start_of(last + timedelta(days=1))


def _in_street(column, street: Street | None):
    """Rows of the street's enterprises (a subquery, not a list of ids: the district has hundreds)."""
    return column.in_(select(Enterprise.id).where(Enterprise.street_id == street.id)) if street else true()


def _inspected(scope: Scope, street: Street | None, first: date, last: date) -> set[int]:
    """Enterprises (of the street, if given) with a site inspection submitted in the month."""
    start, end = _period(first, last)
    return set(db.session.scalars(
        scope.runs().with_only_columns(ChecklistRun.enterprise_id).distinct().join(ChecklistRun.version)
        .where(_in_street(ChecklistRun.enterprise_id, street), ChecklistRun.status == "submitted",
               ChecklistVersion.kind == SITE_INSPECTION,
               ChecklistRun.submitted_at >= start, ChecklistRun.submitted_at < end)))


def _hazards_found(scope: Scope, street: Street | None, first: date, last: date) -> dict[int, int]:
    """{enterprise id: hazards found by site inspections in the month} (of the street, if given)."""
    return dict(db.session.execute(
        scope.hazards().with_only_columns(Hazard.enterprise_id, func.count(Hazard.id))
        .join(ChecklistRun, Hazard.run_id == ChecklistRun.id).join(ChecklistRun.version)
        .where(_in_street(Hazard.enterprise_id, street), ChecklistVersion.kind == SITE_INSPECTION,
               Hazard.found_on >= first, Hazard.found_on <= last)
        .group_by(Hazard.enterprise_id)).all())


