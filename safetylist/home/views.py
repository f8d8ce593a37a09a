"""Each role's home page: what that person works on first."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.extensions import db
from safetylist.grid import services as grid_services
from safetylist.registry.models import Enterprise, Street
from safetylist.registry.services import EnterpriseFilters

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    scope = Scope(current_user)
    context: dict = {}
    if current_user.role == roles.OFFICER:
        context["enterprise"] = scope.get_enterprise(current_user.enterprise_id)
    elif current_user.role == roles.GRID_WORKER:
        context["assignments"] = grid_services.current_assignments(current_user.id)
        context["counts"] = _risk_counts(scope)
    elif current_user.role in (roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR, roles.ADMIN):
        context["counts"] = _risk_counts(scope)
        context["by_street"] = _by_street(scope)
        unassigned = EnterpriseFilters(unassigned=True).apply(scope.enterprises())
        context["unassigned"] = db.session.scalar(select(func.count()).select_from(unassigned.subquery()))
    elif current_user.role == roles.AGENCY_STAFF:
        context["agency"] = current_user.agency
    return render_template("home/index.html", **context)


def _risk_counts(scope: Scope) -> dict[str, int]:
    rows = db.session.execute(select(Enterprise.risk_level, func.count())
                              .where(scope.enterprise_filter(), Enterprise.status == "active")
                              .group_by(Enterprise.risk_level)).all()
    return dict(rows)


def _by_street(scope: Scope) -> list[tuple[Street, int]]:
    counts = dict(db.session.execute(select(Enterprise.street_id, func.count())
                                     .where(scope.enterprise_filter()).group_by(Enterprise.street_id)).all())
    return [(street, counts.get(street.id, 0)) for street in db.session.scalars(scope.streets())]
