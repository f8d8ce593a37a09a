"""Forms of the grid area."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import Optional


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class InspectionOrderForm(FlaskForm):
    """Order an extra inspection; the service checks the target and the dates."""
    title = StringField(_l("Reason or campaign"), render_kw={"maxlength": 120})
    due_on = DateField(_l("Inspect by"), validators=[Optional()])
    enterprise_id = HiddenField()
    sector_id = SelectField(_l("Sector"), coerce=_optional_int, validators=[Optional()])
    street_id = SelectField(_l("Street"), coerce=_optional_int, validators=[Optional()])
