"""The grid worker's inspection list (my inspections), on the phone."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from safetylist.auth import roles
from safetylist.grid import inspections

bp = Blueprint("grid", __name__, url_prefix="/grid")
INSPECTORS = (roles.GRID_WORKER, roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR, roles.ADMIN)


@bp.before_request
@login_required
def require_inspector():
    if current_user.role not in INSPECTORS:
        abort(404)


@bp.route("/inspections")
def my_inspections():
    community_id = request.args.get("community_id", type=int)
    tasks = inspections.due_inspections(current_user, community_id=community_id)
    return render_template("grid/inspections.html", tasks=tasks, community_id=community_id,
                           communities=inspections.communities(current_user),
                           checklist=current_app.config["SITE_INSPECTION_CHECKLIST"])
