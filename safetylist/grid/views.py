"""The grid worker's inspection list (my inspections) on the phone, and the regulators' inspection orders."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from safetylist.auth import roles
from safetylist.grid import inspections
from safetylist.registry.services import Page

bp = Blueprint("grid", __name__, url_prefix="/grid")
INSPECTORS = (roles.GRID_WORKER, roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR, roles.ADMIN)
PER_PAGE = 50


@bp.before_request
@login_required
def require_inspector():
    if current_user.role not in INSPECTORS:
        abort(404)


@bp.route("/inspections")
def my_inspections():
    community_id = request.args.get("community_id", type=int)
    tasks = inspections.due_inspections(current_user, community_id=community_id)
    return render_template("grid/inspections.html", page=Page.of(tasks, request.args.get("page", 1, type=int), PER_PAGE),
                           overdue=sum(1 for task in tasks if task.overdue_days), community_id=community_id,
                           communities=inspections.communities(current_user),
                           checklist=current_app.config["SITE_INSPECTION_CHECKLIST"],
                           query_args={"community_id": community_id} if community_id else {})


from safetylist.grid import order_views  # noqa: E402,F401  (routes)
from safetylist.grid import checkin_views  # noqa: E402,F401  (routes)
from safetylist.grid import coverage_views  # noqa: E402,F401  (routes)
