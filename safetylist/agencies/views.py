"""Agency pages (bp "agencies", /agencies): the regulators' overview with flags, an agency's page
(registry, evaluators, self-checks, projects, findings), projects with entry and import, calls for
self-checks, and spot checks (draws, rules, inspecting). Thin views over the agencies services."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from safetylist import spreadsheet
from safetylist.agencies import overview, project_export, project_import, projects, registry, selfchecks, spotchecks, supervision
from safetylist.agencies.forms import AgencyForm, DrawForm, EvaluatorForm, ProjectForm, RuleForm, SelfCheckCallForm
from safetylist.agencies.labels import CONCLUSION_LABELS, RULE_LABELS, TYPE_LABELS, agency_labels
from safetylist.agencies.models import Agency, Evaluator, SpotCheck
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.extensions import db
from safetylist.registry.forms import ImportForm
from safetylist.remediation.models import ACTIVE_STATUSES, Hazard
from safetylist.timeutil import local_today
from safetylist.web import call_service, import_upload

bp = Blueprint("agencies", __name__, url_prefix="/agencies")


@bp.before_request
@login_required
def require_login():
    pass  # every page asks the scope: an officer may read the evaluations of their own enterprise


@bp.context_processor
def _labels():
    return {**agency_labels(), "today": local_today()}


def _int(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def _show_errors(form, errors: dict[str, str]) -> None:
    """Service errors onto the form's fields (by the service's field names), the rest flashed."""
    aliases = {"enterprise": "enterprise_code"}
    for name, reason in errors.items():
        name = aliases.get(name, name)
        if name in form:
            form[name].errors = list(form[name].errors or []) + [reason]
        else:
            flash(reason, "error")


def _submit(form, save) -> int | None:
    """A form page's POST: None once `save()` succeeded; else the status to render the page with
    (200 before a submission, 400 for wrong input, 409 for a stale form)."""
    if not form.is_submitted():
        return 200
    if not form.validate():
        return 400
    return call_service(save, form, _show_errors)


def _version(form) -> int:
    value = str(form.version.data or "")
    return int(value) if value.isdigit() else 0


# --- the overview and one agency -------------------------------------------------------------------
@bp.route("/")
def index():
    if current_user.role == roles.AGENCY_STAFF:
        return redirect(url_for(".detail", agency_id=current_user.agency_id))
    scope = Scope(current_user)
    if not scope.can_see_agencies():
        abort(404)
    return render_template("agencies/index.html", rows=overview.agency_rows(current_user),
                           supervising=scope.can_manage_agencies(), can_call=scope.can_call_self_checks(),
                           can_spot_check=scope.can_spot_check(), calls=selfchecks.open_calls()[:5],
                           rules=supervision.rules())


@bp.route("/<int:agency_id>")
def detail(agency_id: int):
    scope = Scope(current_user)
    agency = scope.get_agency(agency_id)
    row = overview.agency_rows(current_user, agencies=[agency])[0]
    recent = projects.list_projects(current_user, projects.ProjectFilters(agency_id=agency.id), per_page=10)
    hazards = db.session.scalars(scope.hazards().where(Hazard.agency_id == agency.id, Hazard.status.in_(
        ACTIVE_STATUSES)).order_by(Hazard.deadline, Hazard.id).limit(20)).all()
    checks = db.session.scalars(scope.spot_checks().where(SpotCheck.agency_id == agency.id)
                                .order_by(SpotCheck.id.desc()).limit(20)).all()
    own = current_user.role == roles.AGENCY_STAFF
    return render_template(
        "agencies/detail.html", agency=agency, row=row, projects=recent, hazards=hazards, spot_checks=checks,
        findings=spotchecks.findings(current_user, checks), self_checks=selfchecks.submitted_self_checks(
            current_user, agency, limit=8), can_manage=scope.can_manage_agencies(),
        can_edit_staff=scope.can_edit_agency_staff(agency), can_record=scope.can_record_projects(agency),
        can_fill=own and agency.id == current_user.agency_id, evaluator_form=EvaluatorForm(),
        rules=supervision.rules())


def _agency_form(form: AgencyForm, save, template: str, agency=None):
    status = _submit(form, lambda: save(form.data_for_service()))
    return None if status is None else (render_template(template, form=form, agency=agency), status)


@bp.route("/new", methods=["GET", "POST"])
def create():
    if not Scope(current_user).can_manage_agencies():
        abort(403)
    form = AgencyForm()
    made = []
    page = _agency_form(form, lambda data: made.append(registry.create_agency(current_user, **data)),
                        "agencies/form.html")
    if page is None:
        flash(_("Agency registered."), "success")
        return redirect(url_for(".detail", agency_id=made[0].id))
    return page


@bp.route("/<int:agency_id>/edit", methods=["GET", "POST"])
def edit(agency_id: int):
    scope = Scope(current_user)
    agency = scope.get_agency(agency_id)
    if not scope.can_manage_agencies():
        abort(403)
    form = AgencyForm(obj=agency if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = agency.lock_version
    page = _agency_form(form, lambda data: registry.update_agency(current_user, agency, _version(form), **data),
                        "agencies/form.html", agency)
    if page is None:
        flash(_("Changes saved."), "success")
        return redirect(url_for(".detail", agency_id=agency.id))
    return page


# --- evaluators ---------------------------------------------------------------------------------------
@bp.route("/<int:agency_id>/evaluators", methods=["POST"])
def add_evaluator(agency_id: int):
    scope = Scope(current_user)
    agency = scope.get_agency(agency_id)
    if not scope.can_edit_agency_staff(agency):
        abort(403)
    form = EvaluatorForm()
    status = _submit(form, lambda: registry.add_evaluator(current_user, agency, name=form.name.data,
                                                          certificate_no=form.certificate_no.data,
                                                          specialty=form.specialty.data))
    if status is None:
        flash(_("Evaluator added."), "success")
        return redirect(url_for(".detail", agency_id=agency.id) + "#evaluators")
    return render_template("agencies/evaluator_form.html", agency=agency, form=form), status


@bp.route("/<int:agency_id>/evaluators/<int:evaluator_id>/active", methods=["POST"])
def evaluator_active(agency_id: int, evaluator_id: int):
    scope = Scope(current_user)
    agency = scope.get_agency(agency_id)
    evaluator = db.session.scalars(select(Evaluator).where(Evaluator.id == evaluator_id,
                                                           Evaluator.agency_id == agency.id)).first()
    if evaluator is None:
        abort(404)
    if not scope.can_edit_agency_staff(agency):
        abort(403)
    registry.set_evaluator_active(current_user, evaluator, request.form.get("active") == "1")
    flash(_("Evaluator updated."), "success")
    return redirect(url_for(".detail", agency_id=agency.id) + "#evaluators")


# --- projects -------------------------------------------------------------------------------------------
def _project_filters(scope: Scope):
    """The list's filters from the query string; an agency or enterprise out of scope answers 404."""
    filters = projects.ProjectFilters(agency_id=_int(request.args.get("agency_id")),
                                      enterprise_id=_int(request.args.get("enterprise_id")),
                                      evaluator_id=_int(request.args.get("evaluator_id")),
                                      year=_int(request.args.get("year")))
    agency = scope.get_agency(filters.agency_id) if filters.agency_id else None
    enterprise = scope.get_enterprise(filters.enterprise_id) if filters.enterprise_id else None
    return filters, agency, enterprise


@bp.route("/projects")
def project_list():
    """Projects per agency or per enterprise (or all in scope), with filters."""
    scope = Scope(current_user)
    filters, agency, enterprise = _project_filters(scope)
    page = projects.list_projects(current_user, filters, page=_int(request.args.get("page")) or 1,
                                  per_page=current_app.config["PAGE_SIZE"])
    return render_template("agencies/projects.html", page=page, agency=agency, enterprise=enterprise,
                           filters=filters, can_record=agency is not None and scope.can_record_projects(agency),
                           query_args={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/projects/export.xlsx")
def project_export_file():
    """The list as filtered, every page of it."""
    filters, _agency, _enterprise = _project_filters(Scope(current_user))
    return send_file(project_export.export_projects(current_user, filters), as_attachment=True,
                     mimetype=spreadsheet.XLSX, download_name=f"evaluation-projects-{local_today().isoformat()}.xlsx")


@bp.route("/projects/<int:project_id>")
def project(project_id: int):
    scope = Scope(current_user)
    item = scope.get_project(project_id)
    checks = db.session.scalars(scope.spot_checks().where(SpotCheck.project_id == item.id)
                                .order_by(SpotCheck.id)).all()
    return render_template("agencies/project.html", project=item, spot_checks=checks,
                           findings=spotchecks.findings(current_user, checks),
                           can_edit=scope.can_record_projects(item.agency))


def _project_choices(form: ProjectForm, agency: Agency) -> None:
    form.evaluation_type.choices = [("", "—")] + [(k, str(v)) for k, v in TYPE_LABELS.items()]
    form.conclusion.choices = [("", "—")] + [(k, str(v)) for k, v in CONCLUSION_LABELS.items()]
    form.evaluators.choices = [(e.id, f"{e.name}（{e.certificate_no}）" + ("" if e.active else " — " + _("left")))
                               for e in agency.evaluators]


def _project_data(form: ProjectForm, agency: Agency) -> dict:
    # Ids that name no evaluator can only come from a tampered form: dropped (the service then names
    # what is missing); another agency's evaluators are refused by the service.
    chosen = db.session.scalars(select(Evaluator).where(Evaluator.id.in_(form.evaluators.data or []))
                                .order_by(Evaluator.name)).all()
    return {"report_no": form.report_no.data, "enterprise": form.enterprise_code.data,
            "evaluation_type": form.evaluation_type.data, "started_on": form.started_on.data,
            "report_on": form.report_on.data, "conclusion": form.conclusion.data,
            "conclusion_text": form.conclusion_text.data,
            "evaluators": chosen}


def _project_page(form: ProjectForm, agency: Agency, save, item=None):
    status = _submit(form, lambda: save(_project_data(form, agency)))
    return None if status is None else \
        (render_template("agencies/project_form.html", form=form, agency=agency, project=item), status)


@bp.route("/<int:agency_id>/projects/new", methods=["GET", "POST"])
def project_create(agency_id: int):
    scope = Scope(current_user)
    agency = scope.get_agency(agency_id)
    if not scope.can_record_projects(agency):
        abort(403)
    form = ProjectForm()
    _project_choices(form, agency)
    made = []
    page = _project_page(form, agency, lambda data: made.append(projects.record_project(current_user, agency, **data)))
    if page is None:
        flash(_("Project recorded."), "success")
        return redirect(url_for(".project", project_id=made[0].id))
    return page


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
def project_edit(project_id: int):
    scope = Scope(current_user)
    item = scope.get_project(project_id)
    if not scope.can_record_projects(item.agency):
        abort(403)
    form = ProjectForm(obj=item if request.method == "GET" else None)
    _project_choices(form, item.agency)
    if request.method == "GET":
        form.enterprise_code.data = item.enterprise.credit_code
        form.evaluators.data = [e.id for e in item.evaluators]
        form.version.data = item.lock_version
    page = _project_page(form, item.agency, lambda data: projects.update_project(
        current_user, item, _version(form), **data), item)
    if page is None:
        flash(_("Changes saved."), "success")
        return redirect(url_for(".project", project_id=item.id))
    return page


@bp.route("/<int:agency_id>/projects/import", methods=["GET", "POST"])
def project_import_page(agency_id: int):
    scope = Scope(current_user)
    agency = scope.get_agency(agency_id)
    if not scope.can_record_projects(agency):
        abort(403)
    form = ImportForm()
    result, status = import_upload(form, lambda name, content: project_import.import_projects(
        current_user, agency, name, content))
    if status is None:
        flash(_("Imported %(count)d projects.", count=result.created), "success")
        return redirect(url_for(".project_list", agency_id=agency.id))
    return render_template("agencies/project_import.html", form=form, result=result, agency=agency,
                           columns=project_import.COLUMNS), status


@bp.route("/projects/template.xlsx")
def project_template():
    return send_file(project_import.template_workbook(), as_attachment=True,
                     download_name="evaluation-projects-template.xlsx", mimetype=spreadsheet.XLSX)


# --- calls for self-checks --------------------------------------------------------------------------------
@bp.route("/self-check-calls/new", methods=["GET", "POST"])
def call_self_checks():
    if not Scope(current_user).can_call_self_checks():
        abort(403)
    form = SelfCheckCallForm()
    status = _submit(form, lambda: selfchecks.call_self_checks(current_user, form.title.data, form.due_on.data,
                                                                form.reason.data))
    if status is None:
        flash(_("Every agency now has a self-check due by %(day)s.", day=form.due_on.data.isoformat()), "success")
        return redirect(url_for(".index"))
    return render_template("agencies/call_form.html", form=form), status


# --- spot checks ------------------------------------------------------------------------------------------
def _require_inspector() -> Scope:
    scope = Scope(current_user)
    if not scope.can_spot_check():
        abort(403)
    return scope


def _agency_choices(form, scope: Scope) -> None:
    form.agency_id.choices = [("", _("All agencies"))] + [
        (a.id, a.name) for a in db.session.scalars(scope.agencies().order_by(Agency.name))]


@bp.route("/spot-checks", methods=["GET", "POST"])
def spot_checks():
    """Draw at random or pick by rule (POST `method`), and the recent draws."""
    scope = _require_inspector()
    today = local_today()
    draw_form, rule_form = DrawForm(prefix="draw"), RuleForm(prefix="rule")
    for form in (draw_form, rule_form):
        _agency_choices(form, scope)
        if not form.is_submitted():
            form.period_start.data = today.replace(month=1, day=1)
            form.period_end.data = today
    rule_form.rule.choices = [(k, str(v)) for k, v in RULE_LABELS.items()]
    status = 200
    if request.method == "POST":
        made = []
        if request.form.get("method") == "random":
            form = draw_form
            status = _submit(form, lambda: made.append(spotchecks.draw_random(
                current_user, form.period_start.data, form.period_end.data, form.sample_size.data,
                form.agency_id.data, form.seed.data)))
        else:
            form = rule_form
            status = _submit(form, lambda: made.append(spotchecks.pick_by_rule(
                current_user, form.rule.data, form.period_start.data, form.period_end.data, form.agency_id.data)))
        if status is None:
            flash(_("%(count)d projects picked.", count=len(made[0].picked)), "success")
            return redirect(url_for(".draw", draw_id=made[0].id))
    return render_template("agencies/spot_checks.html", draw_form=draw_form, rule_form=rule_form,
                           draws=spotchecks.recent_draws(current_user)), status


@bp.route("/spot-checks/draws/<int:draw_id>")
def draw(draw_id: int):
    scope = Scope(current_user)
    record = scope.get_spot_check_draw(draw_id)
    checks = list(record.spot_checks)
    order = {project_id: i for i, project_id in enumerate(record.picked)}
    checks.sort(key=lambda s: order.get(s.project_id, len(order)))
    return render_template("agencies/draw.html", draw=record, spot_checks=checks, verified=spotchecks.verify(record),
                           findings=spotchecks.findings(current_user, checks), can_inspect=scope.can_spot_check())


@bp.route("/spot-checks/<int:spot_check_id>/start", methods=["POST"])
def start_spot_check(spot_check_id: int):
    _require_inspector()
    spot_check = Scope(current_user).get_spot_check(spot_check_id)
    run = spotchecks.start(current_user, spot_check)
    return redirect(url_for("runs.show", run_id=run.id))


@bp.route("/spot-checks/<int:spot_check_id>")
def spot_check(spot_check_id: int):
    """A spot check is read on its project's page (an agency sees its own once the check is done)."""
    item = Scope(current_user).get_spot_check(spot_check_id)
    return redirect(url_for(".project", project_id=item.project_id) + f"#spot-check-{item.id}")
