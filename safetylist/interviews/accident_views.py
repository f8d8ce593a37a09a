"""Accident pages (bp "accidents", /accidents): the list, entry and import, statistics."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from safetylist import spreadsheet
from safetylist.auth.scope import Scope
from safetylist.extensions import db
from safetylist.i18n import local_name
from safetylist.interviews import accident_import, accident_stats, accidents
from safetylist.interviews.accident_forms import AccidentForm
from safetylist.interviews.models import ACCIDENT_CATEGORIES
from safetylist.registry import credit_code
from safetylist.registry.forms import ImportForm
from safetylist.registry.models import Sector
from safetylist.registry.services import credit_code_message
from safetylist.timeutil import from_local, local_today, to_local
from safetylist.web import call_service, import_upload

bp = Blueprint("accidents", __name__, url_prefix="/accidents")

LINE_LABELS = {"all": _l("All accidents"), "production": _l("Excluding fire"),
               "fire": _l("Fire")}
BREAKDOWN_LABELS = {"month": _l("By month"), "street": _l("By street"), "sector": _l("By sector"),
                    "category": _l("By category")}


@bp.before_request
@login_required
def require_login():
    if not Scope(current_user).can_see_enterprises():  # agency staff: no enterprise, so no accident
        abort(404)


@bp.context_processor
def helpers():
    return {"category_name": accidents.category_name, "where_name": accidents.where_name,
            "pct": accident_stats.format_pct, "yuan": accident_stats.format_yuan}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _require_recorder() -> Scope:
    scope = Scope(current_user)
    if not scope.can_record_accidents():
        abort(403)
    return scope


# --- the list and one record ------------------------------------------------------------------
@bp.route("/")
def index():
    scope = Scope(current_user)
    category = request.args.get("category")
    filters = accidents.AccidentFilters(year=_int_arg("year"), street_id=_int_arg("street_id"),
                                        category=category if category in ACCIDENT_CATEGORIES else None,
                                        enterprise_id=_int_arg("enterprise_id"))
    enterprise = scope.get_enterprise(filters.enterprise_id) if filters.enterprise_id else None
    page = accidents.list_accidents(current_user, filters, page=_int_arg("page") or 1,
                                    per_page=min(_int_arg("per_page") or current_app.config["PAGE_SIZE"], 200))
    return render_template("interviews/accidents.html", page=page, filters=filters, enterprise=enterprise,
                           years=accidents.accident_years(current_user),
                           streets=db.session.scalars(scope.streets()).all(),
                           categories=accidents.category_choices(),
                           query_args={k: v for k, v in request.args.items(multi=True) if k != "page"})


@bp.route("/<int:accident_id>")
def detail(accident_id: int):
    accident = Scope(current_user).get_accident(accident_id)
    return render_template("interviews/accident.html", accident=accident,
                           can_edit=accidents.can_change(current_user, accident))


# --- entry and correction -------------------------------------------------------------------------
def _fill_choices(form: AccidentForm, scope: Scope) -> None:
    blank = ("", "—")
    form.street_id.choices = [blank] + [(s.id, local_name(s)) for s in db.session.scalars(scope.streets())]
    form.sector_id.choices = [blank] + [(s.id, local_name(s)) for s in
                                        db.session.scalars(select(Sector).order_by(Sector.position))]
    form.category.choices = [blank] + accidents.category_choices()


def _enterprise_id(form: AccidentForm, scope: Scope) -> int | None:
    """The enterprise the credit code names, if any; a code that names none is a field error."""
    text = (form.enterprise_code.data or "").strip()
    if not text:
        return None
    try:
        code = credit_code.validate(text)
    except credit_code.CreditCodeError as exc:
        form.enterprise_code.errors = [credit_code_message(exc)]
        return None
    found = accidents.enterprises_by_code(scope, [code]).get(code)
    if found is None:
        form.enterprise_code.errors = [_("No registered enterprise in your area has this credit code.")]
    return found


def _show_errors(form: AccidentForm, errors: dict[str, str]) -> None:
    for name, reason in errors.items():
        name = "enterprise_code" if name == "enterprise_id" else name
        if name in form:
            if not form[name].errors:  # one reason per field is enough
                form[name].errors = list(form[name].errors or []) + [reason]
        else:
            flash(reason, "error")


def _save(form: AccidentForm, scope: Scope, save, existing=None) -> int | None:
    """Validate the form and call `save(fields)`: None when saved, else the HTTP status to answer.
    A form that fails its own checks also shows the record's problems, so one submit shows them all."""
    if not form.is_submitted():
        return 200
    valid = form.validate()
    enterprise_id = _enterprise_id(form, scope)
    moment = form.occurred_at.data
    fields = {**form.data_for_service(enterprise_id), "occurred_at": from_local(moment) if moment else None}
    if not valid or form.enterprise_code.errors:
        errors = accidents.accident_errors(current_user, fields, existing)
        if form.enterprise_code.errors:  # which enterprise is meant is unknown: where it was is not judged
            errors = {name: reason for name, reason in errors.items() if name not in accidents.WHERE_FIELDS}
        _show_errors(form, errors)
        return 400
    return call_service(lambda: save(fields), form, _show_errors)


@bp.route("/new", methods=["GET", "POST"])
def create():
    scope = _require_recorder()
    form = AccidentForm()
    _fill_choices(form, scope)
    if request.method == "GET" and _int_arg("enterprise_id"):
        form.enterprise_code.data = scope.get_enterprise(_int_arg("enterprise_id")).credit_code
    recorded = []  # the new record, once the service has made it
    status = _save(form, scope, lambda fields: recorded.append(accidents.record_accident(current_user, **fields)))
    if status is None:
        flash(_("Accident recorded."), "success")
        return redirect(url_for(".detail", accident_id=recorded[0].id))
    return render_template("interviews/accident_form.html", form=form, accident=None), status


@bp.route("/<int:accident_id>/edit", methods=["GET", "POST"])
def edit(accident_id: int):
    scope = Scope(current_user)
    accident = scope.get_accident(accident_id)
    if not accidents.can_change(current_user, accident):
        abort(403)
    form = AccidentForm(obj=accident if request.method == "GET" else None)
    _fill_choices(form, scope)
    if request.method == "GET":
        form.occurred_at.data = to_local(accident.occurred_at).replace(tzinfo=None)
        form.enterprise_code.data = accident.enterprise.credit_code if accident.enterprise else ""
        form.version.data = accident.lock_version
    version = str(form.version.data or "")
    status = _save(form, scope, lambda fields: accidents.update_accident(
        current_user, accident, int(version) if version.isdigit() else 0, **fields), existing=accident)
    if status is None:
        flash(_("Changes saved."), "success")
        return redirect(url_for(".detail", accident_id=accident.id))
    return render_template("interviews/accident_form.html", form=form, accident=accident), status


# --- import -------------------------------------------------------------------------------------
@bp.route("/import", methods=["GET", "POST"])
def import_file():
    _require_recorder()
    form = ImportForm()
    result, status = import_upload(form, lambda name, content: accident_import.import_accidents(current_user, name,
                                                                                                content))
    if status is None:
        flash(_("Imported %(count)d accidents.", count=result.created), "success")
        return redirect(url_for(".index"))
    return render_template("interviews/accident_import.html", form=form, result=result,
                           columns=accident_import.COLUMNS), status


@bp.route("/import/template.xlsx")
def import_template():
    _require_recorder()
    return send_file(accident_import.template_workbook(), as_attachment=True,
                     download_name="accident-import-template.xlsx", mimetype=spreadsheet.XLSX)


# --- statistics ---------------------------------------------------------------------------------
@bp.route("/stats")
def stats():
    """A year (or the year to a day) against the same days of the two years before, and breakdowns.
    With no arguments: this year so far, as the bureau reports it."""
    today = local_today()
    years = accidents.accident_years(current_user)
    year = _int_arg("year") or today.year
    if year not in years:
        year = years[0] if year > years[0] else years[-1]
    if "until" in request.args:
        until = _parse_day(request.args["until"])
    else:
        until = today if year == today.year else None
    period = accident_stats.Period.year_to(year, until.month, until.day) if until \
        else accident_stats.Period.full_year(year)
    line = request.args.get("line") if request.args.get("line") in accident_stats.LINES else "all"
    return render_template(
        "interviews/accident_stats.html", period=period, year=year, years=years, until=until, line=line,
        line_labels=LINE_LABELS, breakdown_labels=BREAKDOWN_LABELS,
        comparison=accident_stats.compare(current_user, period),
        breakdowns={by: accident_stats.breakdown(current_user, period, by, line) for by in accident_stats.BREAKDOWNS},
        yearly=accident_stats.by_year(current_user, line),
        period_label=_period_label(period))


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None  # an empty or unreadable day: the whole year


def _period_label(period: accident_stats.Period) -> str:
    if period.whole_year:
        return _("All of %(year)d", year=period.year)
    return _("%(start)s to %(end)s", start=format_date(period.start, "yyyy-MM-dd"),
             end=format_date(period.end, "yyyy-MM-dd"))
