"""The checklist library pages: what every served checklist asks, and files that failed to load."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from safetylist.auth.scope import Scope
from safetylist.checklists import versions
from safetylist.checklists.models import ChecklistVersion
from safetylist.extensions import db

bp = Blueprint("checklists", __name__, url_prefix="/checklists")


@bp.before_request
@login_required
def require_library_access():
    if not Scope(current_user).can_view_library():
        abort(404)


@bp.route("/")
def index():
    library = versions.library()
    stored = dict(db.session.execute(select(ChecklistVersion.checklist_key, func.count())
                                     .group_by(ChecklistVersion.checklist_key)).all())
    entries = sorted(library.entries.values(), key=lambda e: (e.definition.kind, e.definition.id))
    return render_template("checklists/index.html", entries=entries, errors=library.errors, stored=stored)


@bp.route("/<key>")
def detail(key: str):
    entry = versions.entry(key)
    if entry is None:
        abort(404)
    history = db.session.scalars(select(ChecklistVersion).where(ChecklistVersion.checklist_key == key)
                                 .order_by(ChecklistVersion.created_at.desc())).all()
    return render_template("checklists/detail.html", entry=entry, checklist=entry.definition, history=history)
