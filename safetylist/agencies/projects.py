"""The projects service: evaluation work an agency did for enterprises of the district, entered one by
one or imported (project_import.py). One set of checks serves both, so a file and a form are refused
for the same reasons."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from safetylist.agencies.models import CONCLUSIONS, EVALUATION_TYPES, Agency, EvaluationProject, Evaluator
from safetylist.agencies.registry import STALE
from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.registry import credit_code
from safetylist.registry.models import Enterprise
from safetylist.registry.services import Page, credit_code_message
from safetylist.timeutil import local_today

MAX_CONCLUSION = 4000
EVALUATOR_SEPARATORS = re.compile(r"[、,，;；/\s]+")


@dataclass
class ProjectFilters:
    agency_id: int | None = None
    enterprise_id: int | None = None
    evaluator_id: int | None = None
    year: int | None = None

    def apply(self, query):
        if self.agency_id:
            query = query.where(EvaluationProject.agency_id == self.agency_id)
        if self.enterprise_id:
            query = query.where(EvaluationProject.enterprise_id == self.enterprise_id)
        if self.evaluator_id:
            query = query.where(EvaluationProject.evaluators.any(Evaluator.id == self.evaluator_id))
        if self.year:
            query = query.where(EvaluationProject.report_on >= date(self.year, 1, 1),
                                EvaluationProject.report_on <= date(self.year, 12, 31))
        return query


def list_projects(actor, filters: ProjectFilters, page: int = 1, per_page: int = 50) -> Page:
    """Newest reports first (ties by id, so pages are stable)."""
    query = filters.apply(Scope(actor).projects())
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.options(joinedload(EvaluationProject.enterprise),
                                            joinedload(EvaluationProject.agency),
                                            selectinload(EvaluationProject.evaluators))
                              .order_by(EvaluationProject.report_on.desc(), EvaluationProject.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return Page(rows, total, max(page, 1), per_page)


# --- checking a project ------------------------------------------------------------------------
def enterprise_by_code(actor, text: str) -> tuple[Enterprise | None, str | None]:
    """The enterprise a credit code names, or the reason there is none."""
    try:
        code = credit_code.validate(text or "")
    except credit_code.CreditCodeError as exc:
        return None, credit_code_message(exc)
    found = db.session.scalars(Scope(actor).project_enterprises().where(Enterprise.credit_code == code)).first()
    if found is None:
        return None, _("No enterprise registered in the district has the credit code %(code)s.", code=code)
    return found, None


def evaluators_named(agency: Agency, words) -> tuple[list[Evaluator], str | None]:
    """The agency's evaluators given by certificate number or name (a name two of them share must be
    given as a certificate number)."""
    if isinstance(words, str):
        words = [w for w in EVALUATOR_SEPARATORS.split(words) if w]
    registered = db.session.scalars(select(Evaluator).where(Evaluator.agency_id == agency.id)).all()
    by_number = {e.certificate_no.upper(): e for e in registered}
    by_name: dict[str, list[Evaluator]] = {}
    for evaluator in registered:
        by_name.setdefault(evaluator.name, []).append(evaluator)
    found: list[Evaluator] = []
    for word in words:
        word = str(word).strip()
        match = by_number.get(word.upper())
        if match is None:
            named = by_name.get(word, [])
            if len(named) > 1:
                return [], _("%(name)s: two evaluators of the agency have this name; give the certificate number.",
                             name=word)
            if not named:
                return [], _("%(word)s is not an evaluator registered with %(agency)s.", word=word, agency=agency.name)
            match = named[0]
        if match not in found:
            found.append(match)
    if not found:
        return [], _("Name at least one evaluator who signed the report.")
    return found, None


def project_errors(actor, agency: Agency, data: dict, existing: EvaluationProject | None = None,
                   other_numbers: set[str] | None = None) -> tuple[dict, dict[str, str]]:
    """The cleaned project and {field: reason}. `data` holds report_no, enterprise (an Enterprise, or
    its credit code as text), evaluation_type, started_on, report_on, conclusion, conclusion_text and
    evaluators (Evaluator objects, or names/certificate numbers). `other_numbers`: report numbers used
    by earlier rows of the same file."""
    clean: dict = {}
    errors: dict[str, str] = {}
    number = str(data.get("report_no") or "").strip()
    if not number:
        errors["report_no"] = _("The report number is required.")
    elif len(number) > 60:
        errors["report_no"] = _("At most %(n)d characters.", n=60)
    elif other_numbers is not None and number.upper() in other_numbers:
        errors["report_no"] = _("The report number %(number)s appears twice in this file.", number=number)
    elif db.session.scalar(select(EvaluationProject.id).where(
            EvaluationProject.agency_id == agency.id, func.upper(EvaluationProject.report_no) == number.upper(),
            EvaluationProject.id != (existing.id if existing else -1))):
        errors["report_no"] = _("%(agency)s already has a project with report number %(number)s.",
                                agency=agency.name, number=number)
    clean["report_no"] = number
    enterprise = data.get("enterprise")
    if not isinstance(enterprise, Enterprise):
        enterprise, reason = enterprise_by_code(actor, str(enterprise or "").strip())
        if reason:
            errors["enterprise"] = reason
    clean["enterprise_id"] = enterprise.id if enterprise is not None else None
    kind = data.get("evaluation_type")
    if kind not in EVALUATION_TYPES:
        errors["evaluation_type"] = _("Choose the type of evaluation.")
    clean["evaluation_type"] = kind
    conclusion = data.get("conclusion")
    if conclusion not in CONCLUSIONS:
        errors["conclusion"] = _("Choose the report's conclusion.")
    clean["conclusion"] = conclusion
    for name, label in (("started_on", _("the start")), ("report_on", _("the report"))):
        value = data.get(name)
        if not isinstance(value, date):
            errors[name] = _("Give the day of %(what)s.", what=label)
            value = None
        clean[name] = value
    today = local_today()
    if clean["report_on"] and clean["report_on"] > today:
        errors["report_on"] = _("A report cannot be dated after today.")
    if clean["started_on"] and clean["report_on"] and clean["started_on"] > clean["report_on"]:
        errors["started_on"] = _("The work cannot start after the report was issued.")
    text = str(data.get("conclusion_text") or "").strip()
    if len(text) > MAX_CONCLUSION:
        errors["conclusion_text"] = _("At most %(n)d characters.", n=MAX_CONCLUSION)
    clean["conclusion_text"] = text or None
    evaluators = data.get("evaluators") or []
    if evaluators and all(isinstance(e, Evaluator) for e in evaluators):
        stray = [e.name for e in evaluators if e.agency_id != agency.id]
        if stray:
            errors["evaluators"] = _("%(word)s is not an evaluator registered with %(agency)s.",
                                     word="、".join(stray), agency=agency.name)
        clean["evaluators"] = list(evaluators)
    else:
        clean["evaluators"], reason = evaluators_named(agency, evaluators)
        if reason:
            errors["evaluators"] = reason
    # One who left keeps their signatures on past reports but signs no new one.
    signed_before = {e.id for e in existing.evaluators} if existing is not None else set()
    left = [e.name for e in clean["evaluators"] if not e.active and e.id not in signed_before]
    if left and "evaluators" not in errors:
        errors["evaluators"] = _("%(names)s left the agency and can sign no new report.", names="、".join(left))
    return clean, errors


def _require_recorder(actor, agency: Agency) -> None:
    if not Scope(actor).can_record_projects(agency):
        raise PermissionDenied(_("You may not record projects for this agency."))


def record_project(actor, agency: Agency, **data) -> EvaluationProject:
    _require_recorder(actor, agency)
    clean, errors = project_errors(actor, agency, data)
    if errors:
        raise ValidationFailed(errors)
    project = EvaluationProject(agency_id=agency.id, created_by_id=getattr(actor, "id", None), **clean)
    db.session.add(project)
    db.session.flush()
    record(actor, "project_recorded", project, agency_id=agency.id, report_no=project.report_no,
           enterprise_id=project.enterprise_id)
    db.session.commit()
    return project


def update_project(actor, project: EvaluationProject, expected_version: int, **data) -> EvaluationProject:
    _require_recorder(actor, project.agency)
    if expected_version != project.lock_version:
        raise StaleObject(_(STALE))
    clean, errors = project_errors(actor, project.agency, data, existing=project)
    if errors:
        raise ValidationFailed(errors)
    changes = {}
    for name, value in clean.items():
        old = getattr(project, name)
        if name == "evaluators":
            if {e.id for e in old} != {e.id for e in value}:
                changes[name] = [[e.id for e in old], [e.id for e in value]]
        elif old != value:
            changes[name] = [old.isoformat() if isinstance(old, date) else old,
                             value.isoformat() if isinstance(value, date) else value]
    if changes:
        for name, value in clean.items():
            setattr(project, name, value)
        # A change of signatories alone touches only the link table: the row must still be updated,
        # so the version check runs and the version moves on.
        flag_modified(project, "report_no")
        db.session.flush()
        record(actor, "project_updated", project, changes=changes)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleObject(_(STALE))
    return project
