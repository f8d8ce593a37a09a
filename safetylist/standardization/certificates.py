"""Standardization certificates (安全生产标准化证书): issued by a decision, numbered gap-free per year,
flagged for review when a veto event is recorded after issue, kept, downgraded or revoked with a
reason. Every change appends to the timeline and the audit trail."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from safetylist.auth.scope import Scope
from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.remediation.notices import next_sequence
from safetylist.standardization import grading, vetoes
from safetylist.standardization.models import Certificate
from safetylist.standardization.timeline import add_event, events_of
from safetylist.timeutil import local_today, utc_start_of, utcnow

COUNTER_UNIT = "standardization"  # the certificates' numbering counter, beside the notices' ones
ACTIONS = ("keep", "downgrade", "revoke")


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def current_certificate(enterprise_id: int, today: date | None = None) -> Certificate | None:
    """The enterprise's certificate in force: valid and not expired, the latest issued."""
    today = today or local_today()
    return db.session.scalars(select(Certificate).where(
        Certificate.enterprise_id == enterprise_id, Certificate.status == "valid",
        Certificate.issued_on <= today, Certificate.expires_on >= today)
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())).first()


def _new_certificate(actor, enterprise_id: int, grade: str, issued_on: date, expires_on: date,
                     assessment_id: int | None, replaces_id: int | None = None) -> Certificate:
    rules = grading.rules()
    sequence = next_sequence(COUNTER_UNIT, issued_on.year)
    certificate = Certificate(enterprise_id=enterprise_id, grade=grade, issued_on=issued_on, expires_on=expires_on,
                              number=rules.format_number(issued_on.year, sequence), status="valid",
                              assessment_id=assessment_id, replaces_id=replaces_id,
                              issued_by_id=getattr(actor, "id", None), flag_reasons=[], reviewed_events=[])
    db.session.add(certificate)
    db.session.flush()
    return certificate


def issue(actor, assessment, issued_on: date) -> Certificate:
    """The certificate a granted decision issues, valid `validity_years`; the enterprise's certificate in
    force until now is superseded by it. In the caller's transaction."""
    rules = grading.rules()
    previous = current_certificate(assessment.enterprise_id, issued_on)
    certificate = _new_certificate(actor, assessment.enterprise_id, assessment.decided_grade, issued_on,
                                   add_years(issued_on, rules.validity_years) - timedelta(days=1), assessment.id)
    if previous is not None:
        previous.status, previous.status_changed_at = "superseded", utcnow()
        previous.status_reason = _("Superseded by certificate %(number)s.", number=certificate.number)
        add_event(actor, "superseded", None, previous, "valid", "superseded", previous.status_reason,
                  {"by": certificate.id})
    add_event(actor, "issued", assessment, certificate, None, "valid", None,
              {"number": certificate.number, "grade": certificate.grade, "expires_on": certificate.expires_on.isoformat()})
    return certificate


# --- veto events after issue ---------------------------------------------------------------------
def check_veto_events(enterprise_ids=None, today: date | None = None) -> list[Certificate]:
    """Flag every certificate in force (of these enterprises, or all) that a veto event recorded after its
    issue concerns and that a regulator has not looked at yet. In the caller's transaction (services call
    it before they commit an accident or a hazard); the daily scan calls it for all and commits."""
    today = today or local_today()
    query = select(Certificate).where(Certificate.status == "valid", Certificate.expires_on >= today)
    if enterprise_ids is not None:
        ids = [i for i in set(enterprise_ids) if i is not None]
        if not ids:
            return []
        query = query.where(Certificate.enterprise_id.in_(ids))
    held = list(db.session.scalars(query.order_by(Certificate.id)))
    if not held:
        return []
    found = vetoes.findings(grading.rules(), [c.enterprise_id for c in held], today)
    flagged = []
    for certificate in held:
        since = utc_start_of(certificate.issued_on)
        seen = set(certificate.reviewed_events or ()) | {
            key for reason in certificate.flag_reasons or () for key in reason.get("events", ())}
        reasons, new = [], []
        for finding in found[certificate.enterprise_id]:
            after = finding.events_since(since)
            if after:
                reasons.append({**finding.as_json(), "events": after})
                new += [key for key in after if key not in seen]
        if not new:
            continue
        certificate.flag_reasons = reasons
        certificate.flagged_at = certificate.flagged_at or utcnow()
        flag_modified(certificate, "flag_reasons")
        add_event(None, "flagged", None, certificate, "valid", "valid", None,
                  {"reasons": [r["rule"] for r in reasons], "events": new})
        flagged.append(certificate)
    if flagged:
        db.session.flush()
    return flagged


def flag_all() -> list[Certificate]:
    """The daily pass over every certificate in force; commits what it flags."""
    flagged = check_veto_events()
    db.session.commit()
    return flagged


# --- a regulator's review of a certificate --------------------------------------------------------
def _check(actor, certificate: Certificate, expected_version: int | None) -> None:
    if not Scope(actor).can_decide_grades() or db.session.scalar(
            Scope(actor).certificates().with_only_columns(Certificate.id).where(Certificate.id == certificate.id)) is None:
        raise PermissionDenied(_("Grades are decided by district regulators."))
    if expected_version is not None and expected_version != certificate.lock_version:
        raise _stale(certificate)
    if certificate.status != "valid":
        raise DomainError(_("This certificate is no longer valid; nothing can be changed on it."))


def _stale(certificate: Certificate) -> StaleObject:
    db.session.rollback()
    db.session.refresh(certificate)
    return StaleObject(_("Someone else changed this certificate meanwhile. Check it and try again."))


def _reason(text: str | None, message: str) -> str:
    said = (text or "").strip()
    if not said:
        raise ValidationFailed({"reason": message})
    if len(said) > 2000:
        raise ValidationFailed({"reason": _("At most %(n)d characters.", n=2000)})
    return said


def _close_flag(certificate: Certificate) -> list[str]:
    events = [key for reason in certificate.flag_reasons or () for key in reason.get("events", ())]
    certificate.reviewed_events = sorted(set(certificate.reviewed_events or ()) | set(events))
    certificate.flag_reasons, certificate.flagged_at = [], None
    flag_modified(certificate, "reviewed_events")
    flag_modified(certificate, "flag_reasons")
    return events


def _commit(certificate: Certificate) -> None:
    try:
        db.session.commit()
    except StaleDataError:
        raise _stale(certificate) from None


def keep(actor, certificate: Certificate, reason: str | None, expected_version: int | None = None) -> Certificate:
    """The flagged events do not change the grade: the flag is cleared and those events never flag again."""
    _check(actor, certificate, expected_version)
    if certificate.flagged_at is None:
        raise DomainError(_("This certificate is not flagged for review."))
    said = _reason(reason, _("Say why the certificate is kept."))
    events = _close_flag(certificate)
    add_event(actor, "kept", None, certificate, "valid", "valid", said, {"events": events})
    _commit(certificate)
    return certificate


def downgrade(actor, certificate: Certificate, grade: str | None, reason: str | None,
              expected_version: int | None = None) -> Certificate:
    """A lower grade for the rest of the validity: a new certificate (new number) supersedes this one."""
    _check(actor, certificate, expected_version)
    lower = [g.certificate_grade for g in grading.rules().lower_grades(certificate.grade)]
    if not lower:
        raise ValidationFailed({"grade": _("There is no lower grade: revoke the certificate instead.")})
    if grade not in lower:
        raise ValidationFailed({"grade": _("Choose a grade below the current one.")})
    said = _reason(reason, _("Say why the grade is lowered."))
    events = _close_flag(certificate)
    today = local_today()
    successor = _new_certificate(actor, certificate.enterprise_id, grade, today, certificate.expires_on,
                                 certificate.assessment_id, replaces_id=certificate.id) \
        if certificate.expires_on > today else None
    if successor is None:
        raise DomainError(_("This certificate has expired."))
    successor.reviewed_events = list(certificate.reviewed_events)
    certificate.status, certificate.status_reason, certificate.status_changed_at = "superseded", said, utcnow()
    add_event(actor, "downgraded", None, certificate, "valid", "superseded", said,
              {"grade": grade, "by": successor.id, "events": events})
    add_event(actor, "issued", None, successor, None, "valid", said,
              {"number": successor.number, "grade": grade, "replaces": certificate.id})
    _commit(certificate)
    return successor


def revoke(actor, certificate: Certificate, reason: str | None, expected_version: int | None = None) -> Certificate:
    _check(actor, certificate, expected_version)
    said = _reason(reason, _("Say why the certificate is revoked."))
    events = _close_flag(certificate)
    certificate.status, certificate.status_reason, certificate.status_changed_at = "revoked", said, utcnow()
    add_event(actor, "revoked", None, certificate, "valid", "revoked", said, {"events": events})
    _commit(certificate)
    return certificate


def certificate_timeline(certificate: Certificate) -> list:
    return events_of(certificate=certificate)
