"""Account administration: creating users and binding them to their part of the district."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from safetylist.agencies.models import Agency
from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.models import User
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.registry.models import Enterprise, Street

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,60}$")
MIN_PASSWORD = 8


def check_password_policy(password: str) -> str | None:
    """The reason a password is too weak, or None."""
    if len(password) < MIN_PASSWORD:
        return _("At least %(n)d characters.", n=MIN_PASSWORD)
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[0-9]", password)):
        return _("Use both letters and digits.")
    return None


def _check(data: dict, existing: User | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    username = (data.get("username") or "").strip()
    if not USERNAME.match(username):
        errors["username"] = _("3–60 letters, digits, dots, dashes or underscores.")
    else:
        query = select(User.id).where(func.lower(User.username) == username.lower())
        if existing is not None:
            query = query.where(User.id != existing.id)
        if db.session.scalar(query) is not None:
            errors["username"] = _("This username is taken.")
    if not (data.get("display_name") or "").strip():
        errors["display_name"] = _("This field is required.")
    role = data.get("role")
    if role not in roles.ROLES:
        errors["role"] = _("Unknown role.")
    password = data.get("password") or ""
    if existing is None or password:
        reason = check_password_policy(password)
        if reason:
            errors["password"] = reason
    # Each role is bound to the part of the district its scope needs.
    if role == roles.OFFICER:
        if not data.get("enterprise_id") or db.session.get(Enterprise, data["enterprise_id"]) is None:
            errors["enterprise_code"] = _("An enterprise safety officer needs a registered enterprise.")
    if role in (roles.STREET_REGULATOR, roles.GRID_WORKER):
        if not data.get("street_id") or db.session.get(Street, data["street_id"]) is None:
            errors["street_id"] = _("Choose the street this user works for.")
    if role == roles.AGENCY_STAFF:
        if not data.get("agency_id") or db.session.get(Agency, data["agency_id"]) is None:
            errors["agency_id"] = _("Choose the agency this user works for.")
    return errors


def _bind(user: User, data: dict) -> None:
    """Keep only the binding the role uses, so a changed role leaves no stale scope behind."""
    user.username = data["username"].strip()
    user.display_name = data["display_name"].strip()
    user.role = data["role"]
    user.phone = (data.get("phone") or "").strip() or None
    user.enterprise_id = data.get("enterprise_id") if user.role == roles.OFFICER else None
    user.street_id = data.get("street_id") if user.role in (roles.STREET_REGULATOR, roles.GRID_WORKER) else None
    user.agency_id = data.get("agency_id") if user.role == roles.AGENCY_STAFF else None
    if "active" in data:
        user.active = bool(data["active"])
    if data.get("password"):
        user.set_password(data["password"])


def create_user(actor, data: dict) -> User:
    if not Scope(actor).can_manage_users():
        raise PermissionDenied(_("Only administrators manage accounts."))
    errors = _check(data, None)
    if errors:
        raise ValidationFailed(errors)
    user = User()
    _bind(user, data)
    db.session.add(user)
    db.session.flush()
    record(actor, "user_created", user, role=user.role)
    db.session.commit()
    return user


def update_user(actor, user: User, data: dict, expected_version: int) -> User:
    if not Scope(actor).can_manage_users():
        raise PermissionDenied(_("Only administrators manage accounts."))
    if expected_version != user.version:
        raise StaleObject(_("Someone else changed this account after you opened it. Reload and try again."))
    errors = _check(data, user)
    if errors:
        raise ValidationFailed(errors)
    old_role = user.role
    _bind(user, data)
    if user.role != old_role:
        record(actor, "role_changed", user, old=old_role, new=user.role)
    record(actor, "user_updated", user)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleObject(_("Someone else changed this account after you opened it. Reload and try again."))
    return user


def enterprise_by_code(code: str) -> Enterprise | None:
    from safetylist.registry.credit_code import normalize
    return db.session.scalars(select(Enterprise).where(Enterprise.credit_code == normalize(code))).first()
