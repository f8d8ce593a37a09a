"""The remediation service: the one entry point through which hazards are opened and move
(隐患整改闭环). Every change writes an append-only timeline entry (`add_event`) and an audit entry."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.registry.models import Enterprise
from safetylist.remediation.models import SEVERITIES, ExtensionRequest, Hazard, HazardEvent
from safetylist.timeutil import to_local, utcnow


KIND_SOURCES = {"self_check": "self_check", "site_inspection": "site_inspection",
                "agency_self_check": "agency_self_check", "agency_spot_check": "spot_check",
                "standardization": "standardization"}


def hazard_source(run) -> str:
    """Where a run's hazards come from: a site inspection the enterprise owed to a regulator's
    order counts as the campaign's (专项检查)."""
    source = KIND_SOURCES.get(run.version.kind, "other")
    if source == "site_inspection" and run.enterprise is not None:
        from safetylist.grid.orders import open_orders, pending_for
        if pending_for(open_orders(), run.enterprise, _before(run)):
            return "campaign"
    return source


def _before(run):
    """The enterprise's previous submitted site inspection, for judging which orders this run fulfils."""
    from sqlalchemy import func, select

    from safetylist.checklists.models import ChecklistRun, ChecklistVersion
    return db.session.scalar(select(func.max(ChecklistRun.submitted_at)).join(ChecklistRun.version).where(
        ChecklistRun.enterprise_id == run.enterprise_id, ChecklistRun.status == "submitted",
        ChecklistRun.id != run.id, ChecklistVersion.kind == "site_inspection"))


def open_hazards_for_run(actor, run, findings, found_on: date) -> list[Hazard]:
    """Open one hazard per finding of a submitted run, inside the caller's transaction."""
    return open_hazards(actor, findings, found_on, enterprise_id=run.enterprise_id, agency_id=run.agency_id,
                        run_id=run.id, notes=run.notes or {}, source=hazard_source(run) if findings else "other")


def open_hazards(actor, findings, found_on: date, *, enterprise_id: int | None, agency_id: int | None = None,
                 run_id: int | None = None, notes: dict | None = None, source: str = "other") -> list[Hazard]:
    """Open one hazard per engine finding (a run's, or a standardization review's), inside the caller's
    transaction; the filler's remark on the failed item becomes the description."""
    hazards = []
    for finding in findings:
        note = (notes or {}).get(finding.item_id)
        hazard = Hazard(
            enterprise_id=enterprise_id, agency_id=agency_id, run_id=run_id,
            checklist_item=finding.item_id, severity=finding.severity,
            title=finding.ask.zh[:300], title_en=finding.ask.en[:300],
            description=str(note)[:2000] if note else None, basis=finding.basis,
            found_on=found_on, deadline=found_on + timedelta(days=finding.fix_within_days),
            rectification_evidence=finding.rectification_evidence, notify=list(finding.notify),
            created_by_id=getattr(actor, "id", None), source=source)
        db.session.add(hazard)
        hazards.append(hazard)
    db.session.flush()
    for hazard in hazards:
        add_event(hazard, actor, "opened", None, "open", details={
            "severity": hazard.severity, "run_id": run_id, "item": hazard.checklist_item,
            "deadline": hazard.deadline.isoformat(), "source": hazard.source})
    _check_certificates(hazards)
    return hazards


def _check_certificates(hazards: list[Hazard]) -> None:
    """A major hazard is a veto event for a standardization certificate (标准化否决项): flag it for review."""
    enterprises = {h.enterprise_id for h in hazards if h.severity == "major" and h.enterprise_id}
    if enterprises:
        from safetylist.standardization.certificates import check_veto_events
        check_veto_events(enterprises)


def add_event(hazard: Hazard, actor, action: str, from_status: str | None, to_status: str | None,
              comment: str | None = None, details: dict | None = None) -> HazardEvent:
    """Append a step to the hazard's timeline (and the audit trail), in the caller's transaction."""
    entry = HazardEvent(hazard_id=hazard.id, actor_id=getattr(actor, "id", None), action=action,
                        from_status=from_status, to_status=to_status, comment=comment, details=details or {})
    db.session.add(entry)
    record(actor, f"hazard_{action}", hazard, from_status=from_status, to_status=to_status,
           **({"comment": comment} if comment else {}), **(details or {}))
    return entry


# --- the loop: who may do what, and doing it --------------------------------------------------------
MAX_TEXT = 2000
INSPECTORS = (roles.GRID_WORKER, roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR)
REGULATORS = (roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR)


def _is_party(actor, hazard: Hazard) -> bool:
    """The enterprise's officer (or the agency's staff) who rectifies the hazard."""
    if hazard.enterprise_id is not None:
        return actor.role == roles.OFFICER and actor.enterprise_id == hazard.enterprise_id
    return actor.role == roles.AGENCY_STAFF and actor.agency_id == hazard.agency_id


def pending_extension(hazard: Hazard) -> ExtensionRequest | None:
    return db.session.scalars(select(ExtensionRequest).where(
        ExtensionRequest.hazard_id == hazard.id, ExtensionRequest.status == "pending")).first()


def allowed_actions(actor, hazard: Hazard) -> set[str]:
    """What the actor may do to the hazard now (the page shows these; every action checks again)."""
    if not in_scope(actor, hazard):
        return set()
    role, allowed = actor.role, set()
    party = _is_party(actor, hazard)
    if hazard.status == "open" and party:
        allowed.add("submit_rectification")
    if hazard.status == "rectification_submitted":
        verifiers = REGULATORS if hazard.severity == "major" else INSPECTORS
        if role in verifiers:
            allowed |= {"verify", "reject"}
    if hazard.active:
        if role in REGULATORS or (role == roles.GRID_WORKER and hazard.created_by_id == actor.id):
            allowed.add("withdraw")
        if party or role in INSPECTORS:
            allowed.add("temporary_measures")
        pending = pending_extension(hazard)
        if party and pending is None:
            allowed.add("request_extension")
        if pending is not None and role in REGULATORS:
            allowed.add("decide_extension")
        if hazard.severity == "major" and role in REGULATORS and \
                _level(actor) != hazard.supervision_level and hazard.supervision_level != "district":
            allowed.add("supervise")
    return allowed


def _level(actor) -> str:
    return "district" if actor.role == roles.DISTRICT_REGULATOR else "street"


def in_scope(actor, hazard: Hazard) -> bool:
    return db.session.scalar(Scope(actor).hazards().with_only_columns(Hazard.id)
                             .where(Hazard.id == hazard.id)) is not None


def _check(actor, hazard: Hazard, action: str, expected_version: int | None) -> None:
    """Refuse a stale form, or an action the actor may not take now, before anything changes."""
    if expected_version is not None and expected_version != hazard.lock_version:
        raise _stale(hazard)
    if action not in allowed_actions(actor, hazard):
        raise PermissionDenied(refusal_reason(actor, hazard, action))


def refusal_reason(actor, hazard: Hazard, action: str) -> str:
    if action in ("verify", "reject") and hazard.status != "rectification_submitted":
        return _("Only a submitted rectification can be verified or rejected.")
    if action in ("verify", "reject") and hazard.severity == "major":
        return _("A major hazard is verified and closed by a street or district regulator.")
    if action == "submit_rectification" and hazard.status != "open":
        return _("A rectification can be submitted only while the hazard is open.")
    if not hazard.active:
        return _("This hazard is %(status)s: nothing more can be done to it.", status=status_label(hazard.status))
    return _("Your role may not do this to this hazard.")


def status_label(status: str) -> str:
    from safetylist.remediation.labels import STATUS_LABELS
    return str(STATUS_LABELS.get(status, status))


def _text(value: str | None, field: str, required: bool, message: str) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed({field: message})
    if len(text) > MAX_TEXT:
        raise ValidationFailed({field: _("At most %(n)d characters.", n=MAX_TEXT)})
    return text or None


def _stale(hazard: Hazard) -> StaleObject:
    """Undo this request's changes and describe the hazard as the other request left it."""
    db.session.rollback()
    db.session.refresh(hazard)
    return StaleObject(_("Someone else changed this hazard meanwhile (it is now: %(status)s). "
                         "Check the timeline and try again.", status=status_label(hazard.status)))


def _flush(hazard: Hazard) -> None:
    """Write the hazard now: the version check happens here, before any timeline entry is added."""
    try:
        db.session.flush()
    except StaleDataError:
        raise _stale(hazard) from None


def _commit(hazard: Hazard) -> Hazard:
    try:
        db.session.commit()
    except StaleDataError:
        raise _stale(hazard) from None
    return hazard


def _move(actor, hazard: Hazard, action: str, to_status: str, comment: str | None, **details) -> None:
    from_status = hazard.status
    hazard.status = to_status
    _flush(hazard)
    add_event(hazard, actor, action, from_status, to_status, comment, details)


def submit_rectification(actor, hazard: Hazard, note: str | None, photo_refs: list[str] | None = None,
                         expected_version: int | None = None) -> Hazard:
    """The enterprise reports what it did, with the evidence its checklist item requires."""
    _check(actor, hazard, "submit_rectification", expected_version)
    text = _text(note, "note", True, _("Describe what was done to fix the hazard."))
    refs = list(dict.fromkeys(photo_refs or ()))
    if refs:
        from safetylist.photos.models import Photo
        owned = set(db.session.scalars(select(Photo.ref).where(Photo.ref.in_(refs), Photo.hazard_id == hazard.id)))
        if set(refs) - owned:
            raise ValidationFailed({"photos": _("Some photos are not this hazard's.")})
    if hazard.rectification_evidence == "photo" and not refs:
        raise ValidationFailed({"photos": _("This hazard needs a photo of the fixed state.")})
    hazard.rectification_note, hazard.rectification_photos = text, refs
    hazard.rectification_submitted_at = utcnow()
    _move(actor, hazard, "rectification_submitted", "rectification_submitted", text, photos=refs)
    return _commit(hazard)


def verify(actor, hazard: Hazard, comment: str | None = None, expected_version: int | None = None) -> Hazard:
    """销号: the rectification is checked and the hazard is closed."""
    _check(actor, hazard, "verify", expected_version)
    text = _text(comment, "comment", False, "")
    hazard.closed_at, hazard.closed_by_id = utcnow(), actor.id
    _move(actor, hazard, "verified", "closed", text)
    return _commit(hazard)


def reject(actor, hazard: Hazard, reason: str | None, expected_version: int | None = None) -> Hazard:
    """The rectification is not good enough: back to open, with the reason the enterprise sees."""
    _check(actor, hazard, "reject", expected_version)
    text = _text(reason, "comment", True, _("Say why the rectification is not accepted."))
    _move(actor, hazard, "rejected", "open", text)
    return _commit(hazard)


def withdraw(actor, hazard: Hazard, reason: str | None, expected_version: int | None = None) -> Hazard:
    """A hazard opened by mistake is withdrawn, never deleted."""
    _check(actor, hazard, "withdraw", expected_version)
    text = _text(reason, "comment", True, _("Say why the hazard is withdrawn."))
    hazard.closed_at, hazard.closed_by_id = utcnow(), actor.id
    _move(actor, hazard, "withdrawn", "withdrawn", text)
    return _commit(hazard)


def record_temporary_measures(actor, hazard: Hazard, measures: str | None,
                              expected_version: int | None = None) -> Hazard:
    """临时措施 for a hazard that cannot be fixed at once."""
    _check(actor, hazard, "temporary_measures", expected_version)
    text = _text(measures, "measures", True, _("Describe the temporary measures."))
    hazard.temporary_measures = text
    _flush(hazard)
    add_event(hazard, actor, "temporary_measures", hazard.status, hazard.status, text)
    return _commit(hazard)


def request_extension(actor, hazard: Hazard, new_deadline: date | None, reason: str | None) -> ExtensionRequest:
    _check(actor, hazard, "request_extension", None)
    text = _text(reason, "reason", True, _("Say why more time is needed."))
    if new_deadline is None or new_deadline <= hazard.deadline:
        raise ValidationFailed({"new_deadline": _("The new deadline must be after the current one (%(day)s).",
                                                  day=hazard.deadline.isoformat())})
    request = ExtensionRequest(hazard_id=hazard.id, requested_by_id=actor.id, reason=text,
                               old_deadline=hazard.deadline, new_deadline=new_deadline)
    db.session.add(request)
    db.session.flush()
    add_event(hazard, actor, "extension_requested", hazard.status, hazard.status, text,
              {"new_deadline": new_deadline.isoformat()})
    db.session.commit()
    return request


def decide_extension(actor, hazard: Hazard, approve: bool, note: str | None = None,
                     expected_version: int | None = None) -> ExtensionRequest:
    """A regulator approves (the deadline moves) or refuses the pending extension request."""
    _check(actor, hazard, "decide_extension", expected_version)
    request = pending_extension(hazard)
    text = _text(note, "decision_note", not approve, _("Say why the extension is refused."))
    status = "approved" if approve else "refused"
    # Only one decision wins: the update applies only while the request is still pending.
    decided = db.session.execute(
        update(ExtensionRequest).where(ExtensionRequest.id == request.id, ExtensionRequest.status == "pending")
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(), decision_note=text)
        .execution_options(synchronize_session=False))
    if decided.rowcount != 1:
        db.session.rollback()
        raise StaleObject(_("Someone else decided this extension request meanwhile."))
    details = {"old_deadline": request.old_deadline.isoformat(), "new_deadline": request.new_deadline.isoformat()}
    if approve:
        hazard.deadline = request.new_deadline
        _flush(hazard)
    add_event(hazard, actor, f"extension_{status}", hazard.status, hazard.status, text, details)
    _commit(hazard)
    db.session.refresh(request)
    return request


def supervise(actor, hazard: Hazard, supervisor, comment: str | None = None,
              expected_version: int | None = None) -> Hazard:
    """挂牌督办: list a major hazard for supervision by the actor's street or the district, naming who follows it."""
    _check(actor, hazard, "supervise", expected_version)
    level = _level(actor)
    wanted_role = roles.DISTRICT_REGULATOR if level == "district" else roles.STREET_REGULATOR
    if supervisor is None or supervisor.role != wanted_role or not supervisor.active or \
            (level == "street" and supervisor.street_id != actor.street_id):
        raise ValidationFailed({"supervisor": _("Choose a regulator of your unit as the supervisor.")})
    hazard.supervision_level, hazard.supervisor_id, hazard.supervised_at = level, supervisor.id, utcnow()
    _flush(hazard)
    add_event(hazard, actor, "supervised", hazard.status, hazard.status, _text(comment, "comment", False, ""),
              {"level": level, "supervisor": supervisor.display_name})
    return _commit(hazard)


def open_interview_commitment(actor, interview, title: str, responsible_person: str, deadline: date,
                              severity: str = "general") -> Hazard:
    """A commitment made in an interview (约谈承诺) becomes a hazard of the interviewed enterprise, with a
    named owner and a deadline, followed through the loop like any other. In the caller's transaction:
    the interview service checks the interview's state and the input, this checks who may open it."""
    if actor.role not in REGULATORS + (roles.ADMIN,):
        raise PermissionDenied(_("Only regulators record the commitments of an interview."))
    if interview.enterprise_id is None or db.session.scalar(
            Scope(actor).enterprises().with_only_columns(Enterprise.id)
            .where(Enterprise.id == interview.enterprise_id)) is None:
        raise PermissionDenied(_("This enterprise is not in your area."))
    if severity not in SEVERITIES:
        raise ValidationFailed({"severity": _("Choose general or major.")})
    today = to_local(utcnow()).date()
    hazard = Hazard(enterprise_id=interview.enterprise_id, severity=severity, title=title[:300],
                    responsible_person=responsible_person[:60], found_on=today, deadline=deadline,
                    source="interview", interview_id=interview.id, created_by_id=actor.id)
    db.session.add(hazard)
    db.session.flush()
    add_event(hazard, actor, "opened", None, "open",
              _("Commitment made in interview #%(id)d of %(day)s.", id=interview.id,
                day=to_local(interview.planned_at).date().isoformat()),
              {"severity": severity, "deadline": deadline.isoformat(), "source": "interview",
               "interview_id": interview.id, "responsible_person": hazard.responsible_person})
    _check_certificates([hazard])
    return hazard
