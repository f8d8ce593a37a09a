"""Where reminders come from: each source reads the subjects whose deadlines fall in a window,
in a few indexed queries, and describes each as an Item (deadline, who it concerns, the values
its texts may use). data/reminders.yaml names a source per reminder."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import and_, exists, func, select

from safetylist.agencies.models import Agency
from safetylist.auth import roles
from safetylist.auth.models import User
from safetylist.extensions import db
from safetylist.registry.models import Enterprise
from safetylist.remediation import escalation
from safetylist.remediation.models import ACTIVE_STATUSES, Hazard
from safetylist.standardization.models import Certificate


@dataclass(frozen=True)
class Item:
    subject_id: int
    deadline: date | datetime          # what the stages count to
    params: dict                       # values for the texts; a {"zh": …, "en": …} value is per language
    link: str | None = None
    variant: str = ""                  # tells apart several reminders of one subject and deadline
    enterprise_id: int | None = None
    agency_id: int | None = None
    street_id: int | None = None
    grid_id: int | None = None
    supervisor_id: int | None = None
    user_id: int | None = None         # the person concerned: a digest's reader, an interview's organiser
    level: str | None = None           # street | district: where an escalation goes


@dataclass(frozen=True)
class Window:
    """What a source is asked for: deadlines from `first` (None: no limit) to `last`, at `now`."""
    today: date
    first: date | None
    last: date
    match: dict
    now: datetime
    # The stage key a subject would get now for a deadline, or None (lets digests skip work).
    stage_for: Callable[[date | datetime], str | None]
    # Subject ids already notified for (deadline, stage key): digests skip them.
    recorded: Callable[[date | datetime, str], set[int]]


@dataclass(frozen=True)
class Source:
    subject_type: str
    fields: frozenset[str]
    items: Callable[[Window], list[Item]]
    match_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timed: bool = False  # deadlines carry a time of day (hours offsets allowed)


def _both(zh: str | None, en: str | None) -> dict:
    return {"zh": zh or en or "", "en": en or zh or ""}


def _between(column, window: Window):
    return column <= window.last if window.first is None else column.between(window.first, window.last)


# --- hazards ---------------------------------------------------------------------------------
def _hazard_rows(condition, window: Window):
    query = (select(Hazard.id, Hazard.title, Hazard.title_en, Hazard.deadline, Hazard.severity,
                    Hazard.enterprise_id, Hazard.agency_id, Hazard.supervisor_id,
                    Enterprise.name.label("enterprise_name"), Enterprise.street_id, Enterprise.grid_id,
                    Agency.name.label("agency_name"))
             .outerjoin(Enterprise, Enterprise.id == Hazard.enterprise_id)
             .outerjoin(Agency, Agency.id == Hazard.agency_id)
             .where(Hazard.status.in_(ACTIVE_STATUSES), condition))
    if "severity" in window.match:
        query = query.where(Hazard.severity == window.match["severity"])
    return db.session.execute(query.order_by(Hazard.id)).all()


def _hazard_item(row, window: Window, deadline, **extra) -> Item:
    # Unpacked by position (the columns of _hazard_rows): reading a Row's fields by name costs
    # ~0.5 µs each, a tenth of a second for the 20,000 hazards a district may have overdue.
    (hazard_id, title, title_en, hazard_deadline, severity, enterprise_id, agency_id, supervisor_id,
     enterprise_name, street_id, grid_id, agency_name) = row
    return Item(
        subject_id=hazard_id, deadline=deadline, link=f"/hazards/{hazard_id}",
        enterprise_id=enterprise_id, agency_id=agency_id, street_id=street_id,
        grid_id=grid_id, supervisor_id=supervisor_id,
        params={"title": _both(title, title_en), "party": enterprise_name or agency_name or "",
                "deadline": hazard_deadline.isoformat(), "severity": severity,
                "days_left": max(0, (hazard_deadline - window.today).days),
                "days_overdue": max(0, (window.today - hazard_deadline).days), **extra.pop("params", {})},
        **extra)


def hazard_deadlines(window: Window) -> list[Item]:
    rows = _hazard_rows(_between(Hazard.deadline, window), window)
    return [_hazard_item(row, window, row.deadline) for row in rows]


def hazard_escalations(window: Window) -> list[Item]:
    """One item per (hazard, escalation rule): the deadline is the first day the rule is met."""
    items = []
    for rule in escalation.rules():
        shift = timedelta(days=rule.overdue_days + 1)  # met once overdue by more than overdue_days
        first = window.first - shift if window.first else None
        if "severity" in window.match and window.match["severity"] != rule.severity:
            continue
        condition = and_(Hazard.severity == rule.severity,
                         Hazard.deadline <= window.last - shift if first is None
                         else Hazard.deadline.between(first, window.last - shift))
        for row in _hazard_rows(condition, window):
            items.append(_hazard_item(row, window, row.deadline + shift, variant=rule.id, level=rule.escalate_to,
                                      params={"rule": _both(rule.zh, rule.en)}))
    return items


# --- grid inspections (a morning digest per grid worker) --------------------------------------
def inspection_digests(window: Window) -> list[Item]:
    """One item per grid worker with inspections due today or overdue in the grids they answer for
    (as responsible worker or backup). The district's due list is worked out once, then split by
    grid: a handful of queries whatever the number of workers."""
    from safetylist.auth.system import SYSTEM
    from safetylist.grid.inspections import due_inspections
    from safetylist.grid.models import GridAssignment
    stage = window.stage_for(window.today)
    if stage is None:
        return []
    done = window.recorded(window.today, stage)
    grids_of: dict[int, set[int]] = {}
    for user_id, grid_id in db.session.execute(
            select(GridAssignment.user_id, GridAssignment.grid_id).join(User, User.id == GridAssignment.user_id)
            .where(User.role == roles.GRID_WORKER, User.active.is_(True), GridAssignment.current_on(window.today),
                   User.id.not_in(done) if done else True)):
        grids_of.setdefault(user_id, set()).add(grid_id)
    if not grids_of:
        return []
    by_grid: dict[int, list] = {}
    for task in due_inspections(SYSTEM, today=window.today):
        if task.due_on <= window.today and task.enterprise.grid_id is not None:
            by_grid.setdefault(task.enterprise.grid_id, []).append(task)
    items = []
    for worker_id in sorted(grids_of):
        tasks = [task for grid_id in grids_of[worker_id] for task in by_grid.get(grid_id, ())]
        if not tasks:
            continue
        items.append(Item(subject_id=worker_id, deadline=window.today, user_id=worker_id, link="/grid/",
                          params={"due": len(tasks), "overdue": sum(1 for t in tasks if t.due_on < window.today),
                                  "ordered": sum(1 for t in tasks if t.orders)}))
    return items


# --- checklists an enterprise's officers owe --------------------------------------------------
def checklists_due(window: Window) -> list[Item]:
    """Each checklist due today or overdue, for enterprises that have an officer account. Two
    queries for the whole district: enterprises, then the last submission per checklist."""
    from safetylist.checklists import versions
    from safetylist.checklists.due import applies_to, next_due
    from safetylist.checklists.models import ChecklistRun, ChecklistVersion
    from safetylist.checklists.runs import enterprise_profile
    from safetylist.timeutil import to_local
    checklists = {key: entry.definition for key, entry in versions.library().entries.items()
                  if entry.definition.audience == "enterprise" and entry.definition.frequency != "on_demand"}
    if not checklists:
        return []
    has_officer = exists().where(User.enterprise_id == Enterprise.id, User.role == roles.OFFICER,
                                 User.active.is_(True))
    enterprises = db.session.scalars(select(Enterprise).where(Enterprise.status == "active", has_officer)).all()
    last = {(row[0], row[1]): row[2] for row in db.session.execute(
        select(ChecklistRun.enterprise_id, ChecklistVersion.checklist_key, func.max(ChecklistRun.submitted_at))
        .join(ChecklistRun.version)
        .where(ChecklistRun.status == "submitted", ChecklistVersion.checklist_key.in_(list(checklists)),
               ChecklistRun.enterprise_id.in_(select(Enterprise.id).where(Enterprise.status == "active", has_officer)))
        .group_by(ChecklistRun.enterprise_id, ChecklistVersion.checklist_key))}
    items = []
    for enterprise in enterprises:
        profile = enterprise_profile(enterprise)
        for key, checklist in checklists.items():
            if not applies_to(checklist, profile):
                continue
            submitted = last.get((enterprise.id, key))
            due_on = next_due(checklist.frequency, to_local(submitted).date() if submitted else None, window.today)
            if due_on is None or due_on > window.last or (window.first and due_on < window.first):
                continue
            items.append(Item(subject_id=enterprise.id, deadline=due_on, variant=key,
                              enterprise_id=enterprise.id, street_id=enterprise.street_id,
                              link="/",  # the officer's home lists what is due, with the start buttons
                              params={"checklist": _both(checklist.title.zh, checklist.title.en),
                                      "party": enterprise.name, "deadline": due_on.isoformat()}))
    return items


# --- certificates and qualifications expiring ------------------------------------------------
def certificate_expiries(window: Window) -> list[Item]:
    rows = db.session.execute(
        select(Certificate.id, Certificate.number, Certificate.grade, Certificate.expires_on,
               Certificate.enterprise_id, Enterprise.name, Enterprise.street_id)
        .join(Enterprise, Enterprise.id == Certificate.enterprise_id)
        .where(Certificate.status == "valid", _between(Certificate.expires_on, window))).all()
    return [Item(subject_id=row.id, deadline=row.expires_on, enterprise_id=row.enterprise_id,
                 street_id=row.street_id, link=f"/enterprises/{row.enterprise_id}",
                 params={"party": row.name, "number": row.number, "grade": row.grade,
                         "deadline": row.expires_on.isoformat(),
                         "days_left": max(0, (row.expires_on - window.today).days)}) for row in rows]


def qualification_expiries(window: Window) -> list[Item]:
    rows = db.session.execute(select(Agency).where(_between(Agency.qualification_expires_on, window))).scalars()
    return [Item(subject_id=agency.id, deadline=agency.qualification_expires_on, agency_id=agency.id,
                 params={"party": agency.name, "number": agency.qualification_no or "",
                         "deadline": agency.qualification_expires_on.isoformat(),
                         "days_left": max(0, (agency.qualification_expires_on - window.today).days)})
            for agency in rows]


def agency_self_checks_due(window: Window) -> list[Item]:
    """Each active agency's self-checks due in the window (by schedule or a call), in a few queries."""
    from safetylist.agencies.selfchecks import due_for_agencies
    agencies = db.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.id)).all()
    due = due_for_agencies([a.id for a in agencies], window.today)
    items = []
    for agency in agencies:
        for row in due[agency.id]:
            if row.due_on is None or row.due_on > window.last or (window.first and row.due_on < window.first):
                continue
            items.append(Item(subject_id=agency.id, deadline=row.due_on, variant=row.key, agency_id=agency.id,
                              link=f"/agencies/{agency.id}",
                              params={"checklist": _both(row.definition.title.zh, row.definition.title.en),
                                      "party": agency.name, "deadline": row.due_on.isoformat()}))
    return items


# --- standardization: flagged certificates, applications to review and to decide ---------------
def _moment_between(column, window: Window):
    """A stored (UTC) time whose local day lies in the window."""
    from safetylist.timeutil import utc_start_of
    upper = column < utc_start_of(window.last + timedelta(days=1))
    return upper if window.first is None else and_(upper, column >= utc_start_of(window.first))


def certificates_flagged(window: Window) -> list[Item]:
    """Valid certificates a veto event flagged for review (待复核), from the day of the flag."""
    from safetylist.timeutil import to_local
    rows = db.session.execute(
        select(Certificate.id, Certificate.number, Certificate.grade, Certificate.flagged_at,
               Certificate.enterprise_id, Enterprise.name, Enterprise.street_id)
        .join(Enterprise, Enterprise.id == Certificate.enterprise_id)
        .where(Certificate.status == "valid", Certificate.flagged_at.is_not(None),
               _moment_between(Certificate.flagged_at, window)).order_by(Certificate.id)).all()
    return [Item(subject_id=row.id, deadline=to_local(row.flagged_at).date(), enterprise_id=row.enterprise_id,
                 street_id=row.street_id, link=f"/standardization/certificates/{row.id}",
                 params={"party": row.name, "number": row.number, "grade": row.grade})
            for row in rows]


def _applications(status: str, moment, window: Window) -> list:
    from safetylist.standardization.models import Assessment
    return db.session.execute(
        select(Assessment.id, moment, Assessment.enterprise_id, Assessment.reviewer_user_id,
               Assessment.reviewer_agency_id, Enterprise.name, Enterprise.street_id)
        .join(Enterprise, Enterprise.id == Assessment.enterprise_id)
        .where(Assessment.status == status, _moment_between(moment, window)).order_by(Assessment.id)).all()


def applications_to_review(window: Window) -> list[Item]:
    """Standardization applications assigned to a reviewer (a regulator, or an agency's staff)."""
    from safetylist.standardization.models import Assessment
    from safetylist.timeutil import to_local
    return [Item(subject_id=row[0], deadline=to_local(row[1]).date(), street_id=row[6],
                 user_id=row[3], agency_id=row[4], link=f"/standardization/assessments/{row[0]}",
                 params={"party": row[5]})
            for row in _applications("in_review", Assessment.assigned_at, window)]


def applications_to_decide(window: Window) -> list[Item]:
    """Reviewed standardization applications waiting for the district's decision."""
    from safetylist.standardization.models import Assessment
    from safetylist.timeutil import to_local
    return [Item(subject_id=row[0], deadline=to_local(row[1]).date(), enterprise_id=row[2], street_id=row[6],
                 link=f"/standardization/assessments/{row[0]}", params={"party": row[5]})
            for row in _applications("reviewed", Assessment.review_submitted_at, window)]


# --- interviews (约谈) ahead -------------------------------------------------------------------
def interview_times(window: Window) -> list[Item]:
    """Interviews still to be held (planned, or notice issued) on a local day of the window; the
    deadline is the planned time, so moving it starts the stages again."""
    from safetylist.interviews.models import Interview
    from safetylist.timeutil import to_local, utc_start_of
    rows = db.session.execute(
        select(Interview.id, Interview.planned_at, Interview.place, Interview.notice_number,
               Interview.authority_name, Interview.enterprise_id, Interview.street_id, Interview.created_by_id,
               Enterprise.name, Enterprise.street_id, Enterprise.grid_id)
        .outerjoin(Enterprise, Enterprise.id == Interview.enterprise_id)
        .where(Interview.status.in_(("planned", "notice_issued")),
               Interview.planned_at < utc_start_of(window.last + timedelta(days=1)),
               Interview.planned_at >= utc_start_of(window.first) if window.first else True)
        .order_by(Interview.id)).all()
    items = []
    for (interview_id, planned_at, place, number, authority, enterprise_id, street_id, organizer_id,
         enterprise_name, enterprise_street_id, grid_id) in rows:
        moment = to_local(planned_at)
        items.append(Item(subject_id=interview_id, deadline=moment, link=f"/interviews/{interview_id}",
                          enterprise_id=enterprise_id, street_id=street_id or enterprise_street_id,
                          grid_id=grid_id, user_id=organizer_id,
                          params={"party": enterprise_name or authority or "", "place": place,
                                  "time": moment.strftime("%Y-%m-%d %H:%M"), "number": number or ""}))
    return items


_HAZARD_FIELDS = frozenset({"title", "party", "deadline", "severity", "days_left", "days_overdue"})
SOURCES: dict[str, Source] = {
    "hazard_deadline": Source("hazard", _HAZARD_FIELDS, hazard_deadlines, {"severity": ("general", "major")}),
    "hazard_escalation": Source("hazard", _HAZARD_FIELDS | {"rule"}, hazard_escalations,
                                {"severity": ("general", "major")}),
    "inspection_digest": Source("user", frozenset({"due", "overdue", "ordered"}), inspection_digests),
    "checklist_due": Source("enterprise", frozenset({"checklist", "party", "deadline"}), checklists_due),
    "certificate_expiry": Source("certificate", frozenset({"party", "number", "grade", "deadline", "days_left"}),
                                 certificate_expiries),
    "qualification_expiry": Source("agency", frozenset({"party", "number", "deadline", "days_left"}),
                                   qualification_expiries),
    "agency_self_check_due": Source("agency", frozenset({"checklist", "party", "deadline"}), agency_self_checks_due),
    "certificate_flagged": Source("certificate", frozenset({"party", "number", "grade"}), certificates_flagged),
    "standardization_review": Source("assessment", frozenset({"party"}), applications_to_review),
    "standardization_decision": Source("assessment", frozenset({"party"}), applications_to_decide),
    "interview": Source("interview", frozenset({"party", "place", "time", "number"}), interview_times, timed=True),
}
