"""Forms of the agency pages. They only read input; the services decide what is valid, so a form and
an import are refused for the same reasons."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, \
    StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


CODE = {"autocapitalize": "characters", "spellcheck": "false"}


class AgencyForm(FlaskForm):
    name = StringField(_l("Agency name"), validators=[Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), validators=[Length(max=40)], render_kw=CODE)
    qualification_no = StringField(_l("Qualification certificate number"), validators=[Length(max=60)])
    qualification_issued_on = DateField(_l("Qualification issued on"), validators=[Optional()])
    qualification_expires_on = DateField(_l("Qualification valid until"), validators=[Optional()])
    business_scope = TextAreaField(_l("Business scope"), validators=[Length(max=2000)], render_kw={"rows": 3})
    address = StringField(_l("Address"), validators=[Length(max=300)])
    contact_name = StringField(_l("Contact person"), validators=[Length(max=60)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=30)], render_kw={"inputmode": "tel"})
    active = BooleanField(_l("Working in the district"), default=True)
    version = HiddenField()

    FIELDS = ("name", "credit_code", "qualification_no", "qualification_issued_on", "qualification_expires_on",
              "business_scope", "address", "contact_name", "contact_phone", "active")

    def data_for_service(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}


class EvaluatorForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=60)])
    certificate_no = StringField(_l("Evaluator certificate number"), validators=[Length(max=60)], render_kw=CODE)
    specialty = StringField(_l("Specialty"), validators=[Length(max=100)])


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProjectForm(FlaskForm):
    report_no = StringField(_l("Report number"), validators=[Length(max=60)])
    enterprise_code = StringField(_l("Enterprise's unified social credit code"), validators=[Length(max=40)],
                                  render_kw=CODE)
    evaluation_type = SelectField(_l("Type of evaluation"))
    started_on = DateField(_l("Work started on"), validators=[Optional()])
    report_on = DateField(_l("Report issued on"), validators=[Optional()])
    # Unknown ids are the service's to name, with the agency's evaluators.
    evaluators = CheckboxesField(_l("Evaluators who signed the report"), coerce=int, validate_choice=False)
    conclusion = SelectField(_l("Conclusion"))
    conclusion_text = TextAreaField(_l("Conclusion notes"), validators=[Length(max=4000)], render_kw={"rows": 3})
    version = HiddenField()


class SelfCheckCallForm(FlaskForm):
    title = StringField(_l("What the self-check is for"), validators=[Length(max=200)])
    due_on = DateField(_l("Due by"), validators=[Optional()])
    reason = TextAreaField(_l("Instructions to the agencies"), validators=[Length(max=2000)], render_kw={"rows": 3})


class DrawForm(FlaskForm):
    period_start = DateField(_l("Reports issued from"), validators=[Optional()])
    period_end = DateField(_l("to"), validators=[Optional()])
    agency_id = SelectField(_l("Agency"), coerce=_optional_int, validators=[Optional()])
    sample_size = IntegerField(_l("Projects to draw"), default=5, validators=[Optional(), NumberRange(min=1)],
                               render_kw={"inputmode": "numeric", "min": 1})
    seed = StringField(_l("Seed (leave empty for a random one)"), validators=[Length(max=40)])


class RuleForm(FlaskForm):
    period_start = DateField(_l("Reports issued from"), validators=[Optional()])
    period_end = DateField(_l("to"), validators=[Optional()])
    agency_id = SelectField(_l("Agency"), coerce=_optional_int, validators=[Optional()])
    rule = SelectField(_l("Rule"))
