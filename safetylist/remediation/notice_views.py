"""Rectification notice pages: issuing a notice for an enterprise's hazards, the list of notices
in the user's area, and each notice's PDF."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.remediation import notices
from safetylist.remediation.models import RectificationNotice
from safetylist.remediation.views import bp
from safetylist.timeutil import local_today


@bp.route("/notices/")
def notices_list():
    page = db.paginate(Scope(current_user).notices()
                       .options(selectinload(RectificationNotice.enterprise),
                                selectinload(RectificationNotice.issued_by),
                                selectinload(RectificationNotice.hazards))
                       .order_by(RectificationNotice.issued_at.desc(), RectificationNotice.id.desc()),
                       page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    return render_template("remediation/notices.html", page=page)


@bp.route("/notices/new", methods=["GET", "POST"])
def new_notice():
    scope = Scope(current_user)
    enterprise = scope.get_enterprise(request.values.get("enterprise_id", 0, type=int))  # 404 outside the scope
    if not scope.can_issue_notices():
        abort(403)
    hazards = notices.candidate_hazards(current_user, enterprise)
    chosen = {h.id for h in hazards}  # all of them, until the user says otherwise
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = set(request.form.getlist("hazard_id", type=int))
        deadline, errors = _deadline_field()
        if not errors:
            try:
                notice = notices.issue_notice(current_user, enterprise, sorted(chosen), deadline)
            except ValidationFailed as exc:
                errors = exc.errors
            except PermissionDenied:
                abort(403)
            else:
                flash(_("Rectification notice %(number)s issued.", number=notice.number), "success")
                return redirect(url_for(".notices_list"))
    return render_template("remediation/notice_form.html", enterprise=enterprise, hazards=hazards,
                           chosen=chosen, errors=errors, earlier=notices.notices_of_hazards(h.id for h in hazards),
                           today=local_today(), latest=max((h.deadline for h in hazards), default=None)
                           ), 400 if errors else 200


def _deadline_field() -> tuple[date | None, dict[str, str]]:
    value = request.form.get("deadline", "").strip()
    if not value:
        return None, {}
    try:
        return date.fromisoformat(value), {}
    except ValueError:
        return None, {"deadline": _("Enter the deadline as a date.")}


@bp.route("/notices/<int:notice_id>.pdf")
def notice_pdf(notice_id: int):
    notice = Scope(current_user).get_notice(notice_id)  # 404 unless the user sees the enterprise
    return Response(notices.notice_pdf(notice), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="notice-{notice.unit}-{notice.year}-{notice.sequence:04d}.pdf"',
        "Cache-Control": "private, no-store",  # names an enterprise and its hazards; scope may change later
    })
