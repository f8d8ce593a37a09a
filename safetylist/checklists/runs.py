"""The runs service: start, save (draft) and submit checklist runs; due lists.

Pages, the API and tasks build on these functions and never on the engine directly.
Who may fill a checklist follows its `audience`; for whom follows the scope module.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.checklists import versions
from safetylist.checklists.due import applies_to, next_due
from safetylist.checklists.engine import Evaluation, answer_problem, evaluate
from safetylist.checklists.format import ChecklistDefinition
from safetylist.checklists.models import ChecklistRun, ChecklistVersion
from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.registry.models import Enterprise
from safetylist.remediation.services import open_hazards_for_run
from safetylist.timeutil import local_today, to_local, utcnow

# Who fills a checklist of each audience (data in the file, roles here).
FILLERS = {
    "enterprise": {roles.OFFICER},
    "grid_worker": {roles.GRID_WORKER, roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR},
    "regulator": {roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR},
    "agency": {roles.AGENCY_STAFF},
}
MAX_NOTE = 2000


def enterprise_profile(enterprise: Enterprise) -> dict:
    """What `applies_to` looks at."""
    return {"sector": enterprise.sector.code, "flags": enterprise.flags, "risk_level": enterprise.risk_level}


def _check_filler(actor, definition: ChecklistDefinition, enterprise: Enterprise | None, agency_id: int | None):
    if actor.role not in FILLERS[definition.audience]:
        raise PermissionDenied(_("Your role does not fill this checklist."))
    if definition.audience == "agency":
        if agency_id is None or agency_id != actor.agency_id:
            raise PermissionDenied(_("Agency checklists are filled for your own agency."))
        return
    if definition.kind == "agency_spot_check":
        # Agencies are supervised by the district: its regulators check their projects.
        if agency_id is None or enterprise is not None or actor.role != roles.DISTRICT_REGULATOR:
            raise PermissionDenied(_("Spot checks of an agency's projects are for the district's regulators."))
        return
    if enterprise is None:
        raise ValidationFailed({"enterprise": _("Choose the enterprise this checklist is for.")})
    scope = Scope(actor)
    if db.session.scalar(select(Enterprise.id).where(Enterprise.id == enterprise.id,
                                                     scope.enterprise_filter())) is None:
        raise PermissionDenied(_("This enterprise is outside your area."))


def start_run(actor, checklist_key: str, enterprise: Enterprise | None = None,
              agency_id: int | None = None, reuse_draft: bool = True) -> ChecklistRun:
    """A draft run of the current version, or the subject's open draft of the same checklist
    (`reuse_draft=False`: always a new one, for callers that keep their own link to the run)."""
    item = versions.entry(checklist_key)
    if item is None:
        raise DomainError(_("Checklist %(key)s is not in the library (or its file has errors).", key=checklist_key))
    definition = item.definition
    _check_filler(actor, definition, enterprise, agency_id)
    if enterprise is not None and not applies_to(definition, enterprise_profile(enterprise)):
        raise DomainError(_("This checklist does not apply to %(name)s.", name=enterprise.name))
    subject = (ChecklistRun.enterprise_id == enterprise.id) if enterprise is not None \
        else (ChecklistRun.agency_id == agency_id)
    draft = None if not reuse_draft else db.session.scalars(
        select(ChecklistRun).join(ChecklistVersion)
        .where(ChecklistVersion.checklist_key == checklist_key, ChecklistRun.status == "draft", subject)
        .order_by(ChecklistRun.id.desc())).first()
    if draft is not None:
        return draft
    run = ChecklistRun(version=versions.stored_version(item), status="draft", answers={}, notes={},
                       enterprise_id=enterprise.id if enterprise is not None else None,
                       agency_id=None if enterprise is not None else agency_id,
                       started_by_id=getattr(actor, "id", None))
    db.session.add(run)
    db.session.flush()
    record(actor, "run_started", run, checklist=checklist_key, version=definition.version)
    db.session.commit()
    return run


def can_fill(actor, run: ChecklistRun) -> bool:
    """May this user still change the run (a draft they are a filler for)?"""
    if run.submitted:
        return False
    try:
        _check_filler(actor, definition(run), run.enterprise, run.agency_id)
    except (PermissionDenied, ValidationFailed):
        return False
    return True


def definition(run: ChecklistRun) -> ChecklistDefinition:
    return versions.definition_of(run.version)


def _check_draft(actor, run: ChecklistRun) -> ChecklistDefinition:
    if run.submitted:
        raise DomainError(_("This checklist was submitted and can no longer be changed."))
    checklist = definition(run)
    _check_filler(actor, checklist, run.enterprise, run.agency_id)
    return checklist


def _clean_answers(checklist: ChecklistDefinition, answers: dict, notes: dict,
                   evidence: dict | None = None) -> tuple[dict, dict, dict]:
    items = {item.id: item for _, item in checklist.all_items()}
    errors: dict[str, str] = {}
    clean: dict = {}
    for item_id, value in answers.items():
        item = items.get(item_id)
        if item is None:
            errors[item_id] = _("No such item in this checklist.")
            continue
        if value is None or value == "" or value == []:
            clean[item_id] = None  # cleared
            continue
        problem = answer_problem(item, value)
        if problem:
            errors[item_id] = problem
        else:
            clean[item_id] = value
    clean_notes: dict = {}
    for item_id, note in notes.items():
        if item_id not in items:
            errors[item_id] = _("No such item in this checklist.")
        elif not isinstance(note, str) or len(note) > MAX_NOTE:
            errors[item_id] = _("A note is text of at most %(n)d characters.", n=MAX_NOTE)
        else:
            clean_notes[item_id] = note.strip()
    clean_evidence: dict = {}
    for item_id, refs in (evidence or {}).items():
        if item_id not in items:
            errors[item_id] = _("No such item in this checklist.")
        elif not isinstance(refs, list) or not all(isinstance(ref, str) and 0 < len(ref) <= 200 for ref in refs):
            errors[item_id] = _("Evidence is a list of stored photo references.")
        else:
            clean_evidence[item_id] = refs
    if errors:
        raise ValidationFailed(errors)
    return clean, clean_notes, clean_evidence


def _check_photos(run: ChecklistRun, checklist: ChecklistDefinition, answers: dict, evidence: dict) -> None:
    """Photo references must name photos stored for this run's own enterprise or agency."""
    photo_items = {item.id for _, item in checklist.all_items() if item.answer == "photo"}
    wanted: dict[str, set[str]] = {}
    for item_id, refs in list(evidence.items()) + [(k, v) for k, v in answers.items() if k in photo_items]:
        for ref in [refs] if isinstance(refs, str) else (refs or []):
            wanted.setdefault(ref, set()).add(item_id)
    if not wanted:
        return
    from safetylist.photos.models import Photo
    owner = (Photo.enterprise_id == run.enterprise_id) if run.enterprise_id is not None \
        else (Photo.agency_id == run.agency_id)
    known = set(db.session.scalars(select(Photo.ref).where(Photo.ref.in_(list(wanted)), owner)))
    errors = {item_id: _("This photo was not taken for this checklist.")
              for ref, items in wanted.items() if ref not in known for item_id in items}
    if errors:
        raise ValidationFailed(errors)


def _merge(run: ChecklistRun, answers: dict, notes: dict, evidence: dict) -> None:
    """Fold new values into the draft; empty values clear what was there."""
    run.answers = {k: v for k, v in {**run.answers, **answers}.items() if v is not None}
    run.notes = {k: v for k, v in {**run.notes, **notes}.items() if v}
    run.evidence = {k: v for k, v in {**run.evidence, **evidence}.items() if v}


def save_answers(actor, run: ChecklistRun, answers: dict, notes: dict | None = None,
                 evidence: dict | None = None, expected_version: int | None = None) -> ChecklistRun:
    """Merge answers (and notes) into a draft; None or "" clears an answer.

    With `expected_version`, a save based on an older state of the draft is refused
    instead of silently overwriting answers someone else gave meanwhile.
    """
    checklist = _check_draft(actor, run)
    if expected_version is not None and expected_version != run.lock_version:
        raise StaleObject(_("This checklist was changed elsewhere after you opened it. Reload to continue."))
    clean, clean_notes, clean_evidence = _clean_answers(checklist, answers, notes or {}, evidence)
    _check_photos(run, checklist, clean, clean_evidence)
    _merge(run, clean, clean_notes, clean_evidence)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleObject(_("This checklist was changed elsewhere after you opened it. Reload to continue."))
    return run


def preview(run: ChecklistRun) -> Evaluation:
    """What submitting now would give (visible items, missing answers, score so far)."""
    return evaluate(definition(run), run.answers)


@dataclass(frozen=True)
class Submission:
    run: ChecklistRun
    evaluation: Evaluation | None
    hazards: list
    repeated: bool  # the same submission_key was seen before: nothing new happened


def submit_run(actor, run: ChecklistRun, answers: dict | None = None, notes: dict | None = None,
               evidence: dict | None = None, submission_key: str | None = None) -> Submission:
    """Validate, evaluate, store score and findings, open hazards; the run is immutable after.

    A retried submission with the same `submission_key` returns the first result unchanged.
    """
    if submission_key:
        earlier = db.session.scalars(select(ChecklistRun).where(
            ChecklistRun.submission_key == submission_key)).first()
        if earlier is not None and earlier.submitted:
            if earlier.id != run.id:
                raise DomainError(_("This submission key was already used for another checklist."))
            return Submission(earlier, None, [], repeated=True)
    checklist = _check_draft(actor, run)
    if answers or notes or evidence:
        # Kept as the draft even if the submission is refused below: no answer is lost.
        clean, clean_notes, clean_evidence = _clean_answers(checklist, answers or {}, notes or {}, evidence)
        _check_photos(run, checklist, clean, clean_evidence)
        _merge(run, clean, clean_notes, clean_evidence)
        db.session.commit()
    evaluation = evaluate(checklist, run.answers)
    if not evaluation.complete:
        errors = {item_id: _("An answer is required.") for item_id in evaluation.missing}
        errors.update({problem.item_id: problem.message for problem in evaluation.invalid})
        raise ValidationFailed(errors)
    errors = {f.item_id: _("A failed item needs a photo.") for f in evaluation.findings
              if f.evidence == "photo" and not run.evidence.get(f.item_id)}
    errors.update(missing_reasons(evaluation, run.notes))
    if errors:
        raise ValidationFailed(errors)
    # Only answers to visible items are kept: hidden ones never count and are not stored.
    visible = set(evaluation.visible)
    actor_id = getattr(actor, "id", None)
    with db.session.no_autoflush:  # one UPDATE: after it the run may never change again
        run.answers = {k: v for k, v in run.answers.items() if k in visible}
        run.notes = {k: v for k, v in run.notes.items() if k in visible}
        run.evidence = {k: v for k, v in run.evidence.items() if k in visible}
        run.status = "submitted"
        run.submitted_at = utcnow()
        run.submitted_by_id = actor_id
        run.submission_key = submission_key or None
        run.score = evaluation.score
        run.passed = evaluation.passed
        run.grade = evaluation.grade
        run.vetoed = evaluation.vetoed
        run.result = summary(evaluation)
    db.session.flush()
    hazards = open_hazards_for_run(actor, run, evaluation.findings, found_on=local_today())
    record(actor, "run_submitted", run, score=run.score, passed=run.passed, grade=run.grade,
           vetoed=run.vetoed, hazards=len(hazards))
    db.session.commit()
    return Submission(run, evaluation, hazards, repeated=False)


def missing_reasons(evaluation: Evaluation, notes: dict) -> dict[str, str]:
    """{item id: message} for score items below their points without a reason (扣分理由) in `notes`."""
    return {item_id: _("A deduction needs its reason.") for item_id in evaluation.needs_reason
            if not str(notes.get(item_id) or "").strip()}


def summary(evaluation: Evaluation) -> dict:
    """The part of an evaluation stored with a submitted run."""
    return {
        "method": evaluation.method, "earned": evaluation.earned, "possible": evaluation.possible,
        "failed": list(evaluation.failed), "out_of_range": list(evaluation.out_of_range),
        "veto_items": list(evaluation.veto_items),
        "sections": [{"id": s.id, "earned": s.earned, "possible": s.possible, "share": s.share}
                     for s in evaluation.sections],
        "findings": [f.item_id for f in evaluation.findings],
        "items": {i.item_id: [i.earned, i.possible] for i in evaluation.item_scores},
        "elements": [{"id": e.id, "section_id": e.section_id, "earned": e.earned, "possible": e.possible,
                      "share": e.share} for e in evaluation.elements],
    }


# --- due lists -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DueChecklist:
    key: str
    definition: ChecklistDefinition
    due_on: date | None  # None for on_demand checklists
    last_submitted_on: date | None
    draft_run_id: int | None

    @property
    def overdue(self) -> bool:
        return self.due_on is not None and self.due_on < local_today()


def due_for_enterprise(enterprise: Enterprise, audience: str = "enterprise",
                       today: date | None = None) -> list[DueChecklist]:
    """The checklists of `audience` that apply to the enterprise, with when each is next due.

    Two queries whatever the library size; sorted overdue first, then by due date.
    """
    today = today or local_today()
    profile = enterprise_profile(enterprise)
    applicable = {key: item.definition for key, item in versions.library().entries.items()
                  if item.definition.audience == audience and applies_to(item.definition, profile)}
    if not applicable:
        return []
    last = _latest_per_checklist(func.max(ChecklistRun.submitted_at), enterprise.id, "submitted", applicable)
    drafts = _latest_per_checklist(func.max(ChecklistRun.id), enterprise.id, "draft", applicable)
    result = []
    for key, checklist in applicable.items():
        submitted = to_local(last[key]).date() if last.get(key) else None
        result.append(DueChecklist(key, checklist, next_due(checklist.frequency, submitted, today),
                                   submitted, drafts.get(key)))
    return sorted(result, key=lambda d: (d.due_on is None, d.due_on or date.max, d.key))


def _latest_per_checklist(aggregate, enterprise_id: int, status: str, keys) -> dict:
    """{checklist key: aggregate over the enterprise's runs in `status`} in one query."""
    return dict(db.session.execute(
        select(ChecklistVersion.checklist_key, aggregate).join(ChecklistRun.version)
        .where(ChecklistRun.enterprise_id == enterprise_id, ChecklistRun.status == status,
               ChecklistVersion.checklist_key.in_(list(keys)))
        .group_by(ChecklistVersion.checklist_key)).all())
