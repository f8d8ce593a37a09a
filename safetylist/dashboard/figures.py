"""The district at a glance: the figures of the regulators' overview,
each computed in a fixed number of queries over the actor's scope and carrying the link to the list
behind it. A street regulator gets the same figures for their street.

Definitions (kept here so the page, the PDF and the tests agree):
- filed: enterprises in the register; active: those with status active;
- self-check completion this week: active enterprises with at least one submitted self-check (kind
  self_check) from Monday of this week, over active enterprises;
- hazards: still to be fixed (open or rectification submitted), overdue (still to be fixed past the
  deadline), closed — by severity; withdrawn hazards are not counted;
- remediation rate: hazards found in the last 12 months that are closed, over those found (withdrawn
  left out); median days to close: closed_at (local day) − found_on over hazards closed in the last
  12 months;
- trend: hazards found and hazards closed per calendar month, the last 12 months including this one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import url_for
from sqlalchemy import Date, Integer, and_, cast, func, select, text

from safetylist.auth.scope import Scope
from safetylist.checklists.models import ChecklistRun, ChecklistVersion
from safetylist.extensions import db
from safetylist.registry.models import Enterprise
from safetylist.remediation.models import ACTIVE_STATUSES, SEVERITIES, Hazard
from safetylist.timeutil import local_today, utc_start_of


@dataclass(frozen=True)
class Figure:
    value: int | float | None
    link: str | None = None


@dataclass
class Overview:
    today: date
    filed: Figure
    active: Figure
    self_checked: Figure          # enterprises with a self-check this week
    self_check_share: float | None
    hazards: dict[str, dict[str, Figure]] = field(default_factory=dict)  # state -> severity -> figure
    remediation_rate: float | None = None
    median_days_to_close: float | None = None
    trend: list[tuple[str, int, int]] = field(default_factory=list)      # (YYYY-MM, found, closed)
    coverage: object | None = None     # grid.coverage.CoverageRow of this month (due, done, overdue)
    interviews_held: Figure | None = None                                # this year
    grades: object | None = None       # standardization.overview.GradeRow totals (counts, required, without)
    accidents: object | None = None    # interviews.accident_stats.Line "all": this year to date vs last year


def months_back(today: date, count: int = 12) -> list[date]:
    """The first days of the last `count` calendar months, oldest first, this month last."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def enterprise_figures(scope: Scope, today: date) -> tuple[Figure, Figure, Figure, float | None]:
    in_scope = scope.enterprise_filter()
    filed, active = db.session.execute(select(func.count(), func.count().filter(Enterprise.status == "active"))
                                       .select_from(Enterprise).where(in_scope)).one()
    monday = today - timedelta(days=today.weekday())
    checked = db.session.scalar(
        select(func.count(func.distinct(ChecklistRun.enterprise_id))).join(ChecklistRun.version)
        .join(Enterprise, Enterprise.id == ChecklistRun.enterprise_id)
        .where(in_scope, Enterprise.status == "active", ChecklistRun.status == "submitted",
               ChecklistVersion.kind == "self_check", ChecklistRun.submitted_at >= utc_start_of(monday))) or 0
    return (Figure(filed, url_for("registry.index")), Figure(active, url_for("registry.index", status="active")),
            Figure(checked), checked / active if active else None)


def hazard_figures(scope: Scope, today: date) -> dict[str, dict[str, Figure]]:
    """{"active" | "overdue" | "closed": {severity: Figure}} in one query."""
    base = scope.hazards().where(Hazard.enterprise_id.is_not(None)).subquery()
    rows = db.session.execute(
        select(base.c.severity,
               func.count().filter(base.c.status.in_(ACTIVE_STATUSES)),
               func.count().filter(and_(base.c.status.in_(ACTIVE_STATUSES), base.c.deadline < today)),
               func.count().filter(base.c.status == "closed"))
        .group_by(base.c.severity)).all()
    counts = {severity: (active, overdue, closed) for severity, active, overdue, closed in rows}
    result: dict[str, dict[str, Figure]] = {"active": {}, "overdue": {}, "closed": {}}
    for severity in SEVERITIES:
        active, overdue, closed = counts.get(severity, (0, 0, 0))
        result["active"][severity] = Figure(active, url_for("remediation.board", severity=severity))
        result["overdue"][severity] = Figure(overdue, url_for("remediation.board", severity=severity, overdue="1"))
        result["closed"][severity] = Figure(closed, url_for("remediation.board", severity=severity, status="closed"))
    return result


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _local_month(column, utc: bool):
    """'YYYY-MM' of a date column, or of a stored UTC time in Asia/Shanghai (UTC+8 all year, no DST)."""
    if _postgresql():
        moment = column + text("interval '8 hours'") if utc else column
        return func.to_char(moment, "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours") if utc else func.strftime("%Y-%m", column)


def _days_to_close():
    """Local day of closing minus the day found, in whole days, as SQL."""
    if _postgresql():
        return cast(Hazard.closed_at + text("interval '8 hours'"), Date) - Hazard.found_on
    return cast(func.julianday(func.date(Hazard.closed_at, "+8 hours")) - func.julianday(Hazard.found_on),
                     Integer)


def remediation_figures(scope: Scope, today: date) -> tuple[float | None, float | None]:
    """(remediation rate, median days to close) over the last 12 months, in three queries whatever the
    number of hazards: the median is the middle one or two durations in order (LIMIT/OFFSET works on
    SQLite and PostgreSQL alike)."""
    since = months_back(today)[0]
    found = scope.hazards().where(Hazard.enterprise_id.is_not(None), Hazard.found_on >= since,
                                  Hazard.status != "withdrawn").subquery()
    total, closed = db.session.execute(select(func.count(), func.count().filter(found.c.status == "closed"))
                                       .select_from(found)).one()
    closing = scope.hazards().where(Hazard.enterprise_id.is_not(None), Hazard.status == "closed",
                                    Hazard.closed_at >= utc_start_of(since))
    n = _count(closing)
    median = None
    if n:
        days = _days_to_close()
        middle = db.session.scalars(closing.with_only_columns(days).order_by(None).order_by(days)
                                    .limit(1 if n % 2 else 2).offset((n - 1) // 2)).all()
        median = sum(float(d) for d in middle) / len(middle)
    return (closed / total if total else None), median


def trend(scope: Scope, today: date) -> list[tuple[str, int, int]]:
    """(month, hazards found, hazards closed) for the last 12 months: two grouped queries."""
    firsts = months_back(today)
    keys = [d.strftime("%Y-%m") for d in firsts]
    found_month = _local_month(Hazard.found_on, utc=False)
    found = dict(db.session.execute(
        scope.hazards().with_only_columns(found_month, func.count())
        .where(Hazard.enterprise_id.is_not(None), Hazard.status != "withdrawn", Hazard.found_on >= firsts[0])
        .group_by(found_month)).all())
    closed_month = _local_month(Hazard.closed_at, utc=True)
    closed = dict(db.session.execute(
        scope.hazards().with_only_columns(closed_month, func.count())
        .where(Hazard.enterprise_id.is_not(None), Hazard.status == "closed",
               Hazard.closed_at >= utc_start_of(firsts[0]))
        .group_by(closed_month)).all())
    return [(key, found.get(key, 0), closed.get(key, 0)) for key in keys]


def interviews_held(scope: Scope, today: date) -> Figure:
    """Interviews held (or past being held: follow-up, closed) this calendar year."""
    from safetylist.interviews.models import Interview
    query = scope.interviews().where(Interview.held_at >= utc_start_of(date(today.year, 1, 1)),
                                     Interview.status.in_(("held", "follow_up", "closed")))
    return Figure(_count(query), url_for("interviews.index", view="all"))


def overview(actor, today: date | None = None) -> Overview:
    from safetylist.grid.coverage import street_coverage
    from safetylist.interviews import accident_stats
    from safetylist.standardization import overview as standardization
    today = today or local_today()
    scope = Scope(actor)
    filed, active, checked, share = enterprise_figures(scope, today)
    rate, median = remediation_figures(scope, today)
    street_id = getattr(actor, "street_id", None) if scope.role == "street_regulator" else None
    return Overview(
        today, filed, active, checked, share, hazard_figures(scope, today), rate, median, trend(scope, today),
        coverage=street_coverage(actor, street_id, today=today).total,
        interviews_held=interviews_held(scope, today),
        grades=standardization.totals(standardization.grade_distribution(actor, "street", today)),
        accidents=accident_stats.compare(actor, accident_stats.Period.year_to(today.year, today.month, today.day),
                                         years_back=(1,)).lines["all"])
