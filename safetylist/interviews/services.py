"""The interview service (约谈): planning, the numbered notice (约谈通知书), holding the interview, the
commitments and their follow-up, rescheduling and cancelling. The one place that changes interviews:
every step checks role, scope, state and version, appends an InterviewEvent and writes an audit entry.

planned → notice_issued → held → follow_up → closed; planned or notice_issued → cancelled; rescheduling
a notice_issued interview voids its notice (back to planned, a new notice is issued)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.interviews import notice
from safetylist.interviews.labels import STATUS_LABELS
from safetylist.interviews.models import Accident, Interview, InterviewEvent
from safetylist.registry.models import Enterprise, Street
from safetylist.remediation import services as remediation
from safetylist.remediation.models import SEVERITIES, Hazard
from safetylist.timeutil import to_local, utc_start_of, utcnow

MAX_TEXT = 2000
MAX_MINUTES = 20000
MAX_LINE = 200  # place, interviewing unit, authority name
MAX_PHOTOS = 6
MAX_COMMITMENT = 300  # Hazard.title
MAX_PERSON = 60  # Hazard.responsible_person
NOT_HELD = ("planned", "notice_issued")
# The steps and the states each may be taken from (the page offers only these; each call checks again).
STEPS = {
    "notice": ("planned",),
    "reschedule": NOT_HELD,
    "cancel": NOT_HELD,
    "held": ("notice_issued",),
    "supplement": ("held", "follow_up"),
    "commitments": ("held", "follow_up"),
    "close": ("follow_up",),
}


class IllegalStep(DomainError):
    """The interview is not in a state where this step can be taken; nothing was changed."""


@dataclass
class Commitment:
    """One commitment as entered: it becomes a hazard of the enterprise (source "interview")."""
    title: str = ""
    responsible_person: str = ""
    deadline: date | None = None
    severity: str = "general"

    @property
    def empty(self) -> bool:
        return not (self.title.strip() or self.responsible_person.strip() or self.deadline)


# --- who may do what, when ------------------------------------------------------------------------
def in_scope(actor, interview: Interview) -> bool:
    return db.session.scalar(Scope(actor).interviews().with_only_columns(Interview.id)
                             .where(Interview.id == interview.id)) is not None


def can_manage(actor, interview: Interview) -> bool:
    """Regulators and administrators conduct the interviews they see (a street regulator those of
    their street and its enterprises); officers and grid workers only read them."""
    return Scope(actor).can_plan_interviews() and in_scope(actor, interview)


def allowed_actions(actor, interview: Interview, now: datetime | None = None) -> set[str]:
    if not can_manage(actor, interview):
        return set()
    now = now or utcnow()
    return {step for step in STEPS if _refusal(interview, step, now) is None}


def _refusal(interview: Interview, step: str, now: datetime) -> str | None:
    """Why the step cannot be taken in the interview's state now, or None."""
    status = status_label(interview.status)
    if interview.status not in STEPS[step]:
        return {
            "notice": _("A notice is issued for a planned interview; this one is %(status)s.", status=status),
            "reschedule": _("Only an interview not yet held can be rescheduled; this one is %(status)s.",
                            status=status),
            "cancel": _("Only an interview not yet held can be cancelled; this one is %(status)s.", status=status),
            "held": _("An interview is recorded as held once its notice was issued; this one is %(status)s.",
                      status=status),
            "supplement": _("Supplements are added to the minutes of a held interview; this one is %(status)s.",
                            status=status),
            "commitments": _("Commitments are recorded once the interview was held; this one is %(status)s.",
                             status=status),
            "close": _("The follow-up check closes an interview whose commitments are being followed; "
                       "this one is %(status)s.", status=status),
        }[step]
    if step == "notice" and interview.planned_at <= now:
        return _("The planned time has passed: reschedule the interview before issuing its notice.")
    if step == "held" and now < utc_start_of(to_local(interview.planned_at).date()):
        return _("The interview is planned for %(day)s: it can be recorded as held from that day on.",
                 day=to_local(interview.planned_at).date().isoformat())
    return None


def _check(actor, interview: Interview, step: str, expected_version: int | None, now: datetime) -> None:
    """Refuse a stale form, a role or area that may not, or a step the state does not allow — before
    anything changes."""
    if not can_manage(actor, interview):
        raise PermissionDenied(_("Only street and district regulators and administrators conduct interviews "
                                 "in their area."))
    if expected_version is not None and expected_version != interview.lock_version:
        raise _stale(interview)
    reason = _refusal(interview, step, now)
    if reason:
        raise IllegalStep(reason)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# --- the timeline and saving ------------------------------------------------------------------------
def add_event(interview: Interview, actor, action: str, from_status: str | None, to_status: str | None,
              comment: str | None = None, details: dict | None = None) -> InterviewEvent:
    """Append a step to the interview's timeline and the audit trail, in the caller's transaction."""
    entry = InterviewEvent(interview_id=interview.id, actor_id=getattr(actor, "id", None), action=action,
                           from_status=from_status, to_status=to_status, comment=comment, details=details or {})
    db.session.add(entry)
    record(actor, f"interview_{action}", interview, from_status=from_status, to_status=to_status,
           **({"comment": comment} if comment else {}), **(details or {}))
    return entry


def _stale(interview: Interview) -> StaleObject:
    """Undo this request's changes and describe the interview as the other request left it."""
    db.session.rollback()
    db.session.refresh(interview)
    return StaleObject(_("Someone else changed this interview meanwhile (it is now: %(status)s). "
                         "Check the timeline and try again.", status=status_label(interview.status)))


def _flush(interview: Interview) -> None:
    """Write the interview now; the version check happens here, before a timeline entry is added.
    Steps that only append (a supplement, more commitments) still move the version, so a form
    loaded before them is stale."""
    flag_modified(interview, "status")
    try:
        db.session.flush()
    except StaleDataError:
        raise _stale(interview) from None


def _commit(interview: Interview) -> Interview:
    try:
        db.session.commit()
    except StaleDataError:
        raise _stale(interview) from None
    return interview


def _move(actor, interview: Interview, action: str, to_status: str, comment: str | None = None,
          **details) -> InterviewEvent:
    from_status = interview.status
    interview.status = to_status
    _flush(interview)
    return add_event(interview, actor, action, from_status, to_status, comment, details)


def _text(value: str | None, field: str, required: bool, message: str, limit: int = MAX_TEXT) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed({field: message})
    if len(text) > limit:
        raise ValidationFailed({field: _("At most %(n)d characters.", n=limit)})
    return text or None


def _local(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


# --- planning ------------------------------------------------------------------------------------
def planning_defaults(actor, enterprise: Enterprise | None = None) -> dict[str, str]:
    """What the plan form starts with: the actor's unit as interviewing unit and, for an enterprise,
    its legal representative and safety manager as the people who must attend."""
    return {"interviewing_unit": notice.unit_for(actor).name,
            "attendees_required": notice.enterprise_attendees(enterprise) if enterprise else ""}


def candidate_accidents(actor, enterprise: Enterprise | None = None, limit: int = 50) -> list[Accident]:
    """Accidents the actor sees that may be given as reasons: the enterprise's, or (for a sector
    authority) the latest in the actor's area."""
    query = Scope(actor).accidents()
    if enterprise is not None:
        query = query.where(Accident.enterprise_id == enterprise.id)
    return list(db.session.scalars(query.options(selectinload(Accident.enterprise))
                                   .order_by(Accident.occurred_at.desc(), Accident.id.desc()).limit(limit)))


def candidate_hazards(actor, enterprise: Enterprise | None, limit: int = 50) -> list[Hazard]:
    """The enterprise's hazards the actor sees (still to be fixed first), but not earlier commitments."""
    if enterprise is None:
        return []
    return list(db.session.scalars(
        Scope(actor).hazards().where(Hazard.enterprise_id == enterprise.id, Hazard.source != "interview")
        .order_by(case((Hazard.status.in_(("open", "rectification_submitted")), 0), else_=1),
                  Hazard.deadline, Hazard.id).limit(limit)))


def plan_interview(actor, *, party_kind: str, planned_at: datetime | None, place: str | None,
                   officials: str | None, reasons: str | None, enterprise: Enterprise | None = None,
                   authority_name: str | None = None, street_id: int | None = None,
                   interviewing_unit: str | None = None, attendees_required: str | None = None,
                   accident_ids=(), hazard_ids=()) -> Interview:
    """Plan an interview of an enterprise in the actor's area, or of a sector authority (a street
    regulator's is their street's; a district one may be district-wide). `planned_at` is naive UTC."""
    scope = Scope(actor)
    if not scope.can_plan_interviews():
        raise PermissionDenied(_("Only street and district regulators and administrators plan interviews."))
    now = utcnow()
    errors: dict[str, str] = {}

    def text(value, field, message, limit=MAX_TEXT):
        try:
            return _text(value, field, True, message, limit)
        except ValidationFailed as exc:
            errors.update(exc.errors)

    if party_kind == "enterprise":
        if enterprise is None:
            raise ValidationFailed({"enterprise_id": _("Choose the enterprise to interview.")})
        if db.session.scalar(scope.enterprises().with_only_columns(Enterprise.id)
                             .where(Enterprise.id == enterprise.id)) is None:
            raise PermissionDenied(_("This enterprise is not in your area."))
        authority_name, street_id = None, enterprise.street_id
        attendees = attendees_required if (attendees_required or "").strip() else \
            notice.enterprise_attendees(enterprise)
    elif party_kind == "authority":
        enterprise = None
        authority_name = text(authority_name, "authority_name", _("Name the authority to interview."), MAX_LINE)
        street_id = _authority_street(actor, scope, street_id, errors)
        attendees = attendees_required
    else:
        raise ValidationFailed({"party_kind": _("Choose an enterprise or a sector authority.")})
    if planned_at is None:
        errors["planned_at"] = _("Enter the date and time of the interview.")
    elif planned_at <= now:
        errors["planned_at"] = _("The interview must be planned for a time still to come.")
    place = text(place, "place", _("Say where the interview takes place."), MAX_LINE)
    unit_name = text(interviewing_unit or notice.unit_for(actor).name, "interviewing_unit",
                     _("Name the interviewing unit."), MAX_LINE)
    officials = text(officials, "officials", _("Name who conducts the interview."))
    attendees = text(attendees, "attendees_required", _("Say who must attend."))
    reasons = text(reasons, "reasons", _("Give the reasons for the interview."))
    accidents = _chosen(scope.accidents(), Accident, accident_ids, errors, "accident_ids",
                        Accident.enterprise_id == enterprise.id if enterprise else None)
    if hazard_ids and enterprise is None:
        errors["hazard_ids"] = _("Hazards can be given as reasons only when an enterprise is interviewed.")
    hazards = _chosen(scope.hazards(), Hazard, hazard_ids, errors, "hazard_ids",
                      Hazard.enterprise_id == enterprise.id if enterprise else None)
    if errors:
        raise ValidationFailed(errors)

    interview = Interview(
        party_kind=party_kind, enterprise_id=enterprise.id if enterprise else None, authority_name=authority_name,
        street_id=street_id, planned_at=planned_at, place=place, interviewing_unit=unit_name, officials=officials,
        attendees_required=attendees, reasons=reasons, status="planned", notice_unit=notice.unit_for(actor).code,
        created_by_id=actor.id, accidents=accidents, hazards=hazards)
    db.session.add(interview)
    db.session.flush()
    add_event(interview, actor, "planned", None, "planned", details={
        "planned_at": _local(planned_at), "place": place,
        "party": enterprise.name if enterprise else authority_name,
        "accidents": [a.id for a in accidents], "hazards": [h.id for h in hazards]})
    db.session.commit()
    return interview


def _authority_street(actor, scope: Scope, street_id: int | None, errors: dict) -> int | None:
    """A street regulator's interview of an authority is their street's; a district one's is
    district-wide (None) or a street's."""
    if scope.role == roles.STREET_REGULATOR:
        if street_id not in (None, actor.street_id):
            errors["street_id"] = _("This street is outside your area.")
        return actor.street_id
    if street_id is not None and db.session.get(Street, street_id) is None:
        errors["street_id"] = _("No such street.")
    return street_id


def _chosen(query, model, ids, errors: dict, field: str, condition) -> list:
    wanted = list(dict.fromkeys(int(i) for i in ids or ()))
    if not wanted:
        return []
    if condition is not None:
        query = query.where(condition)
    found = list(db.session.scalars(query.where(model.id.in_(wanted)).order_by(model.id)))
    if len(found) != len(wanted):
        errors[field] = _("Some of the chosen records are not this party's or not in your area.")
    return found


# --- the notice ------------------------------------------------------------------------------------
def issue_notice(actor, interview: Interview, expected_version: int | None = None) -> Interview:
    """Number the interview's notice (约谈通知书) in its unit's series for the year. The counter row stays
    locked until commit: two notices issued at once get consecutive numbers; a failure leaves no gap."""
    now = utcnow()
    _check(actor, interview, "notice", expected_version, now)
    unit = notice.unit_of(interview.notice_unit)
    year = to_local(now).year
    try:
        sequence = notice.next_sequence(unit, year)
        interview.notice_year, interview.notice_sequence = year, sequence
        interview.notice_number, interview.notice_issued_at = unit.number(year, sequence), now
        _move(actor, interview, "notice_issued", "notice_issued", number=interview.notice_number)
        db.session.commit()
    except StaleDataError:
        raise _stale(interview) from None
    except Exception:
        db.session.rollback()  # the counter goes back too: no gap
        raise
    return interview


def _void_notice(interview: Interview) -> str | None:
    """Forget the issued notice (its number stays used, named in the timeline)."""
    number = interview.notice_number
    interview.notice_year = interview.notice_sequence = interview.notice_number = None
    interview.notice_issued_at = None
    return number


def reschedule(actor, interview: Interview, planned_at: datetime | None, reason: str | None,
               expected_version: int | None = None) -> Interview:
    """Move the interview to another time. An issued notice names the old time: it is void, and a new
    one must be issued."""
    now = utcnow()
    _check(actor, interview, "reschedule", expected_version, now)
    text = _text(reason, "reason", True, _("Say why the interview is rescheduled."))
    if planned_at is None:
        raise ValidationFailed({"planned_at": _("Enter the new date and time.")})
    if planned_at <= now:
        raise ValidationFailed({"planned_at": _("The interview must be planned for a time still to come.")})
    if planned_at == interview.planned_at:
        raise ValidationFailed({"planned_at": _("This is the time already planned.")})
    details = {"from": _local(interview.planned_at), "to": _local(planned_at)}
    if interview.status == "notice_issued":
        details["voided_notice"] = _void_notice(interview)
    interview.planned_at = planned_at
    _move(actor, interview, "rescheduled", "planned", text, **details)
    return _commit(interview)


def cancel(actor, interview: Interview, reason: str | None, expected_version: int | None = None) -> Interview:
    """Call the interview off; an issued notice is void (its number stays on the record)."""
    _check(actor, interview, "cancel", expected_version, utcnow())
    text = _text(reason, "reason", True, _("Say why the interview is cancelled."))
    details = {"voided_notice": interview.notice_number} if interview.status == "notice_issued" else {}
    interview.cancel_reason = text
    _move(actor, interview, "cancelled", "cancelled", text, **details)
    return _commit(interview)


# --- holding it ------------------------------------------------------------------------------------
def record_held(actor, interview: Interview, held_at: datetime | None, attendees: str | None,
                minutes: str | None, photos=(), expected_version: int | None = None) -> Interview:
    """The interview took place: who came, the minutes, photos of the signed record. From now on the
    minutes are part of the record; later additions are supplements."""
    now = utcnow()
    _check(actor, interview, "held", expected_version, now)
    came = _text(attendees, "attendees", True, _("Say who attended."))
    said = _text(minutes, "minutes", True, _("Write the minutes of the interview."), MAX_MINUTES)
    if held_at is None:
        raise ValidationFailed({"held_at": _("Enter when the interview was held.")})
    if held_at < utc_start_of(to_local(interview.planned_at).date()) or held_at > now:
        raise ValidationFailed({"held_at": _("The time it was held must be between the planned day and now.")})
    refs = _keep_photos(actor, interview, photos, expected_version)
    interview.held_at, interview.attendees, interview.minutes = held_at, came, said
    _move(actor, interview, "held", "held", None, held_at=_local(held_at), photos=refs)
    return _commit(interview)


def add_supplement(actor, interview: Interview, text: str | None, photos=(),
                   expected_version: int | None = None) -> InterviewEvent:
    """The minutes are never edited: what was left out or came later is appended (补充说明)."""
    _check(actor, interview, "supplement", expected_version, utcnow())
    said = _text(text, "supplement", True, _("Write the supplement."), MAX_MINUTES)
    refs = _keep_photos(actor, interview, photos, expected_version)
    _flush(interview)
    entry = add_event(interview, actor, "supplement", interview.status, interview.status, said, {"photos": refs})
    _commit(interview)
    return entry


def _keep_photos(actor, interview: Interview, photos, expected_version: int | None) -> list[str]:
    """Store the uploaded photos of the signed record; the interview must still be as the form saw it."""
    files = [(name, stream) for name, stream in photos or ()]
    if not files:
        return []
    if len(files) > MAX_PHOTOS:
        raise ValidationFailed({"photos": _("At most %(n)d photos.", n=MAX_PHOTOS)})
    if interview.enterprise_id is None:
        raise ValidationFailed({"photos": _("Photos are kept only for interviews of an enterprise; "
                                            "describe the signed record in the minutes.")})
    from safetylist.photos.services import store_interview_photo
    version = interview.lock_version
    refs = [store_interview_photo(actor, interview, name, stream).ref for name, stream in files]
    # Each photo was committed: check again that nobody took a step meanwhile.
    if interview.lock_version != (expected_version if expected_version is not None else version):
        raise _stale(interview)
    return refs


# --- commitments and follow-up ---------------------------------------------------------------------
def record_commitments(actor, interview: Interview, commitments: list[Commitment],
                       expected_version: int | None = None) -> list[Hazard]:
    """What the interviewed party committed to, each with an owner and a deadline. An enterprise's become
    hazards (source "interview") followed on the remediation board; an authority's are kept on the
    timeline. The interview is then followed up."""
    now = utcnow()
    _check(actor, interview, "commitments", expected_version, now)
    items = [c for c in commitments if not c.empty]
    today = to_local(now).date()
    errors: dict[str, str] = {}
    if not items:
        errors["commitments"] = _("Enter at least one commitment.")
    for i, item in enumerate(commitments):
        if item.empty:
            continue
        if not item.title.strip():
            errors[f"commitment-{i}-title"] = _("Say what was committed.")
        elif len(item.title.strip()) > MAX_COMMITMENT:
            errors[f"commitment-{i}-title"] = _("At most %(n)d characters.", n=MAX_COMMITMENT)
        if not item.responsible_person.strip():
            errors[f"commitment-{i}-person"] = _("Name who is responsible.")
        elif len(item.responsible_person.strip()) > MAX_PERSON:
            errors[f"commitment-{i}-person"] = _("At most %(n)d characters.", n=MAX_PERSON)
        if item.deadline is None:
            errors[f"commitment-{i}-deadline"] = _("Enter the deadline.")
        elif item.deadline < today:
            errors[f"commitment-{i}-deadline"] = _("The deadline cannot be before today (%(day)s).",
                                                   day=today.isoformat())
        if item.severity not in SEVERITIES:
            errors[f"commitment-{i}-severity"] = _("Choose general or major.")
    if errors:
        raise ValidationFailed(errors)
    try:
        _move(actor, interview, "commitments", "follow_up", None, items=[
            {"title": c.title.strip(), "responsible_person": c.responsible_person.strip(),
             "deadline": c.deadline.isoformat(), "severity": c.severity} for c in items])
        hazards = []
        if interview.enterprise_id is not None:
            hazards = [remediation.open_interview_commitment(actor, interview, c.title.strip(),
                                                             c.responsible_person.strip(), c.deadline, c.severity)
                       for c in items]
        _commit(interview)
    except Exception:
        db.session.rollback()  # no hazard without its interview step, and none of them alone
        raise
    return hazards


def open_commitments(interview: Interview) -> list[Hazard]:
    return [h for h in interview.commitments if h.active]


def close(actor, interview: Interview, note: str | None, despite_open: bool = False,
          expected_version: int | None = None) -> Interview:
    """The follow-up check: the commitments were met (every one closed or withdrawn), or the regulator
    explains why the interview is closed with some still open. Closed is final."""
    now = utcnow()
    _check(actor, interview, "close", expected_version, now)
    text = _text(note, "note", True, _("Write the result of the follow-up check."))
    still_open = open_commitments(interview)
    if still_open and not despite_open:
        raise ValidationFailed({"despite_open": _(
            "%(n)d commitments are still open. Confirm that the interview is closed anyway and explain why "
            "in the note.", n=len(still_open))})
    interview.follow_up_note, interview.followed_up_at, interview.closed_at = text, now, now
    _move(actor, interview, "closed", "closed", text, open_commitments=[h.id for h in still_open])
    return _commit(interview)


def timeline(interview: Interview) -> list[InterviewEvent]:
    return list(db.session.scalars(select(InterviewEvent).where(InterviewEvent.interview_id == interview.id)
                                   .options(selectinload(InterviewEvent.actor))
                                   .order_by(InterviewEvent.at, InterviewEvent.id)))

