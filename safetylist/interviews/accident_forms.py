"""The form for entering and correcting an accident record (the import reuses the registry's upload form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, DecimalField, HiddenField, IntegerField, SelectField, StringField, \
    TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class AccidentForm(FlaskForm):
    """The service decides what is required where (an enterprise, or a place with its street)."""
    occurred_at = DateTimeLocalField(_l("Date and time"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    enterprise_code = StringField(_l("Enterprise's unified social credit code"), validators=[Length(max=40)],
                                  render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    place_name = StringField(_l("Place name"), validators=[Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    street_id = SelectField(_l("Street"), coerce=_optional_int, validators=[Optional()])
    sector_id = SelectField(_l("Sector"), coerce=_optional_int, validators=[Optional()])
    category = SelectField(_l("Category (GB 6441-86)"), validators=[DataRequired()])
    deaths = IntegerField(_l("Deaths"), default=0, validators=[Optional(), NumberRange(min=0, max=100_000)],
                          render_kw={"inputmode": "numeric", "min": 0})
    injuries = IntegerField(_l("Injuries"), default=0, validators=[Optional(), NumberRange(min=0, max=100_000)],
                            render_kw={"inputmode": "numeric", "min": 0})
    direct_loss = DecimalField(_l("Direct economic loss (yuan)"), places=2, default=0,
                               validators=[Optional(), NumberRange(min=0)], render_kw={"inputmode": "decimal"})
    summary = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=5000)],
                            render_kw={"rows": 5})
    source = StringField(_l("Source of the report"), validators=[Length(max=100)])
    version = HiddenField()

    def data_for_service(self, enterprise_id: int | None) -> dict:
        """The record's fields; with an enterprise, its street and sector are the enterprise's."""
        data = {name: self[name].data for name in ("place_name", "address", "street_id", "sector_id", "category",
                                                    "deaths", "injuries", "direct_loss", "summary", "source")}
        if enterprise_id is not None:
            data.update(street_id=None, sector_id=None)
        return {**data, "enterprise_id": enterprise_id}

