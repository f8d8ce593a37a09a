"""Forms of the interview pages: planning one, and reading the step forms (times are entered in
Asia/Shanghai and handed to the service in UTC)."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from safetylist.interviews.services import Commitment
from safetylist.timeutil import from_local

TIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
COMMITMENT_ROWS = 3  # blank rows on the page; more can be added after saving


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class PlanInterviewForm(FlaskForm):
    """Plan an interview; the service checks the party, the time and the chosen records."""
    party_kind = HiddenField(default="enterprise")
    enterprise_id = HiddenField()
    authority_name = StringField(_l("Authority interviewed"), render_kw={"maxlength": 200})
    street_id = SelectField(_l("Street"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    planned_at = DateTimeLocalField(_l("Date and time"), format=TIME_FORMAT, validators=[Optional()])
    place = StringField(_l("Place"), render_kw={"maxlength": 200})
    interviewing_unit = StringField(_l("Interviewing unit"), render_kw={"maxlength": 200})
    officials = TextAreaField(_l("Conducted by"), render_kw={"rows": 2, "maxlength": 2000})
    attendees_required = TextAreaField(_l("Who must attend"), render_kw={"rows": 2, "maxlength": 2000})
    reasons = TextAreaField(_l("Reasons"), render_kw={"rows": 4, "maxlength": 2000})
    accident_ids = SelectMultipleField(_l("Related accidents"), coerce=int, validate_choice=False)
    hazard_ids = SelectMultipleField(_l("Related hazards"), coerce=int, validate_choice=False)

    def planned_at_utc(self) -> datetime | None:
        return from_local(self.planned_at.data) if self.planned_at.data else None


def local_moment(form, name: str) -> datetime | None:
    """A datetime-local field as naive UTC; None when empty or not a time."""
    try:
        return from_local(datetime.strptime(form.get(name, "").strip(), TIME_FORMAT))
    except ValueError:
        return None


def version(form) -> int | None:
    value = form.get("lock_version", "")
    return int(value) if value.isdigit() else None


def commitments(form, rows: int = COMMITMENT_ROWS) -> list[Commitment]:
    """The commitment rows as entered (blank rows are left out by the service)."""
    found = []
    for i in range(rows):
        try:
            deadline = date.fromisoformat(form.get(f"commitment-{i}-deadline", "").strip())
        except ValueError:
            deadline = None
        found.append(Commitment(title=form.get(f"commitment-{i}-title", ""),
                                responsible_person=form.get(f"commitment-{i}-person", ""),
                                deadline=deadline, severity=form.get(f"commitment-{i}-severity", "general")))
    return found
