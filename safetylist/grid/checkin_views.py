"""Site check-in pages: the page a poster's QR code opens, and renewing a poster's code.
Routes on the grid blueprint (inspectors only); the poster PDF itself is in reports.views."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user

from safetylist.auth.scope import Scope
from safetylist.errors import DomainError, PermissionDenied, ValidationFailed
from safetylist.grid import checkin
from safetylist.grid.views import bp
from safetylist.timeutil import to_local


@bp.app_context_processor
def checkin_helpers():
    return {"can_renew_poster": lambda enterprise: checkin.can_renew_token(current_user, enterprise)}


@bp.route("/checkin/<token>", methods=["GET", "POST"])
def checkin_page(token: str):
    """GET: the enterprise and a big start button; POST: start (or resume) its on-site inspection."""
    enterprise = checkin.enterprise_by_token(current_user, token)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            run = checkin.start_site_inspection(current_user, enterprise,
                                                checkin.parse_check_in(request.form, on_site=True))
        except ValidationFailed as exc:
            errors, status = exc.errors, 400
        except PermissionDenied:
            abort(403)
        except DomainError as exc:
            flash(str(exc), "error")
            status = 409
        else:
            flash(_("Checked in on site at %(time)s.", time=format_datetime(to_local(run.checked_in_at), "HH:mm")),
                  "success")
            return redirect(url_for("runs.show", run_id=run.id))
    return render_template("grid/checkin.html", enterprise=enterprise, errors=errors,
                           may_inspect=checkin.may_inspect(current_user)), status


@bp.route("/enterprises/<int:enterprise_id>/poster/renew", methods=["POST"])
def renew_poster(enterprise_id: int):
    enterprise = Scope(current_user).get_enterprise(enterprise_id)
    try:
        checkin.renew_token(current_user, enterprise)
    except PermissionDenied:
        abort(403)
    flash(_("The check-in code was renewed: print the new poster. Old posters no longer work."), "success")
    return redirect(url_for("registry.detail", enterprise_id=enterprise.id))
