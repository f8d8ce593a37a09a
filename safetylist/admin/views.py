"""Administration pages: accounts and grid responsibility."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from safetylist.admin import services
from safetylist.admin.forms import GridAssignmentForm, UserForm
from safetylist.agencies.models import Agency
from safetylist.auth import roles
from safetylist.auth.models import User
from safetylist.auth.scope import Scope
from safetylist.errors import ValidationFailed
from safetylist.extensions import db
from safetylist.grid import services as grid_services
from safetylist.grid.models import Grid
from safetylist.i18n import local_name
from safetylist.registry.models import Community, Street
from safetylist.registry.services import Page
from safetylist.web import call_service

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_staff():
    scope = Scope(current_user)
    if not (scope.can_manage_users() or scope.can_assign_grids()):
        abort(404)


@bp.route("/users")
def users():
    scope = Scope(current_user)
    query = scope.users()
    term = request.args.get("q", "").strip()[:60]
    role = request.args.get("role")
    if term:
        query = query.where(or_(User.username.ilike(f"%{term}%"), User.display_name.ilike(f"%{term}%")))
    if role in roles.ROLES:
        query = query.where(User.role == role)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page_no = max(1, request.args.get("page", 1, type=int))
    per_page = 30
    items = db.session.scalars(query.order_by(User.role, User.username)
                               .limit(per_page).offset((page_no - 1) * per_page)).all()
    page = Page(items=list(items), total=total, page=page_no, per_page=per_page)
    return render_template("admin/users.html", page=page, term=term, role=role,
                           query_args={k: v for k, v in request.args.items() if k != "page"})


def _fill(form: UserForm) -> None:
    blank = ("", "—")
    form.street_id.choices = [blank] + [(s.id, local_name(s)) for s in db.session.scalars(select(Street))]
    form.agency_id.choices = [blank] + [(a.id, a.name) for a in db.session.scalars(select(Agency).order_by(Agency.name))]


def _form_data(form: UserForm) -> dict:
    data = {name: form[name].data for name in ("username", "display_name", "role", "street_id", "agency_id",
                                                "phone", "password", "active")}
    enterprise = services.enterprise_by_code(form.enterprise_code.data or "")
    data["enterprise_id"] = enterprise.id if enterprise else None
    return data


def _show_errors(form: UserForm, errors: dict[str, str]) -> None:
    for name, reason in errors.items():
        form[name].errors = list(form[name].errors or []) + [reason]


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    if not Scope(current_user).can_manage_users():
        abort(404)
    form = UserForm()
    _fill(form)
    if form.validate_on_submit() and call_service(
            lambda: services.create_user(current_user, _form_data(form)), form, _show_errors) is None:
        flash(_("Account %(name)s created.", name=form.username.data.strip()), "success")
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    scope = Scope(current_user)
    if not scope.can_manage_users():
        abort(404)
    user = scope.get_user(user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.enterprise_code.data = user.enterprise.credit_code if user.enterprise else ""
        form.password.data = ""
    _fill(form)
    status = 200
    if form.validate_on_submit():
        status = call_service(
            lambda: services.update_user(current_user, user, _form_data(form), int(form.version.data or 0)),
            form, _show_errors)
        if status is None:
            flash(_("Changes saved."), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.route("/users/<int:user_id>/grids", methods=["GET", "POST"])
def user_grids(user_id: int):
    scope = Scope(current_user)
    if not scope.can_assign_grids():
        abort(404)
    worker = scope.get_user(user_id)
    if worker.role != roles.GRID_WORKER:
        abort(404)
    grids = db.session.execute(scope.grids().with_only_columns(Grid.id, Grid.name, Community.name_zh)
                               .order_by(Community.street_id, Community.id, Grid.code)).all()
    form = GridAssignmentForm()
    form.grids.choices = form.backup_grids.choices = [(g.id, f"{g.name_zh} · {g.name}") for g in grids]
    current = grid_services.current_assignments(worker.id)
    if request.method == "GET":
        form.grids.data = [a.grid_id for a in current if a.role == "primary"]
        form.backup_grids.data = [a.grid_id for a in current if a.role == "backup"]
    if form.validate_on_submit():
        try:
            grid_services.assign_grids(current_user, worker, form.grids.data or [],
                                       backup_grid_ids=form.backup_grids.data or [])
        except ValidationFailed as exc:
            for reason in exc.errors.values():
                flash(reason, "error")
        else:
            flash(_("Grid responsibility saved for %(name)s.", name=worker.display_name), "success")
            return redirect(url_for(".user_grids", user_id=worker.id))
    grid_ids = [g.id for g in grids]
    return render_template("admin/user_grids.html", form=form, worker=worker, current=current,
                           holders=grid_services.responsible_workers(grid_ids),
                           backups=grid_services.backup_workers(grid_ids))
