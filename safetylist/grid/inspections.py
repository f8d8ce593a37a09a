"""Grid inspection plans: when each enterprise is next due for a site inspection (by risk level and
its last inspection), and the grid worker's task list. Reads only; runs are started by the runs service."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.checklists.models import ChecklistRun, ChecklistVersion
from safetylist.extensions import db
from safetylist.grid.models import InspectionFrequency
from safetylist.grid.orders import open_orders, pending_for
from safetylist.grid.services import primary_grid_ids
from safetylist.registry.models import Community, Enterprise
from safetylist.remediation.models import ACTIVE_STATUSES, Hazard
from safetylist.timeutil import local_today, to_local

SITE_INSPECTION = "site_inspection"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def frequencies() -> dict[tuple[int, str], int]:
    """{(district id, risk level): months} as configured."""
    return {(row.district_id, row.risk_level): row.months for row in db.session.scalars(select(InspectionFrequency))}


def next_inspection(months: int, last: date | None, today: date) -> date:
    """Due `months` after the last site inspection; never inspected means due now."""
    return add_months(last, months) if last else today


@dataclass(frozen=True)
class InspectionTask:
    enterprise: Enterprise
    due_on: date
    last_inspected_on: date | None
    last_passed: bool | None
    open_hazards: int
    today: date
    orders: tuple = ()  # regulator-ordered inspections still owed (InspectionOrder)
    backup: bool = False  # the grid worker is the grid's backup, not its responsible worker

    @property
    def overdue_days(self) -> int:
        return max(0, (self.today - self.due_on).days)


def due_inspections(actor, community_id: int | None = None, today: date | None = None,
                    street_id: int | None = None) -> list[InspectionTask]:
    """The actor's inspection tasks (their scope's active enterprises), overdue first, then by due date.

    The due date is the earlier of the regular one (risk level, last inspection) and the due
    dates of regulator orders still owed. Five queries (six for a grid worker) whatever the
    number of enterprises.
    """
    today = today or local_today()
    query = (Scope(actor).enterprises().where(Enterprise.status == "active"))
    if community_id:
        query = query.where(Enterprise.community_id == community_id)
    if street_id:
        query = query.where(Enterprise.street_id == street_id)
    enterprises = db.session.scalars(query).all()
    ids = [e.id for e in enterprises]
    last = last_inspections(ids)
    hazards = dict(db.session.execute(select(Hazard.enterprise_id, func.count())
                                      .where(Hazard.enterprise_id.in_(ids), Hazard.status.in_(ACTIVE_STATUSES))
                                      .group_by(Hazard.enterprise_id)).all()) if ids else {}
    months = frequencies()
    orders = open_orders() if ids else []
    primary = primary_grid_ids(actor.id, today) if actor.role == roles.GRID_WORKER else None
    tasks = []
    for enterprise in enterprises:
        submitted_at, passed = last.get(enterprise.id, (None, None))
        last_day = to_local(submitted_at).date() if submitted_at else None
        interval = months.get((enterprise.street.district_id, enterprise.risk_level), 3)
        owed = tuple(pending_for(orders, enterprise, submitted_at))
        due_on = min([next_inspection(interval, last_day, today)] + [order.due_on for order in owed])
        tasks.append(InspectionTask(enterprise, due_on, last_day, passed, hazards.get(enterprise.id, 0), today,
                                    owed, primary is not None and enterprise.grid_id not in primary))
    return sorted(tasks, key=lambda t: (t.due_on, t.enterprise.name))


def last_inspections(enterprise_ids: list[int]) -> dict[int, tuple]:
    """{enterprise id: (submitted_at, passed)} of each enterprise's latest site inspection."""
    if not enterprise_ids:
        return {}
    latest = (select(ChecklistRun.enterprise_id, func.max(ChecklistRun.submitted_at).label("at"))
              .join(ChecklistRun.version)
              .where(ChecklistRun.enterprise_id.in_(enterprise_ids), ChecklistRun.status == "submitted",
                     ChecklistVersion.kind == SITE_INSPECTION)
              .group_by(ChecklistRun.enterprise_id).subquery())
    rows = db.session.execute(
        select(ChecklistRun.enterprise_id, ChecklistRun.submitted_at, ChecklistRun.passed)
        .join(latest, (latest.c.enterprise_id == ChecklistRun.enterprise_id) & (latest.c.at == ChecklistRun.submitted_at)))
    return {row.enterprise_id: (row.submitted_at, row.passed) for row in rows}


def communities(actor) -> list[Community]:
    """Communities of the actor's grids, for the filter."""
    ids = select(Enterprise.community_id).where(Scope(actor).enterprise_filter())
    return list(db.session.scalars(select(Community).where(Community.id.in_(ids)).order_by(Community.id)))
