"""Enterprise register pages: list, detail, filing forms, import and export."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from safetylist.auth.scope import Scope
from safetylist.errors import ValidationFailed
from safetylist.extensions import db
from safetylist.grid.models import Grid
from safetylist.i18n import local_name
from safetylist.registry import exporter, importer, services
from safetylist.registry.forms import EnterpriseForm, ImportForm
from safetylist.registry.models import FLAGS, RISK_LEVELS, STATUSES, Community, Sector
from safetylist.timeutil import local_today
from safetylist.web import call_service, import_upload

bp = Blueprint("registry", __name__, url_prefix="/enterprises")


@bp.before_request
@login_required
def require_login():
    if not Scope(current_user).can_see_enterprises():
        abort(404)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def filters_from_request() -> services.EnterpriseFilters:
    risk = request.args.get("risk_level")
    status = request.args.get("status")
    return services.EnterpriseFilters(
        q=request.args.get("q", "")[:100],
        street_id=_int_arg("street_id"),
        community_id=_int_arg("community_id"),
        sector_id=_int_arg("sector_id"),
        risk_level=risk if risk in RISK_LEVELS else None,
        status=status if status in STATUSES else None,
        flags=[f for f in request.args.getlist("flag") if f in FLAGS],
        unassigned=request.args.get("unassigned") == "1",
    )


def _sectors() -> list[Sector]:
    return list(db.session.scalars(select(Sector).order_by(Sector.position)))


@bp.route("/")
def index():
    scope = Scope(current_user)
    filters = filters_from_request()
    page = services.list_enterprises(current_user, filters, page=_int_arg("page") or 1,
                                     per_page=min(_int_arg("per_page") or current_app.config["PAGE_SIZE"], 200))
    return render_template("registry/list.html", page=page, filters=filters,
                           streets=db.session.scalars(scope.streets()).all(), sectors=_sectors(),
                           query_args={k: v for k, v in request.args.items(multi=True) if k != "page"})


@bp.route("/<int:enterprise_id>")
def detail(enterprise_id: int):
    scope = Scope(current_user)
    enterprise = scope.get_enterprise(enterprise_id)
    from safetylist.agencies.labels import agency_labels
    from safetylist.agencies.projects import ProjectFilters, list_projects
    from safetylist.grid.services import responsible_workers
    from safetylist.interviews.accidents import category_name
    from safetylist.interviews.labels import interview_labels
    from safetylist.interviews.record import enterprise_record
    from safetylist.standardization.certificates import current_certificate
    worker = responsible_workers([enterprise.grid_id]).get(enterprise.grid_id) if enterprise.grid_id else None
    return render_template("registry/detail.html", enterprise=enterprise, worker=worker,
                           can_edit=scope.can_edit_enterprise(enterprise),
                           record=enterprise_record(current_user, enterprise), interview_labels=interview_labels(),
                           category_name=category_name, today=local_today(),
                           certificate=current_certificate(enterprise.id),
                           projects=list_projects(current_user, ProjectFilters(enterprise_id=enterprise.id), per_page=5),
                           **agency_labels())


def _fill_choices(form: EnterpriseForm, scope: Scope) -> None:
    """Place choices within the user's area; community and grid options name their parent for places.js."""
    streets = db.session.scalars(scope.streets()).all()
    street_ids = [s.id for s in streets]
    communities = db.session.scalars(select(Community).where(Community.street_id.in_(street_ids))
                                     .order_by(Community.street_id, Community.id)).all()
    grids = db.session.execute(select(Grid.id, Grid.name, Grid.community_id)
                               .where(Grid.community_id.in_([c.id for c in communities]))
                               .order_by(Grid.code)).all()
    blank = ("", "—")
    form.sector_id.choices = [blank] + [(s.id, local_name(s)) for s in _sectors()]
    form.street_id.choices = [blank] + [(s.id, local_name(s)) for s in streets]
    form.community_id.choices = [blank] + [(c.id, c.name_zh, {"data-parent": c.street_id}) for c in communities]
    form.grid_id.choices = [blank] + [(g.id, g.name, {"data-parent": g.community_id}) for g in grids]
    form.risk_level.choices = [(level, str(label)) for level, label in _risk_labels().items()]
    form.status.choices = [(status, str(label)) for status, label in _status_labels().items()]


def _risk_labels():
    from safetylist.web import RISK_LABELS
    return RISK_LABELS


def _status_labels():
    from safetylist.web import STATUS_LABELS
    return STATUS_LABELS


def _apply_errors(form: EnterpriseForm, errors: dict[str, str]) -> None:
    for name, reason in errors.items():
        if name in form:
            if not form[name].errors:  # one reason per field is enough
                form[name].errors = list(form[name].errors or []) + [reason]
        else:
            flash(reason, "error")


def _show_domain_errors(form: EnterpriseForm, locked: frozenset[str], existing=None) -> None:
    """After a form-level failure, list the domain problems too, so one submit shows them all."""
    _apply_errors(form, services.enterprise_errors(current_user, form.data_for_service(locked), existing))


@bp.route("/new", methods=["GET", "POST"])
def create():
    scope = Scope(current_user)
    if not scope.can_create_enterprise():
        abort(403)
    form = EnterpriseForm()
    if request.method == "GET":
        form.filed_on.data = local_today()
        if current_user.street_id:
            form.street_id.data = current_user.street_id
    _fill_choices(form, scope)
    if form.validate_on_submit():
        try:
            enterprise = services.create_enterprise(current_user, form.data_for_service(frozenset()))
        except ValidationFailed as exc:
            _apply_errors(form, exc.errors)
        else:
            flash(_("Enterprise %(name)s registered.", name=enterprise.name), "success")
            return redirect(url_for(".detail", enterprise_id=enterprise.id))
    elif form.is_submitted():
        _show_domain_errors(form, frozenset())
    return render_template("registry/form.html", form=form, enterprise=None, locked=frozenset()), \
        400 if form.errors else 200


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
def edit(enterprise_id: int):
    scope = Scope(current_user)
    enterprise = scope.get_enterprise(enterprise_id)
    if not scope.can_edit_enterprise(enterprise):
        abort(403)
    locked = scope.locked_fields()
    form = EnterpriseForm(obj=enterprise if request.method == "GET" else None)
    _fill_choices(form, scope)
    for name in locked:  # shown, but not part of what this user submits
        form[name].render_kw = {**(form[name].render_kw or {}), "disabled": True}
        form[name].validators = []
        form[name].data = getattr(enterprise, name)
    status = 200
    if form.validate_on_submit():
        status = call_service(
            lambda: services.update_enterprise(current_user, enterprise, form.data_for_service(locked),
                                               expected_version=int(form.version.data or 0)),
            form, _apply_errors)
        if status is None:
            flash(_("Changes saved."), "success")
            return redirect(url_for(".detail", enterprise_id=enterprise.id))
    elif form.is_submitted():
        _show_domain_errors(form, locked, enterprise)
        status = 400
    return render_template("registry/form.html", form=form, enterprise=enterprise, locked=locked), status


@bp.route("/import", methods=["GET", "POST"])
def import_file():
    if not Scope(current_user).can_import():
        abort(403)
    form = ImportForm()
    result, status = import_upload(form, lambda name, content: importer.import_enterprises(current_user, name, content))
    if status is None:
        flash(_("Imported %(count)d enterprises.", count=result.created), "success")
        return redirect(url_for(".index"))
    return render_template("registry/import.html", form=form, result=result,
                           columns=importer.COLUMNS), status


@bp.route("/import/template.xlsx")
def import_template():
    if not Scope(current_user).can_import():
        abort(403)
    return send_file(exporter.template_workbook(), as_attachment=True,
                     download_name="enterprise-import-template.xlsx", mimetype=exporter.XLSX)


@bp.route("/export.xlsx")
def export():
    filters = filters_from_request()
    stream = exporter.export_enterprises(current_user, filters)
    return send_file(stream, as_attachment=True, mimetype=exporter.XLSX,
                     download_name=f"enterprises-{local_today().isoformat()}.xlsx")
