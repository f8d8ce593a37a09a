"""Account forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from safetylist.auth.roles import ROLE_LABELS, ROLES


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"})
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    role = SelectField(_l("Role"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    enterprise_code = StringField(_l("Enterprise credit code (officers)"), validators=[Optional(), Length(max=40)])
    street_id = SelectField(_l("Street (street regulators and grid workers)"), coerce=_optional_int,
                            validators=[Optional()])
    agency_id = SelectField(_l("Agency (agency staff)"), coerce=_optional_int, validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)], render_kw={"inputmode": "tel"})
    password = PasswordField(_l("Password"), validators=[Optional()], render_kw={"autocomplete": "new-password"})
    active = BooleanField(_l("Account enabled"), default=True)
    version = HiddenField()


class GridAssignmentForm(FlaskForm):
    grids = SelectMultipleField(_l("Grids"), coerce=int, option_widget=CheckboxInput(),
                                widget=ListWidget(prefix_label=False))
    backup_grids = SelectMultipleField(_l("Backup for grids"), coerce=int, option_widget=CheckboxInput(),
                                       widget=ListWidget(prefix_label=False))
