"""PDF downloads: a submitted checklist run as its printed record, for anyone whose scope holds it."""
from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required

from safetylist.auth.scope import Scope
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
