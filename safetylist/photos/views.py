"""Uploading a photo to a run's item (JSON for the fill page's script) and showing one, by scope."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from safetylist.auth.scope import Scope
from safetylist.errors import DomainError, PermissionDenied, ValidationFailed
from safetylist.photos import services
from safetylist.timeutil import to_local

CACHE_SECONDS = 86400  # a photo never changes under its ref

bp = Blueprint("photos", __name__)
bp.record_once(lambda state: services.init_pillow(state.app))


@bp.before_request
@login_required
def require_login():
    pass


@bp.route("/runs/<int:run_id>/photos", methods=["POST"])
def upload(run_id: int):
    """Multipart `photo` (the file) and `item` (the item id); answers the stored photo as JSON."""
    run = Scope(current_user).get_run(run_id)
    file = request.files.get("photo")
    if file is None:
        return jsonify(error=_("Choose a photo to upload.")), 400
    try:
        photo = services.store_photo(current_user, run, request.form.get("item", ""), file.filename,
                                     file.stream)
    except services.PhotoRefused as exc:
        return jsonify(error=exc.message), exc.status
    except ValidationFailed as exc:
        return jsonify(error=" ".join(exc.errors.values()), errors=exc.errors), 400
    except PermissionDenied as exc:
        return jsonify(error=str(exc)), 403
    except DomainError as exc:  # the run was submitted meanwhile
        return jsonify(error=str(exc)), 409
    taken_at = to_local(photo.taken_at)
    return jsonify(ref=photo.ref, url=url_for(".show", ref=photo.ref), width=photo.width,
                   height=photo.height, taken_at=taken_at.isoformat() if taken_at else None), 201


@bp.route("/photos/<ref>")
def show(ref: str):
    photo = services.photo_for(current_user, ref)
    path = services.photo_path(photo)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=photo.content_type, max_age=CACHE_SECONDS)
    # Evidence may stay in this user's browser cache, never in a shared proxy's.
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A body over MAX_CONTENT_LENGTH is refused before any view runs: say so as the script expects."""
    return jsonify(error=services.too_large_message()), 413
