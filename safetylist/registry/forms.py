"""Enterprise filing (建档) form and the import upload form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from safetylist.registry.models import RISK_LEVELS, STATUSES


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class EnterpriseForm(FlaskForm):
    name = StringField(_l("Enterprise name"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=40)],
                              render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    sector_id = SelectField(_l("Sector"), coerce=_optional_int, validators=[DataRequired()])
    street_id = SelectField(_l("Street"), coerce=_optional_int, validators=[DataRequired()])
    community_id = SelectField(_l("Community"), coerce=_optional_int, validators=[Optional()],
                               validate_choice=True)
    grid_id = SelectField(_l("Grid"), coerce=_optional_int, validators=[Optional()])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    risk_level = SelectField(_l("Risk level"), choices=list(RISK_LEVELS), validators=[DataRequired()])
    confined_space = BooleanField(_l("Confined spaces"))
    hazardous_chemicals = BooleanField(_l("Hazardous chemicals"))
    gas_user = BooleanField(_l("Gas user"))
    key_enterprise = BooleanField(_l("Key enterprise"))
    standardization_required = BooleanField(_l("Standardization required"))
    photo_location_opt_in = BooleanField(_l("Keep the location (GPS) in our photos"))
    headcount = IntegerField(_l("Headcount"), validators=[Optional(), NumberRange(min=0, max=1_000_000)],
                             render_kw={"inputmode": "numeric"})
    legal_representative = StringField(_l("Legal representative"), validators=[DataRequired(), Length(max=60)])
    contact_name = StringField(_l("Safety contact"), validators=[DataRequired(), Length(max=60)])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=30)],
                                render_kw={"inputmode": "tel", "autocomplete": "tel"})
    filed_on = DateField(_l("Filing date"), validators=[DataRequired()])
    status = SelectField(_l("Status"), choices=list(STATUSES), default="active")
    version = HiddenField()

    def data_for_service(self, locked: frozenset[str]) -> dict:
        """Field values the service should apply; fields locked for this user are left out."""
        names = [f.name for f in self if f.name not in ("csrf_token", "version")]
        return {name: self[name].data for name in names if name not in locked}


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[
        FileRequired(), FileAllowed(["xlsx", "csv"], _l("Only .xlsx and .csv files can be imported."))])
