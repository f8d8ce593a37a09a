"""The regulators' inspection coverage page: a month's due, done and overdue inspections and the
hazards they found, per community and per responsible grid worker (or per street for the district)."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from safetylist.auth.scope import Scope
from safetylist.errors import ValidationFailed
from safetylist.grid import coverage
from safetylist.grid.views import bp


@bp.route("/coverage", endpoint="coverage")
def coverage_page():
    if not Scope(current_user).can_view_coverage():
        abort(404)
    street_id = request.args.get("street_id", type=int)
    month = request.args.get("month", "")[:20]
    try:
        result = coverage.street_coverage(current_user, street_id=street_id, month=month or None)
    except ValidationFailed as exc:
        return render_template("grid/coverage.html", coverage=None, errors=exc.errors, month=month,
                               street_id=street_id, streets=coverage.coverage_streets(current_user)), 400
    return render_template("grid/coverage.html", coverage=result, errors={}, month=result.month_value,
                           street_id=result.street.id if result.street else None, streets=result.streets)
