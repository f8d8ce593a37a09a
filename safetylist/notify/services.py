"""The inbox (通知) a user reads, and the channels besides it on which the user wants reminders."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, update
from sqlalchemy.orm.exc import StaleDataError

from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.notify.models import Notification
from safetylist.timeutil import utcnow


def unread_count(user) -> int:
    """One COUNT on the (user_id, read_at) index, for the badge in the top bar."""
    return db.session.scalar(Scope(user).notifications().where(Notification.read_at.is_(None))
                             .with_only_columns(func.count())) or 0


def mark_read(actor, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read; reading it again changes nothing."""
    if notification.user_id != actor.id:
        raise PermissionDenied(_("This notification is someone else's."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def mark_all_read(actor) -> int:
    """Mark every unread notification of the actor read; returns how many were unread."""
    unread = Scope(actor).notifications().where(Notification.read_at.is_(None)).with_only_columns(Notification.id)
    done = db.session.execute(update(Notification).where(Notification.id.in_(unread.scalar_subquery()))
                              .values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return done.rowcount


def _email_problem(address: str) -> str:
    """Why an address is refused, in words a user can act on (the library's reasons are English only)."""
    if "＠" in address:
        return _("Use the half-width @ sign, not the full-width ＠.")
    if address.count("@") == 0:
        return _("An e-mail address needs an @ sign, as in name@example.com.")
    if address.count("@") > 1:
        return _("An e-mail address has only one @ sign.")
    local, domain = address.split("@")
    if any(c.isspace() for c in address):
        return _("An e-mail address cannot contain spaces.")
    if not local:
        return _("Something must come before the @ sign.")
    if "." not in domain:
        return _("After the @ sign comes a domain name such as example.com.")
    return _("This is not a valid e-mail address.")


def _checked_email(address: str, notify_email: bool) -> str | None:
    if not address:
        if notify_email:
            raise ValidationFailed({"email": _("Enter an e-mail address to get reminders by e-mail, "
                                               "or untick E-mail.")})
        return None
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationFailed({"email": _email_problem(address)}) from None


def update_preferences(actor, email: str | None, notify_email: bool, notify_webhook: bool, version: int):
    """Save the actor's own address and channels. `version` is the account's version the form was
    opened with: a change saved since (in another tab, by an administrator) refuses this one."""
    stale = _("Your account was changed elsewhere after you opened this page. "
              "Check the settings below and save again.")
    if version != actor.version:
        raise StaleObject(stale)
    email = _checked_email((email or "").strip(), notify_email)
    changes = {name: value for name, value in (("email", email), ("notify_email", bool(notify_email)),
                                                ("notify_webhook", bool(notify_webhook)))
               if getattr(actor, name) != value}
    if not changes:
        return actor
    for name, value in changes.items():
        setattr(actor, name, value)
    record(actor, "notification_preferences_changed", actor, **changes)
    try:
        db.session.commit()  # the version column makes a concurrent save fail here
    except StaleDataError:
        db.session.rollback()
        raise StaleObject(stale) from None
    return actor
