"""The agency registry service: agencies, their qualification and their evaluators. Every change is
checked first and audited; a stale form is refused (optimistic locking), never silently applied."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from safetylist.agencies.models import Agency, Evaluator
from safetylist.audit.services import apply_changes, record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.registry import credit_code
from safetylist.registry.services import credit_code_message

STALE = "Someone else changed this record after you opened it. Your changes were not saved; reload to see theirs."
AGENCY_FIELDS = ("name", "credit_code", "qualification_no", "qualification_issued_on", "qualification_expires_on",
                 "business_scope", "address", "contact_name", "contact_phone", "active")
LIMITS = {"name": 200, "qualification_no": 60, "business_scope": 2000, "address": 300, "contact_name": 60,
          "contact_phone": 30}


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def agency_errors(data: dict, existing: Agency | None = None) -> tuple[dict, dict[str, str]]:
    """The cleaned fields and {field: reason} for everything wrong with them."""
    clean: dict = {}
    errors: dict[str, str] = {}
    for name, limit in LIMITS.items():
        clean[name] = _text(data.get(name))
        if clean[name] and len(clean[name]) > limit:
            errors[name] = _("At most %(n)d characters.", n=limit)
    if not clean["name"]:
        errors["name"] = _("The agency's name is required.")
    try:
        clean["credit_code"] = credit_code.validate(_text(data.get("credit_code")) or "")
    except credit_code.CreditCodeError as exc:
        errors["credit_code"] = credit_code_message(exc)
    else:
        taken = db.session.scalar(select(Agency.id).where(Agency.credit_code == clean["credit_code"],
                                                          Agency.id != (existing.id if existing else -1)))
        if taken:
            errors["credit_code"] = _("Another agency is registered with this credit code.")
    for name in ("qualification_issued_on", "qualification_expires_on"):
        value = data.get(name)
        if value is not None and not isinstance(value, date):
            errors[name] = _("Not a date.")
        clean[name] = value if isinstance(value, date) else None
    issued, expires = clean["qualification_issued_on"], clean["qualification_expires_on"]
    if issued and expires and expires <= issued:
        errors["qualification_expires_on"] = _("The qualification must expire after the day it was issued.")
    if clean["qualification_no"] and not expires and "qualification_expires_on" not in errors:
        errors["qualification_expires_on"] = _("Give the day the qualification expires.")
    clean["active"] = bool(data.get("active", True))
    return clean, errors


def _require_manager(actor) -> None:
    if not Scope(actor).can_manage_agencies():
        raise PermissionDenied(_("Only the district bureau registers agencies."))


def create_agency(actor, **data) -> Agency:
    _require_manager(actor)
    clean, errors = agency_errors(data)
    if errors:
        raise ValidationFailed(errors)
    agency = Agency(**clean)
    db.session.add(agency)
    db.session.flush()
    record(actor, "agency_created", agency, name=agency.name, credit_code=agency.credit_code)
    db.session.commit()
    return agency


def update_agency(actor, agency: Agency, expected_version: int, **data) -> Agency:
    _require_manager(actor)
    if expected_version != agency.lock_version:
        raise StaleObject(_(STALE))
    clean, errors = agency_errors(data, agency)
    if errors:
        raise ValidationFailed(errors)
    apply_changes(actor, agency, clean, "agency_updated")
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleObject(_(STALE))
    return agency


# --- evaluators (安全评价师) -------------------------------------------------------------------
def evaluator_errors(agency: Agency, data: dict, existing: Evaluator | None = None) -> tuple[dict, dict[str, str]]:
    clean = {"name": _text(data.get("name")), "certificate_no": _text(data.get("certificate_no")),
             "specialty": _text(data.get("specialty"))}
    errors: dict[str, str] = {}
    if not clean["name"]:
        errors["name"] = _("The evaluator's name is required.")
    elif len(clean["name"]) > 60:
        errors["name"] = _("At most %(n)d characters.", n=60)
    if not clean["certificate_no"]:
        errors["certificate_no"] = _("The evaluator's certificate number is required.")
    elif len(clean["certificate_no"]) > 60:
        errors["certificate_no"] = _("At most %(n)d characters.", n=60)
    else:
        holder = db.session.scalars(select(Evaluator).where(
            func.upper(Evaluator.certificate_no) == clean["certificate_no"].upper(),
            Evaluator.id != (existing.id if existing else -1))).first()
        if holder is not None:
            errors["certificate_no"] = _("This certificate number is already registered for %(name)s.",
                                         name=holder.name)
    if clean["specialty"] and len(clean["specialty"]) > 100:
        errors["specialty"] = _("At most %(n)d characters.", n=100)
    return clean, errors


def add_evaluator(actor, agency: Agency, **data) -> Evaluator:
    if not Scope(actor).can_edit_agency_staff(agency):
        raise PermissionDenied(_("You may not change this agency's evaluators."))
    clean, errors = evaluator_errors(agency, data)
    if errors:
        raise ValidationFailed(errors)
    evaluator = Evaluator(agency_id=agency.id, **clean)
    db.session.add(evaluator)
    db.session.flush()
    record(actor, "evaluator_added", evaluator, agency_id=agency.id, name=evaluator.name,
           certificate_no=evaluator.certificate_no)
    db.session.commit()
    return evaluator


def set_evaluator_active(actor, evaluator: Evaluator, active: bool) -> Evaluator:
    """An evaluator who left is kept (their signatures stay on past projects) but can sign no more."""
    if not Scope(actor).can_edit_agency_staff(evaluator.agency):
        raise PermissionDenied(_("You may not change this agency's evaluators."))
    if evaluator.active != active:
        evaluator.active = active
        record(actor, "evaluator_activated" if active else "evaluator_deactivated", evaluator,
               agency_id=evaluator.agency_id)
    db.session.commit()
    return evaluator
