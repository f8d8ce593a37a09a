"""The regulator's agency overview: every agency with what needs attention (flags) — qualification
expired or expiring, self-check overdue, findings still open, evaluators in more projects than is
plausible — in a fixed number of queries however many agencies there are."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from safetylist.agencies import supervision
from safetylist.agencies.models import Agency, EvaluationProject, Evaluator, project_evaluator
from safetylist.agencies.selfchecks import SelfCheckDue, due_for_agencies
from safetylist.auth.scope import Scope
from safetylist.extensions import db
from safetylist.remediation.models import ACTIVE_STATUSES, Hazard
from safetylist.timeutil import local_today


@dataclass(frozen=True)
class Flag:
    kind: str      # qualification_expired | qualification_expiring | qualification_missing |
                   # self_check_overdue | findings_open | busy_evaluator
    level: str     # danger | warn
    text: str


@dataclass
class AgencyRow:
    agency: Agency
    evaluators: int = 0
    projects_this_year: int = 0
    open_findings: int = 0
    self_checks: list[SelfCheckDue] = field(default_factory=list)
    busy: list[tuple[Evaluator, int]] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def next_self_check(self) -> SelfCheckDue | None:
        return self.self_checks[0] if self.self_checks else None


def busy_in_window(agency_ids, today: date) -> dict[int, list[tuple[Evaluator, int]]]:
    """{agency id: [(evaluator, reports signed in the last `days` days)]} above the rule's maximum."""
    rule = supervision.rules().busy_evaluator
    since = today - timedelta(days=rule.days - 1)
    counts = db.session.execute(
        select(Evaluator, func.count()).join(project_evaluator, project_evaluator.c.evaluator_id == Evaluator.id)
        .join(EvaluationProject, EvaluationProject.id == project_evaluator.c.project_id)
        .where(Evaluator.agency_id.in_(list(agency_ids)), EvaluationProject.report_on >= since,
               EvaluationProject.report_on <= today)
        .group_by(Evaluator.id).having(func.count() > rule.max_projects)
        .order_by(func.count().desc(), Evaluator.name)).all()
    result: dict[int, list] = {}
    for evaluator, count in counts:
        result.setdefault(evaluator.agency_id, []).append((evaluator, count))
    return result


def flags_for(row: AgencyRow, today: date) -> list[Flag]:
    rules = supervision.rules()
    agency = row.agency
    flags = []
    expires = agency.qualification_expires_on
    if expires is None:
        flags.append(Flag("qualification_missing", "warn", _("No qualification certificate on record")))
    elif expires < today:
        flags.append(Flag("qualification_expired", "danger",
                          _("Qualification expired on %(day)s", day=expires.isoformat())))
    elif expires <= today + timedelta(days=rules.qualification_expiring_days):
        flags.append(Flag("qualification_expiring", "warn", _("Qualification expires on %(day)s (in %(n)d days)",
                                                              day=expires.isoformat(), n=(expires - today).days)))
    for due in row.self_checks:
        if due.overdue:
            flags.append(Flag("self_check_overdue", "danger", _("Self-check overdue since %(day)s",
                                                                day=due.due_on.isoformat())))
    if row.open_findings:
        flags.append(Flag("findings_open", "warn", _("%(n)d findings not yet rectified", n=row.open_findings)))
    for evaluator, count in row.busy:
        flags.append(Flag("busy_evaluator", "warn", _(
            "%(name)s signed %(count)d reports in %(days)d days (more than %(max)d is implausible)",
            name=evaluator.name, count=count, days=rules.busy_evaluator.days, max=rules.busy_evaluator.max_projects)))
    return flags


def agency_rows(actor, today: date | None = None, agencies: list[Agency] | None = None) -> list[AgencyRow]:
    """The overview's rows for the agencies in the actor's scope (or the ones given), flagged first."""
    today = today or local_today()
    scope = Scope(actor)
    if agencies is None:
        agencies = db.session.scalars(scope.agencies().order_by(Agency.active.desc(), Agency.name)).all()
    ids = [a.id for a in agencies]
    if not ids:
        return []
    evaluators = dict(db.session.execute(select(Evaluator.agency_id, func.count()).where(
        Evaluator.agency_id.in_(ids), Evaluator.active.is_(True)).group_by(Evaluator.agency_id)).all())
    projects = dict(db.session.execute(select(EvaluationProject.agency_id, func.count()).where(
        EvaluationProject.agency_id.in_(ids), EvaluationProject.report_on >= date(today.year, 1, 1))
        .group_by(EvaluationProject.agency_id)).all())
    findings = dict(db.session.execute(
        scope.hazards().with_only_columns(Hazard.agency_id, func.count())
        .where(Hazard.agency_id.in_(ids), Hazard.status.in_(ACTIVE_STATUSES)).group_by(Hazard.agency_id)).all())
    due = due_for_agencies(ids, today)
    busy = busy_in_window(ids, today)
    rows = []
    for agency in agencies:
        row = AgencyRow(agency, evaluators.get(agency.id, 0), projects.get(agency.id, 0), findings.get(agency.id, 0),
                        due.get(agency.id, []), busy.get(agency.id, []))
        if agency.active:
            row.flags = flags_for(row, today)
        rows.append(row)
    return sorted(rows, key=lambda r: (not r.agency.active, not any(f.level == "danger" for f in r.flags),
                                       not r.flags, r.agency.name))
