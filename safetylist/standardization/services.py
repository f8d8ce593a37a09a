"""The standardization service (安全生产标准化定级): applications from a submitted self-assessment,
evidence per first-level element, assignment to a reviewer, the independent review, the decision
and the certificate it issues. The one place that changes assessments; every step checks role,
scope, state and version, appends a StandardizationEvent and writes an audit entry.

draft → submitted → in_review → reviewed → decided; draft, submitted or in_review → withdrawn
(by the enterprise); submitted or in_review → draft (returned, with a reason).
Certificates (issue, flags, downgrade, revocation) live in certificates.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from safetylist.auth import roles
from safetylist.auth.models import User
from safetylist.auth.scope import Scope
from safetylist.checklists import runs, versions
from safetylist.checklists.engine import Evaluation, answer_problem, evaluate
from safetylist.checklists.format import ChecklistDefinition
from safetylist.checklists.models import ChecklistRun, ChecklistVersion
from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.registry.models import Enterprise
from safetylist.standardization import grading, vetoes
from safetylist.standardization.certificates import check_veto_events, issue as issue_certificate
from safetylist.standardization.labels import STATUS_LABELS
from safetylist.standardization.models import OPEN_STATUSES, Assessment
from safetylist.standardization.timeline import add_event
from safetylist.timeutil import local_today, to_local, utcnow

MAX_TEXT = 2000
MAX_PHOTOS_PER_ELEMENT = 12
STEPS = {  # the states each step may be taken from (pages offer only these; every call checks again)
    "evidence": ("draft",),
    "submit": ("draft",),
    "withdraw": ("draft", "submitted", "in_review"),
    "assign": ("submitted", "in_review"),
    "return": ("submitted", "in_review"),
    "review": ("in_review",),
    "decide": ("reviewed",),
}


class IllegalStep(DomainError):
    """The assessment is not in a state where this step can be taken; nothing was changed."""


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# --- the checklist and the enterprise's records ----------------------------------------------------
def checklist_key() -> str:
    return grading.rules().checklist


def definition_of(assessment: Assessment) -> ChecklistDefinition:
    """The checklist version the self-assessment was filled against: the review uses the same."""
    return versions.definition_of(assessment.self_run.version)


def self_assessments(enterprise_id: int, limit: int = 20) -> list[ChecklistRun]:
    """The enterprise's submitted standardization self-assessments, newest first."""
    return list(db.session.scalars(
        select(ChecklistRun).join(ChecklistRun.version)
        .where(ChecklistRun.enterprise_id == enterprise_id, ChecklistRun.status == "submitted",
               ChecklistVersion.kind == "standardization")
        .order_by(ChecklistRun.submitted_at.desc(), ChecklistRun.id.desc()).limit(limit)))


def open_assessment(enterprise_id: int) -> Assessment | None:
    return db.session.scalars(select(Assessment).where(
        Assessment.enterprise_id == enterprise_id, Assessment.status.in_(OPEN_STATUSES))).first()


def certificate_grade_of(run_or_grade) -> str | None:
    """The certificate grade ("1"/"2"/"3") a checklist grade id reaches, or None."""
    grade = run_or_grade.grade if isinstance(run_or_grade, ChecklistRun) else run_or_grade
    return grading.rules().certificate_grade(grade)


# --- who may do what ---------------------------------------------------------------------------------
def is_party(actor, assessment: Assessment) -> bool:
    """The enterprise's own safety officer: applies, adds evidence, withdraws."""
    return actor.role == roles.OFFICER and actor.enterprise_id == assessment.enterprise_id


def is_reviewer(actor, assessment: Assessment) -> bool:
    if assessment.reviewer_user_id is not None:
        return actor.id == assessment.reviewer_user_id
    return actor.role == roles.AGENCY_STAFF and assessment.reviewer_agency_id is not None \
        and actor.agency_id == assessment.reviewer_agency_id


def in_scope(actor, assessment: Assessment) -> bool:
    return db.session.scalar(Scope(actor).assessments().with_only_columns(Assessment.id)
                             .where(Assessment.id == assessment.id)) is not None


def _may(actor, assessment: Assessment, step: str) -> bool:
    scope = Scope(actor)
    if step in ("evidence", "submit", "withdraw"):
        return is_party(actor, assessment)
    if step == "assign":
        return scope.can_assign_reviewers()
    if step == "return":
        return scope.can_assign_reviewers() or is_reviewer(actor, assessment)
    if step == "review":
        return is_reviewer(actor, assessment)
    return scope.can_decide_grades()


def allowed_actions(actor, assessment: Assessment) -> set[str]:
    if not in_scope(actor, assessment):
        return set()
    return {step for step, states in STEPS.items() if assessment.status in states and _may(actor, assessment, step)}


def _check(actor, assessment: Assessment, step: str, expected_version: int | None) -> None:
    """Refuse an actor who may not, a stale form or a step the state does not allow, before any change."""
    if not in_scope(actor, assessment) or not _may(actor, assessment, step):
        raise PermissionDenied({
            "evidence": _("Only the enterprise's safety officer prepares its application."),
            "submit": _("Only the enterprise's safety officer submits its application."),
            "withdraw": _("Only the enterprise's safety officer withdraws its application."),
            "assign": _("Reviewers are assigned by the district bureau."),
            "return": _("Only the district bureau or the assigned reviewer returns an application."),
            "review": _("Only the assigned reviewer scores this application."),
            "decide": _("Grades are decided by district regulators."),
        }[step])
    if expected_version is not None and expected_version != assessment.lock_version:
        raise _stale(assessment)
    if assessment.status not in STEPS[step]:
        raise IllegalStep(_("This step cannot be taken: the application is %(status)s.",
                            status=status_label(assessment.status)))


def _stale(assessment: Assessment) -> StaleObject:
    db.session.rollback()
    db.session.refresh(assessment)
    return StaleObject(_("Someone else changed this application meanwhile (it is now: %(status)s). "
                         "Check it and try again.", status=status_label(assessment.status)))


def _move(actor, assessment: Assessment, action: str, to_status: str, comment: str | None = None,
          **details) -> None:
    """Change the state (the version check happens at this flush) and record the step."""
    from_status = assessment.status
    assessment.status = to_status
    flag_modified(assessment, "status")
    _flush(assessment)
    add_event(actor, action, assessment, None, from_status, to_status, comment, details)


def _flush(assessment: Assessment) -> None:
    """Write the application now: the version check happens here, before its timeline entry is added."""
    try:
        db.session.flush()
    except StaleDataError:
        raise _stale(assessment) from None


def _commit(assessment: Assessment) -> Assessment:
    try:
        db.session.commit()
    except StaleDataError:
        raise _stale(assessment) from None
    return assessment


def _text(value: str | None, field: str, required_message: str | None = None, limit: int = MAX_TEXT) -> str | None:
    text = (value or "").strip()
    if required_message and not text:
        raise ValidationFailed({field: required_message})
    if len(text) > limit:
        raise ValidationFailed({field: _("At most %(n)d characters.", n=limit)})
    return text or None


# --- the application -------------------------------------------------------------------------------
def start_application(actor, enterprise: Enterprise) -> Assessment:
    """A draft application on the enterprise's latest self-assessment (submitted, not yet used)."""
    if actor.role != roles.OFFICER or actor.enterprise_id != enterprise.id:
        raise PermissionDenied(_("Only the enterprise's safety officer applies for its grade."))
    if open_assessment(enterprise.id) is not None:
        raise DomainError(_("An application is already in progress; continue it or withdraw it first."))
    latest = next(iter(self_assessments(enterprise.id, limit=1)), None)
    if latest is None:
        raise DomainError(_("Fill in and submit the standardization self-assessment first; "
                            "the application is made on it."))
    if db.session.scalar(select(Assessment.id).where(Assessment.self_run_id == latest.id,
                                                     Assessment.status == "decided")) is not None:
        raise DomainError(_("Your latest self-assessment was already decided on; submit a new one to apply again."))
    assessment = Assessment(enterprise_id=enterprise.id, self_run_id=latest.id, status="draft", evidence={},
                            self_score=latest.score, self_grade=certificate_grade_of(latest),
                            created_by_id=actor.id)
    db.session.add(assessment)
    db.session.flush()
    add_event(actor, "started", assessment, None, None, "draft", details={"self_run_id": latest.id})
    db.session.commit()
    return assessment


def elements(assessment: Assessment) -> list:
    """The first-level elements (sections) evidence is given for."""
    return list(definition_of(assessment).sections)


def applicable_elements(assessment: Assessment) -> list[str]:
    """Sections with points the self-assessment found applicable: each needs evidence."""
    scores = (assessment.self_run.result or {}).get("sections", ())
    return [s["id"] for s in scores if s.get("possible")]


def save_evidence(actor, assessment: Assessment, element_id: str, note: str | None, photos=(),
                  remove=(), expected_version: int | None = None) -> Assessment:
    """Describe the evidence for one element and add (or take away) photos of it."""
    _check(actor, assessment, "evidence", expected_version)
    if element_id not in {section.id for section in elements(assessment)}:
        raise ValidationFailed({"element": _("No such element in this checklist.")})
    text = _text(note, "note")
    current = dict((assessment.evidence or {}).get(element_id) or {})
    refs = [ref for ref in current.get("photos", []) if ref not in set(remove or ())]
    files = [(name, stream) for name, stream in photos or ()]
    if len(refs) + len(files) > MAX_PHOTOS_PER_ELEMENT:
        raise ValidationFailed({"photos": _("At most %(n)d photos per element.", n=MAX_PHOTOS_PER_ELEMENT)})
    if files:
        from safetylist.photos.services import store_assessment_photo
        version = assessment.lock_version
        refs += [store_assessment_photo(actor, assessment, element_id, name, stream).ref for name, stream in files]
        if assessment.lock_version != (expected_version if expected_version is not None else version):
            raise _stale(assessment)  # each photo was committed: nobody may have moved the application
    evidence = dict(assessment.evidence or {})
    evidence[element_id] = {"note": text or "", "photos": refs}
    assessment.evidence = evidence
    flag_modified(assessment, "evidence")
    _flush(assessment)
    add_event(actor, "evidence", assessment, None, "draft", "draft",
              details={"element": element_id, "photos": len(refs)})
    return _commit(assessment)


def missing_evidence(assessment: Assessment) -> list[str]:
    evidence = assessment.evidence or {}
    return [element for element in applicable_elements(assessment)
            if not ((evidence.get(element) or {}).get("note") or (evidence.get(element) or {}).get("photos"))]


def submit_application(actor, assessment: Assessment, expected_version: int | None = None) -> Assessment:
    """Send the application for review: every applicable element needs evidence (a description or photos).
    A returned application that already has a reviewer goes straight back to them."""
    _check(actor, assessment, "submit", expected_version)
    missing = missing_evidence(assessment)
    if missing:
        titles = {section.id: section.title.zh for section in elements(assessment)}
        raise ValidationFailed({element: _("Give the evidence for this element: describe it or add photos.")
                                for element in missing} | {"evidence": _(
                                    "Evidence is missing for: %(names)s.", names="、".join(titles[e] for e in missing))})
    assessment.submitted_at = utcnow()
    target = "in_review" if (assessment.reviewer_user_id or assessment.reviewer_agency_id) else "submitted"
    _move(actor, assessment, "submitted", target)
    return _commit(assessment)


def withdraw(actor, assessment: Assessment, reason: str | None, expected_version: int | None = None) -> Assessment:
    _check(actor, assessment, "withdraw", expected_version)
    said = _text(reason, "reason", _("Say why the application is withdrawn."))
    _move(actor, assessment, "withdrawn", "withdrawn", said)
    return _commit(assessment)


def return_application(actor, assessment: Assessment, reason: str | None,
                       expected_version: int | None = None) -> Assessment:
    """Send it back to the enterprise (退回补正) with what is to be supplemented; the reviewer stays."""
    _check(actor, assessment, "return", expected_version)
    said = _text(reason, "reason", _("Say what the enterprise must supplement."))
    assessment.return_reason = said
    _move(actor, assessment, "returned", "draft", said)
    return _commit(assessment)


def reviewer_choices(actor) -> tuple[list[User], list]:
    """Who may review: active district regulators, and evaluation agencies with a valid qualification."""
    from safetylist.agencies.models import Agency
    users = list(db.session.scalars(select(User).where(User.role == roles.DISTRICT_REGULATOR, User.active.is_(True))
                                    .order_by(User.display_name, User.id)))
    today = local_today()
    agencies = list(db.session.scalars(select(Agency).where(
        (Agency.qualification_expires_on.is_(None)) | (Agency.qualification_expires_on >= today))
        .order_by(Agency.name, Agency.id)))
    return users, agencies


def assign_reviewer(actor, assessment: Assessment, user_id: int | None = None, agency_id: int | None = None,
                    expected_version: int | None = None) -> Assessment:
    """Give the application to a district regulator or an evaluation agency; a reassignment drops the
    former reviewer's unfinished scores (the new reviewer scores independently)."""
    _check(actor, assessment, "assign", expected_version)
    if (user_id is None) == (agency_id is None):
        raise ValidationFailed({"reviewer": _("Choose one reviewer: a district regulator or an agency.")})
    users, agencies = reviewer_choices(actor)
    if user_id is not None and user_id not in {u.id for u in users}:
        raise ValidationFailed({"reviewer": _("The reviewer must be an active district regulator.")})
    if agency_id is not None and agency_id not in {a.id for a in agencies}:
        raise ValidationFailed({"reviewer": _("The agency must hold a valid qualification.")})
    if (user_id, agency_id) != (assessment.reviewer_user_id, assessment.reviewer_agency_id):
        assessment.review_answers, assessment.review_notes = {}, {}
    assessment.reviewer_user_id, assessment.reviewer_agency_id = user_id, agency_id
    assessment.assigned_at = utcnow()
    _move(actor, assessment, "assigned", "in_review", None, reviewer_user_id=user_id, reviewer_agency_id=agency_id)
    return _commit(assessment)


# --- the review ------------------------------------------------------------------------------------
def _clean_review(checklist: ChecklistDefinition, answers: dict, notes: dict) -> tuple[dict, dict]:
    items = {item.id: item for _, item in checklist.all_items()}
    errors: dict[str, str] = {}
    clean, clean_notes = {}, {}
    for item_id, value in answers.items():
        item = items.get(item_id)
        if item is None:
            errors[item_id] = _("No such item in this checklist.")
        elif value is None or value == "":
            clean[item_id] = None
        elif (problem := answer_problem(item, value)) is not None:
            errors[item_id] = problem
        else:
            clean[item_id] = value
    for item_id, note in notes.items():
        if item_id not in items:
            errors[item_id] = _("No such item in this checklist.")
        elif not isinstance(note, str) or len(note) > runs.MAX_NOTE:
            errors[item_id] = _("A note is text of at most %(n)d characters.", n=runs.MAX_NOTE)
        else:
            clean_notes[item_id] = note.strip()
    if errors:
        raise ValidationFailed(errors)
    return clean, clean_notes


def _merge_review(assessment: Assessment, answers: dict, notes: dict) -> None:
    assessment.review_answers = {k: v for k, v in {**(assessment.review_answers or {}), **answers}.items()
                                 if v is not None}
    assessment.review_notes = {k: v for k, v in {**(assessment.review_notes or {}), **notes}.items() if v}
    flag_modified(assessment, "review_answers")
    flag_modified(assessment, "review_notes")


def save_review(actor, assessment: Assessment, answers: dict, notes: dict | None = None,
                expected_version: int | None = None) -> Assessment:
    """Keep the reviewer's scores so far (a draft only the reviewer sees change)."""
    _check(actor, assessment, "review", expected_version)
    clean, clean_notes = _clean_review(definition_of(assessment), answers, notes or {})
    _merge_review(assessment, clean, clean_notes)
    return _commit(assessment)


def review_preview(assessment: Assessment) -> Evaluation:
    return evaluate(definition_of(assessment), assessment.review_answers or {})


def submit_review(actor, assessment: Assessment, answers: dict | None = None, notes: dict | None = None,
                  expected_version: int | None = None) -> Assessment:
    """The reviewer's independent scores, complete and each deduction with its reason; immutable after.
    Failures the self-assessment did not already report open hazards (source "standardization")."""
    _check(actor, assessment, "review", expected_version)
    checklist = definition_of(assessment)
    if answers or notes:
        clean, clean_notes = _clean_review(checklist, answers or {}, notes or {})
        _merge_review(assessment, clean, clean_notes)
        _commit(assessment)  # kept even if the submission is refused below: no score is lost
    evaluation = evaluate(checklist, assessment.review_answers or {})
    errors = {item_id: _("An answer is required.") for item_id in evaluation.missing}
    errors.update({problem.item_id: problem.message for problem in evaluation.invalid})
    errors.update(runs.missing_reasons(evaluation, assessment.review_notes or {}))
    if errors:
        raise ValidationFailed(errors)
    visible = set(evaluation.visible)
    assessment.review_answers = {k: v for k, v in assessment.review_answers.items() if k in visible}
    assessment.review_notes = {k: v for k, v in (assessment.review_notes or {}).items() if k in visible}
    assessment.review_submitted_at = utcnow()
    assessment.review_submitted_by_id = actor.id
    assessment.review_score = evaluation.score
    assessment.review_grade = None if evaluation.vetoed else certificate_grade_of(evaluation.grade)
    assessment.review_result = runs.summary(evaluation)
    _move(actor, assessment, "reviewed", "reviewed", None, score=evaluation.score,
          grade=assessment.review_grade)
    hazards = _open_review_hazards(actor, assessment, evaluation)
    if hazards:
        add_event(actor, "review_hazards", assessment, None, "reviewed", "reviewed",
                  details={"hazards": [h.id for h in hazards]})
    return _commit(assessment)


def _open_review_hazards(actor, assessment: Assessment, evaluation: Evaluation) -> list:
    """Hazards for the review's findings, but not for items the self-assessment already opened one for."""
    from safetylist.remediation import services as remediation
    from safetylist.remediation.models import Hazard
    known = set(db.session.scalars(select(Hazard.checklist_item).where(Hazard.run_id == assessment.self_run_id)))
    findings = [f for f in evaluation.findings if f.item_id not in known]
    if not findings:
        return []
    hazards = remediation.open_hazards(actor, findings, found_on=local_today(), enterprise_id=assessment.enterprise_id,
                                       notes=assessment.review_notes or {}, source="standardization")
    check_veto_events([assessment.enterprise_id])
    return hazards


# --- comparing the two scorings -----------------------------------------------------------------------
@dataclass(frozen=True)
class ComparedItem:
    item: object          # the checklist Item
    element: object       # its second-level element, or None
    possible: float       # points available
    self_answer: object
    self_earned: float | None    # None: not applicable or not scored
    self_note: str
    review_answer: object
    review_earned: float | None
    review_note: str

    @property
    def differs(self) -> bool:
        return self.self_answer != self.review_answer


@dataclass(frozen=True)
class ComparedSection:
    section: object
    items: list[ComparedItem]
    self_earned: float
    self_possible: float
    review_earned: float | None
    review_possible: float | None

    @property
    def deductions(self) -> list[ComparedItem]:
        return [i for i in self.items if i.review_earned is not None and i.review_earned < i.possible]


def comparison(assessment: Assessment) -> list[ComparedSection]:
    """Every scored item with the self-assessment's and the review's points side by side, per element."""
    checklist = definition_of(assessment)
    run = assessment.self_run
    own = evaluate(checklist, run.answers)
    reviewed = evaluate(checklist, assessment.review_answers or {}) if assessment.review_answers else None
    own_items = {s.item_id: s for s in own.item_scores}
    review_items = {s.item_id: s for s in reviewed.item_scores} if reviewed else {}
    own_sections = {s.id: s for s in own.sections}
    review_sections = {s.id: s for s in reviewed.sections} if reviewed else {}
    result = []
    for section in checklist.sections:
        named = {element.id: element for element in getattr(section, "elements", None) or ()}
        items = []
        for item in section.items:
            if not (item.points or item.deduction):
                continue
            mine, theirs = own_items.get(item.id), review_items.get(item.id)
            items.append(ComparedItem(
                item=item, element=named.get(getattr(item, "element", None)),
                possible=float(item.points or item.deduction or 0),
                self_answer=run.answers.get(item.id), self_earned=_earned(mine), self_note=run.notes.get(item.id, ""),
                review_answer=(assessment.review_answers or {}).get(item.id), review_earned=_earned(theirs),
                review_note=(assessment.review_notes or {}).get(item.id, "")))
        mine_s, theirs_s = own_sections.get(section.id), review_sections.get(section.id)
        result.append(ComparedSection(section, items, mine_s.earned if mine_s else 0, mine_s.possible if mine_s else 0,
                                      theirs_s.earned if theirs_s else None, theirs_s.possible if theirs_s else None))
    return result


def _earned(score) -> float | None:
    return None if score is None or score.outcome == "na" else score.earned


# --- the decision -----------------------------------------------------------------------------------
def current_vetoes(assessment: Assessment) -> list[vetoes.VetoFinding]:
    """Veto conditions met now, over the period before the application was submitted."""
    until = to_local(assessment.submitted_at).date() if assessment.submitted_at else local_today()
    return vetoes.findings(grading.rules(), [assessment.enterprise_id], until)[assessment.enterprise_id]


def grade_options(assessment: Assessment) -> list:
    """Grades the decision may grant: the one the review reached and those below it; none when vetoed."""
    rules = grading.rules()
    if assessment.review_grade is None or current_vetoes(assessment):
        return []
    return [rules.grade(assessment.review_grade)] + rules.lower_grades(assessment.review_grade)


def decide(actor, assessment: Assessment, grant: bool, grade: str | None, reason: str | None,
           expected_version: int | None = None, valid_from: date | None = None):
    """Grant a grade (issuing its certificate) or refuse one. Vetoes are read from the records now;
    a refusal, or a grade below the review's, needs a reason."""
    _check(actor, assessment, "decide", expected_version)
    found = current_vetoes(assessment)
    said = _text(reason, "reason")
    if grant:
        allowed = [g.certificate_grade for g in grade_options(assessment)]
        if found:
            raise ValidationFailed({"grant": _("A veto condition is met: %(reasons)s. No grade can be granted.",
                                               reasons="；".join(f.reason_zh for f in found))})
        if not allowed:
            raise ValidationFailed({"grant": _("The review reached no grade: only a refusal can be decided.")})
        if grade not in allowed:
            raise ValidationFailed({"grade": _("Choose the grade the review reached or a lower one.")})
        if grade != allowed[0] and not said:
            raise ValidationFailed({"reason": _("Say why a lower grade than the review's is granted.")})
    elif not said:
        raise ValidationFailed({"reason": _("Say why no grade is granted.")})
    assessment.vetoes = [f.as_json() for f in found]
    assessment.decision = "granted" if grant else "refused"
    assessment.decided_grade = grade if grant else None
    assessment.decision_reason = said
    assessment.decided_at = utcnow()
    assessment.decided_by_id = actor.id
    _move(actor, assessment, "decided", "decided", said, decision=assessment.decision, grade=assessment.decided_grade,
          vetoes=[f.rule_id for f in found])
    certificate = issue_certificate(actor, assessment, valid_from or local_today()) if grant else None
    _commit(assessment)
    return certificate
