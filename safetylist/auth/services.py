"""Authentication and account changes."""
from __future__ import annotations

from sqlalchemy import func, select

from safetylist.audit.services import record
from safetylist.auth.models import User
from safetylist.extensions import db
from safetylist.timeutil import utcnow


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None; both outcomes are audited."""
    user = db.session.scalars(select(User).where(func.lower(User.username) == username.strip().lower())).first()
    if user is None or not user.active or not user.check_password(password):
        record(user, "login_failed", user, username=username.strip()[:60])
        db.session.commit()
        return None
    user.last_login_at = utcnow()
    record(user, "login", user)
    db.session.commit()
    return user


def set_locale(user: User | None, locale: str) -> None:
    if user is not None and getattr(user, "is_authenticated", False):
        user.locale = locale
        db.session.commit()
