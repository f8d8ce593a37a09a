"""Who should be interviewed (rules in data/suggestions.yaml), and interview counts per street and
month: regulators' pages on the interviews blueprint."""
from __future__ import annotations

from datetime import date

from flask import abort, render_template, request
from flask_babel import format_date
from flask_login import current_user

from safetylist.auth.scope import Scope
from safetylist.extensions import db
from safetylist.interviews import suggestions
from safetylist.interviews.labels import interview_labels
from safetylist.interviews.views import bp
from safetylist.timeutil import local_today

FIRST_YEAR = 2000


@bp.route("/suggestions", endpoint="suggestions")
def suggestions_page():
    if not suggestions.may_see_suggestions(current_user):
        abort(404)
    scope = Scope(current_user)
    streets = db.session.scalars(scope.streets()).all()
    street_id = request.args.get("street_id", type=int)
    if street_id not in {s.id for s in streets}:
        street_id = None
    found = suggestions.suggest(current_user, street_id=street_id)
    return render_template("interviews/suggestions.html", suggestions=found, streets=streets, street_id=street_id,
                           rules=suggestions.rules(), can_plan=scope.can_plan_interviews(),
                           labels=interview_labels())


@bp.route("/counts", endpoint="counts")
def counts_page():
    if not suggestions.may_see_suggestions(current_user):
        abort(404)
    this_year = local_today().year
    year = request.args.get("year", type=int)
    if year is None or not FIRST_YEAR <= year <= this_year + 1:
        year = this_year
    counts = suggestions.interview_counts(current_user, year)
    months = [format_date(date(year, month, 1), "MMM") for month in range(1, 13)]
    return render_template("interviews/counts.html", counts=counts, months=months, year=year,
                           previous_year=year - 1 if year > FIRST_YEAR else None,
                           next_year=year + 1 if year <= this_year else None)
