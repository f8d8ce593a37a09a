"""Regulators order extra site inspections and follow them (督办检查, 专项检查)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from safetylist.auth.scope import Scope
from safetylist.errors import DomainError
from safetylist.extensions import db
from safetylist.grid import orders
from safetylist.grid.forms import InspectionOrderForm
from safetylist.grid.views import bp
from safetylist.i18n import local_name
from safetylist.registry.models import Sector
from safetylist.web import call_service


def _scope() -> Scope:
    scope = Scope(current_user)
    if not scope.can_order_inspections():
        abort(404)
    return scope


def _show_errors(form: InspectionOrderForm, errors: dict[str, str]) -> None:
    for name, reason in errors.items():
        if name in form:
            form[name].errors = list(form[name].errors or []) + [reason]
        else:
            flash(reason, "error")


@bp.route("/orders", methods=["GET", "POST"])
def inspection_orders():
    scope = _scope()
    form = InspectionOrderForm()
    form.sector_id.choices = [(None, _("Any sector"))] + [
        (s.id, local_name(s)) for s in db.session.scalars(db.select(Sector).order_by(Sector.position, Sector.id))]
    streets = db.session.scalars(scope.streets()).all()
    form.street_id.choices = ([(None, _("The whole district"))] if len(streets) > 1 else []) + [
        (s.id, local_name(s)) for s in streets]
    enterprise = None
    enterprise_id = request.values.get("enterprise_id", "")
    if enterprise_id.isdigit():
        enterprise = scope.get_enterprise(int(enterprise_id))
    status = None
    if request.method == "POST":
        if form.validate_on_submit():
            status = call_service(lambda: orders.order_inspection(
                current_user, form.title.data, form.due_on.data, enterprise=enterprise,
                sector_id=form.sector_id.data, street_id=form.street_id.data), form, _show_errors)
            if status is None:
                flash(_("Inspection ordered: %(title)s.", title=form.title.data.strip()), "success")
                return redirect(url_for(".inspection_orders"))
        else:
            status = 400
    return render_template("grid/orders.html", form=form, enterprise=enterprise,
                           progress=orders.orders_with_progress(current_user)), status or 200


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
def cancel_inspection_order(order_id: int):
    order = _scope().get_inspection_order(order_id)
    try:
        orders.cancel_order(current_user, order)
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Order cancelled: %(title)s.", title=order.title), "success")
    return redirect(url_for(".inspection_orders"))
