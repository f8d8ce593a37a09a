"""Each role's home page: what that person works on first."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template, send_from_directory
from flask_login import current_user, login_required
from sqlalchemy import func, select

from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.checklists import runs
from safetylist.checklists.models import ChecklistRun
from safetylist.extensions import db
from safetylist.grid import services as grid_services
from safetylist.grid.coverage import street_coverage
from safetylist.registry.models import Enterprise, Street
from safetylist.registry.services import EnterpriseFilters
from safetylist.remediation.models import ACTIVE_STATUSES, Hazard
from safetylist.standardization.certificates import current_certificate
from safetylist.timeutil import local_today, utc_start_of

bp = Blueprint("home", __name__)
HOME_LIST = 10  # rows per list on a home page


@bp.route("/")
@login_required
def index():
    scope = Scope(current_user)
    context: dict = {}
    if current_user.role == roles.OFFICER:
        context.update(_officer_today(scope))
    elif current_user.role == roles.GRID_WORKER:
        context["assignments"] = grid_services.current_assignments(current_user.id)
        context["counts"] = _risk_counts(scope)
    elif current_user.role in (roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR, roles.ADMIN):
        context["counts"] = _risk_counts(scope)
        context["by_street"] = _by_street(scope)
        unassigned = EnterpriseFilters(unassigned=True).apply(scope.enterprises())
        context["unassigned"] = _count(unassigned)
        if current_user.role == roles.STREET_REGULATOR:  # the district's home only links to it: 865 enterprises
            context["coverage"] = street_coverage(current_user).total
    elif current_user.role == roles.AGENCY_STAFF:
        context.update(_agency_today(scope))
    return render_template("home/index.html", **context)


@bp.route("/sw.js")
def service_worker():
    """Served from the root so it may look after every page of the site."""
    response = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _officer_today(scope: Scope) -> dict:
    """Due and overdue checklists, this week's submissions and open hazards of the officer's enterprise."""
    enterprise = scope.get_enterprise(current_user.enterprise_id)
    today = local_today()
    due = runs.due_for_enterprise(enterprise, today=today)
    monday = today - timedelta(days=today.weekday())
    week_start = utc_start_of(monday)
    done = scope.runs().where(ChecklistRun.enterprise_id == enterprise.id, ChecklistRun.status == "submitted",
                              ChecklistRun.submitted_at >= week_start)
    hazards = scope.hazards().where(Hazard.enterprise_id == enterprise.id, Hazard.status.in_(ACTIVE_STATUSES))
    return {"enterprise": enterprise, "today": today,
            "due_now": [d for d in due if d.due_on is not None and d.due_on <= today],
            "coming": [d for d in due if d.due_on is None or d.due_on > today],
            # The page stays light however busy the week was: the newest few, and how many in all.
            "done": db.session.scalars(done.order_by(ChecklistRun.submitted_at.desc()).limit(HOME_LIST)).all(),
            "done_total": _count(done),
            "hazards": db.session.scalars(hazards.order_by(Hazard.deadline, Hazard.id).limit(HOME_LIST)).all(),
            "hazards_total": _count(hazards),
            "certificate": current_certificate(enterprise.id, today)}


def _agency_today(scope: Scope) -> dict:
    """The agency's self-checks due (by schedule or a regulator's call) and its findings to rectify."""
    from safetylist.agencies.selfchecks import due_for_agencies
    agency = scope.get_agency(current_user.agency_id)
    hazards = scope.hazards().where(Hazard.agency_id == agency.id, Hazard.status.in_(ACTIVE_STATUSES))
    return {"agency": agency, "agency_due": due_for_agencies([agency.id])[agency.id],
            "hazards": db.session.scalars(hazards.order_by(Hazard.deadline, Hazard.id).limit(HOME_LIST)).all(),
            "hazards_total": _count(hazards), "today": local_today()}


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def _risk_counts(scope: Scope) -> dict[str, int]:
    rows = db.session.execute(select(Enterprise.risk_level, func.count())
                              .where(scope.enterprise_filter(), Enterprise.status == "active")
                              .group_by(Enterprise.risk_level)).all()
    return dict(rows)


def _by_street(scope: Scope) -> list[tuple[Street, int]]:
    counts = dict(db.session.execute(select(Enterprise.street_id, func.count())
                                     .where(scope.enterprise_filter()).group_by(Enterprise.street_id)).all())
    return [(street, counts.get(street.id, 0)) for street in db.session.scalars(scope.streets())]
