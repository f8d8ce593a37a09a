"""Hazard pages: one hazard with its timeline and the actions the user may take on it.
The board (board_views) and rectification notices (notice_views) add their routes to the same blueprint."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from safetylist.auth import roles
from safetylist.auth.models import User
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.photos import services as photos
from safetylist.remediation import escalation, services
from safetylist.remediation.models import ExtensionRequest, Hazard, HazardEvent
from safetylist.timeutil import local_today

bp = Blueprint("remediation", __name__, url_prefix="/hazards")
MAX_PHOTOS = 6


@bp.before_request
@login_required
def require_login():
    pass


def get_hazard(hazard_id: int) -> Hazard:
    """The hazard if in the user's scope, else 404."""
    hazard = db.session.scalars(Scope(current_user).hazards().where(Hazard.id == hazard_id)).first()
    if hazard is None:
        abort(404)
    return hazard


@bp.route("/<int:hazard_id>")
def hazard(hazard_id: int, status: int = 200):
    item = get_hazard(hazard_id)
    today = local_today()
    timeline = db.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == item.id)
                                  .order_by(HazardEvent.at, HazardEvent.id)).all()
    extensions = db.session.scalars(select(ExtensionRequest).where(ExtensionRequest.hazard_id == item.id)
                                    .order_by(ExtensionRequest.requested_at.desc())).all()
    allowed = services.allowed_actions(current_user, item)
    return render_template("remediation/hazard.html", hazard=item, timeline=timeline, extensions=extensions,
                           allowed=allowed, overdue=item.overdue_days(today),
                           escalations=escalation.escalations(item, today),
                           supervisors=_supervisors() if "supervise" in allowed else [],
                           today=today, max_photos=MAX_PHOTOS), status


def _supervisors() -> list[User]:
    """Regulators of the actor's unit who may be named to follow a supervised hazard."""
    if current_user.role == roles.DISTRICT_REGULATOR:
        query = select(User).where(User.role == roles.DISTRICT_REGULATOR)
    else:
        query = select(User).where(User.role == roles.STREET_REGULATOR, User.street_id == current_user.street_id)
    return list(db.session.scalars(query.where(User.active.is_(True)).order_by(User.display_name)))


def _version() -> int | None:
    value = request.form.get("lock_version", "")
    return int(value) if value.isdigit() else None


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


def _rectify(item: Hazard):
    if "submit_rectification" not in services.allowed_actions(current_user, item):
        raise PermissionDenied(services.refusal_reason(current_user, item, "submit_rectification"))
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(files) > MAX_PHOTOS:
        raise ValidationFailed({"photos": _("At most %(n)d photos.", n=MAX_PHOTOS)})
    if not (request.form.get("note") or "").strip():  # say so before keeping any photo
        raise ValidationFailed({"note": _("Describe what was done to fix the hazard.")})
    refs = [photos.store_hazard_photo(current_user, item, f.filename, f.stream).ref for f in files]
    return services.submit_rectification(current_user, item, request.form.get("note"), refs, _version())


ACTIONS = {
    "rectification": _rectify,
    "verify": lambda h: services.verify(current_user, h, request.form.get("comment"), _version()),
    "reject": lambda h: services.reject(current_user, h, request.form.get("comment"), _version()),
    "withdraw": lambda h: services.withdraw(current_user, h, request.form.get("comment"), _version()),
    "measures": lambda h: services.record_temporary_measures(current_user, h, request.form.get("measures"),
                                                             _version()),
    "extension": lambda h: services.request_extension(current_user, h, _date("new_deadline"),
                                                      request.form.get("reason")),
    "decide-extension": lambda h: services.decide_extension(
        current_user, h, request.form.get("decision") == "approve", request.form.get("decision_note"), _version()),
    "supervise": lambda h: services.supervise(
        current_user, h, db.session.get(User, request.form.get("supervisor_id", type=int) or 0),
        request.form.get("comment"), _version()),
}
@bp.route("/<int:hazard_id>/<action>", methods=["POST"])
def act(hazard_id: int, action: str):
    """Every step of the loop: the service checks role, scope, state and version; the page says why not."""
    handler = ACTIONS.get(action)
    if handler is None:
        abort(404)
    item = get_hazard(hazard_id)
    try:
        handler(item)
    except ValidationFailed as exc:
        db.session.rollback()
        for reason in exc.errors.values():
            flash(reason, "error")
        return hazard(hazard_id, status=400)
    except StaleObject as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return hazard(hazard_id, status=409)
    except PermissionDenied as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return hazard(hazard_id, status=403)
    flash(_("Saved."), "success")
    return redirect(url_for(".hazard", hazard_id=hazard_id))


from safetylist.remediation import board_views  # noqa: E402,F401  (routes)
from safetylist.remediation import notice_views  # noqa: E402,F401  (routes)
