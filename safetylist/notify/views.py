"""Notification pages: each user's inbox and settings, and for administrators the deliveries over
e-mail and the gateway, and the development outbox. Also the unread count in the top bar."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from safetylist.auth.scope import Scope
from safetylist.auth.views import safe_next
from safetylist.errors import DomainError
from safetylist.extensions import db
from safetylist.notify import delivery as deliveries
from safetylist.notify import services
from safetylist.notify.forms import PreferencesForm
from safetylist.notify.models import DELIVERY_STATUSES, Delivery, Notification, OutboxMessage
from safetylist.notify.render import render
from safetylist.web import call_service

bp = Blueprint("notify", __name__, url_prefix="/notifications")
FILTERS = ("all", "unread")
CHANNEL_LABELS = {"email": _l("E-mail"), "webhook": _l("SMS / WeCom")}
STATUS_LABELS = {"failed": _l("Failed"), "pending": _l("Waiting"), "sending": _l("Sending"), "sent": _l("Sent")}


@bp.before_request
@login_required
def require_login():
    pass


@bp.app_context_processor
def unread_badge():
    """`unread_notifications()` for the top bar: counted once per rendered page, and only if the page shows it."""
    counted: list[int] = []

    def unread_notifications() -> int:
        if not counted:
            counted.append(services.unread_count(current_user)
                           if getattr(current_user, "is_authenticated", False) else 0)
        return counted[0]
    return {"unread_notifications": unread_notifications}


def _page(query):
    return db.paginate(query, page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


# --- the inbox -------------------------------------------------------------------------------------
@bp.route("/")
def inbox():
    show = request.args.get("show") if request.args.get("show") in FILTERS else "all"
    query = Scope(current_user).notifications()
    if show == "unread":
        query = query.where(Notification.read_at.is_(None))
    page = _page(query.order_by(Notification.created_at.desc(), Notification.id.desc()))
    locale = str(get_locale())
    items = [(n, render(n, locale)) for n in page.items]
    return render_template("notify/inbox.html", page=page, items=items, show=show,
                           query_args={"show": show} if show != "all" else {})


@bp.route("/<int:notification_id>/read", methods=["POST"])
def read(notification_id: int):
    """Mark read, then go where the notification points (only same-site paths)."""
    notification = Scope(current_user).get_notification(notification_id)  # 404 unless it is the user's
    services.mark_read(current_user, notification)
    return redirect(safe_next(notification.link, url_for(".inbox")))


@bp.route("/read-all", methods=["POST"])
def read_all():
    if services.mark_all_read(current_user):
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for(".inbox"))


# --- settings --------------------------------------------------------------------------------------
def _show_errors(form: PreferencesForm, errors: dict[str, str]) -> None:
    for name, reason in errors.items():
        form[name].errors = list(form[name].errors or []) + [reason]


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    user = current_user
    form = PreferencesForm(obj=user if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        status = call_service(lambda: services.update_preferences(
            user, form.email.data, form.notify_email.data, form.notify_webhook.data,
            _int(form.version.data)),
            form, _show_errors)
        if status is None:
            flash(_("Notification settings saved."), "success")
            return redirect(url_for(".settings"))
    elif form.errors:
        status = 400
    form.version.data = user.version  # after a refusal for a stale version: saving again overwrites knowingly
    config = current_app.config
    return render_template("notify/settings.html", form=form, mail_server=bool(config.get("MAIL_SERVER")),
                           webhook=bool(config.get("NOTIFY_WEBHOOK_URL"))), status


def _int(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


# --- administrators --------------------------------------------------------------------------------
@bp.route("/deliveries")
def deliveries_list():
    scope = Scope(current_user)
    if not scope.can_view_deliveries():
        abort(404)
    status = request.args.get("status") if request.args.get("status") in DELIVERY_STATUSES + ("all",) else "failed"
    counts = dict(db.session.execute(scope.deliveries().with_only_columns(Delivery.status, func.count())
                                     .group_by(Delivery.status)).all())
    query = scope.deliveries().options(joinedload(Delivery.notification).joinedload(Notification.user))
    if status != "all":
        query = query.where(Delivery.status == status)
    page = _page(query.order_by(Delivery.id.desc()))
    locale = str(get_locale())
    items = [(d, render(d.notification, locale)) for d in page.items]
    return render_template("notify/deliveries.html", page=page, items=items, status=status,
                           counts={s: counts.get(s, 0) for s in DELIVERY_STATUSES},
                           status_labels=STATUS_LABELS, channel_labels=CHANNEL_LABELS,
                           query_args={"status": status})


@bp.route("/deliveries/<int:delivery_id>/retry", methods=["POST"])
def retry_delivery(delivery_id: int):
    scope = Scope(current_user)
    if not scope.can_view_deliveries():
        abort(404)
    delivery = scope.get_delivery(delivery_id)
    try:
        deliveries.retry(current_user, delivery)
    except DomainError:
        flash(_("Only a failed delivery can be sent again."), "error")
    else:
        flash(_("Delivery queued again: it will be sent within a minute or two."), "success")
    return redirect(url_for(".deliveries_list", status=request.form.get("status", "failed")))


@bp.route("/outbox")
def outbox():
    scope = Scope(current_user)
    if not scope.can_view_outbox():
        abort(404)
    page = _page(scope.outbox().order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))
    return render_template("notify/outbox.html", page=page,
                           mail_server=bool(current_app.config.get("MAIL_SERVER")))
