"""Agency practice self-checks (机构执业行为自查): when each agency's next one is due — by the checklist's
frequency (e.g. quarterly) or sooner when a regulator's call demands one — and the calls themselves.

The self-check is an ordinary checklist run of kind agency_self_check against the agency; its
failures open hazards with the agency as the responsible party (checklists/runs.py → remediation).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from safetylist.agencies.models import Agency, SelfCheckCall
from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.checklists import versions
from safetylist.checklists.due import next_due
from safetylist.checklists.format import ChecklistDefinition
from safetylist.checklists.models import ChecklistRun, ChecklistVersion
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.timeutil import local_today, to_local, utc_start_of

KIND = "agency_self_check"


def self_check_checklists() -> dict[str, ChecklistDefinition]:
    """The library's agency self-checks, by key."""
    return {key: entry.definition for key, entry in versions.library().entries.items()
            if entry.definition.kind == KIND and entry.definition.audience == "agency"}


@dataclass
class SelfCheckDue:
    agency_id: int
    key: str
    definition: ChecklistDefinition
    last_submitted_on: date | None
    due_on: date | None                    # the earlier of the schedule and the open calls
    draft_run_id: int | None = None
    calls: list[SelfCheckCall] = field(default_factory=list)  # open calls this self-check answers
    today: date = field(default_factory=local_today)

    @property
    def overdue(self) -> bool:
        return self.due_on is not None and self.due_on < self.today


def due_for_agencies(agency_ids, today: date | None = None) -> dict[int, list[SelfCheckDue]]:
    """{agency id: its self-checks with when each is due}, in four queries however many agencies."""
    today = today or local_today()
    agency_ids = list(agency_ids)
    checklists = self_check_checklists()
    if not agency_ids or not checklists:
        return {agency_id: [] for agency_id in agency_ids}

    def latest(aggregate, status):
        return {(row[0], row[1]): row[2] for row in db.session.execute(
            select(ChecklistRun.agency_id, ChecklistVersion.checklist_key, aggregate).join(ChecklistRun.version)
            .where(ChecklistRun.agency_id.in_(agency_ids), ChecklistRun.status == status,
                   ChecklistVersion.checklist_key.in_(list(checklists)))
            .group_by(ChecklistRun.agency_id, ChecklistVersion.checklist_key))}

    submitted = latest(func.max(ChecklistRun.submitted_at), "submitted")
    drafts = latest(func.max(ChecklistRun.id), "draft")
    calls = open_calls(today)
    result: dict[int, list[SelfCheckDue]] = {}
    for agency_id in agency_ids:
        rows = []
        for key, checklist in checklists.items():
            last = submitted.get((agency_id, key))
            scheduled = next_due(checklist.frequency, to_local(last).date() if last else None, today)
            # A call is answered by any self-check submitted after it was made.
            waiting = [c for c in calls if last is None or last < c.created_at]
            due_on = min([d for d in [scheduled, *(c.due_on for c in waiting)] if d is not None], default=None)
            rows.append(SelfCheckDue(agency_id, key, checklist, to_local(last).date() if last else None, due_on,
                                     drafts.get((agency_id, key)), waiting, today))
        result[agency_id] = sorted(rows, key=lambda d: (d.due_on is None, d.due_on or date.max, d.key))
    return result


def open_calls(today: date | None = None, within_days: int = 366) -> list[SelfCheckCall]:
    """Calls still worth answering: due in the future, or overdue by less than a year."""
    from datetime import timedelta
    today = today or local_today()
    return db.session.scalars(select(SelfCheckCall).where(SelfCheckCall.due_on >= today - timedelta(days=within_days))
                              .order_by(SelfCheckCall.due_on, SelfCheckCall.id)).all()


def call_self_checks(actor, title: str, due_on: date | None, reason: str | None = None) -> SelfCheckCall:
    """Demand a self-check from every agency by `due_on` (e.g. for a campaign)."""
    if not Scope(actor).can_call_self_checks():
        raise PermissionDenied(_("Only the district bureau calls for self-checks."))
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Say what the self-check is for (e.g. the campaign's name).")
    elif len(title) > 200:
        errors["title"] = _("At most %(n)d characters.", n=200)
    if due_on is None:
        errors["due_on"] = _("Give the day by which the self-checks are due.")
    elif due_on < local_today():
        errors["due_on"] = _("The day is in the past.")
    reason = (reason or "").strip() or None
    if reason and len(reason) > 2000:
        errors["reason"] = _("At most %(n)d characters.", n=2000)
    if errors:
        raise ValidationFailed(errors)
    call = SelfCheckCall(title=title, due_on=due_on, reason=reason, called_by_id=getattr(actor, "id", None))
    db.session.add(call)
    db.session.flush()
    record(actor, "self_checks_called", call, title=title, due_on=due_on.isoformat())
    db.session.commit()
    return call


def submitted_self_checks(actor, agency: Agency, limit: int = 20) -> list[ChecklistRun]:
    """The agency's submitted self-checks, newest first, as the actor's scope allows."""
    return db.session.scalars(
        Scope(actor).runs().join(ChecklistRun.version)
        .where(ChecklistRun.agency_id == agency.id, ChecklistRun.status == "submitted", ChecklistVersion.kind == KIND)
        .order_by(ChecklistRun.submitted_at.desc()).limit(limit)).all()


def self_checks_since(day: date) -> dict[int, int]:
    """{agency id: self-checks submitted from `day` on}."""
    return dict(db.session.execute(
        select(ChecklistRun.agency_id, func.count()).join(ChecklistRun.version)
        .where(ChecklistRun.status == "submitted", ChecklistVersion.kind == KIND,
               ChecklistRun.submitted_at >= utc_start_of(day))
        .group_by(ChecklistRun.agency_id)).all())
