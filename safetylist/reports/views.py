"""PDF downloads for anyone whose scope holds the subject: a submitted checklist run as its printed
record, and an enterprise's check-in poster (officers print it too, so it is not behind the grid pages)."""
from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required

from safetylist.auth.scope import Scope
from safetylist.grid.checkin import poster_pdf
from safetylist.reports.runs import run_pdf
from safetylist.timeutil import to_local

bp = Blueprint("reports", __name__)


@bp.route("/runs/<int:run_id>.pdf")
@login_required
def run(run_id: int):
    checklist_run = Scope(current_user).get_run(run_id)  # 404 outside the scope
    if not checklist_run.submitted:
        abort(404)  # only a submitted run has a printed record
    day = to_local(checklist_run.submitted_at).strftime("%Y%m%d")
    filename = f"{checklist_run.version.checklist_key}-{day}-{checklist_run.id}.pdf"
    return Response(run_pdf(checklist_run), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"',
        "Cache-Control": "private, no-store",  # personal data; scope may change later
    })


@bp.route("/grid/enterprises/<int:enterprise_id>/poster.pdf")
@login_required
def checkin_poster(enterprise_id: int):
    enterprise = Scope(current_user).get_enterprise(enterprise_id)  # 404 outside the scope
    return Response(poster_pdf(enterprise), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="checkin-poster-{enterprise.id}.pdf"',
        "Cache-Control": "private, no-store",  # carries the enterprise's check-in secret
    })
