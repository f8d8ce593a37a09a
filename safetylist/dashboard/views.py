"""The regulators' overview (bp "dashboard", /dashboard): the district — or a street regulator's street —
at a glance, every figure linking to the list behind it. A thin view over figures.py and charts.py."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from safetylist.auth.scope import Scope
from safetylist.dashboard import charts, figures
from safetylist.i18n import local_name
from safetylist.remediation import board

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.before_request
@login_required
def require_login():
    if not Scope(current_user).can_view_dashboard():
        abort(404)


@bp.route("/")
def index():
    data = figures.overview(current_user)
    months = [month for month, _found, _closed in data.trend]
    trend_chart = charts.line_chart(
        [m[2:].replace("-", "/") for m in months],
        [charts.Series(_("Hazards found"), [found for _m, found, _c in data.trend]),
         charts.Series(_("Hazards closed"), [closed for _m, _f, closed in data.trend])],
        title=_("Hazards found and closed, last 12 months"))
    streets_chart = None
    if board.shows_street_counts(current_user):  # which streets lag: for those who see the whole district
        counts = board.street_counts(current_user, board.HazardFilters())
        streets_chart = charts.bar_chart(
            [local_name(c.street) for c in counts],
            [charts.Series(_("Overdue"), [c.overdue for c in counts]),
             charts.Series(_("Within the deadline"), [c.active - c.overdue for c in counts])],
            title=_("Hazards to fix by street"), stacked=True, horizontal=True,
            link=lambda i: url_for("remediation.board", street_id=counts[i].street.id))
    return render_template("dashboard/index.html", data=data, trend_chart=trend_chart, streets_chart=streets_chart)
