"""Cross-cutting web wiring: login loading, security headers, template helpers, error pages."""
from __future__ import annotations

from flask import Flask, abort, flash, render_template, request
from flask_babel import format_date, format_datetime, format_timedelta, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from safetylist.auth.roles import ROLE_LABELS
from safetylist.auth.scope import Scope
from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db, login_manager
from safetylist.i18n import is_chinese, local_name
from safetylist.remediation.labels import hazard_labels
from safetylist.standardization.labels import GRADE_LABELS
from safetylist.timeutil import to_local, utcnow

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")

RISK_LABELS = {"red": _l("Red (major)"), "orange": _l("Orange (high)"),
               "yellow": _l("Yellow (moderate)"), "blue": _l("Blue (low)")}
STATUS_LABELS = {"active": _l("Active"), "suspended": _l("Suspended"), "closed": _l("Closed")}
KIND_LABELS = {"self_check": _l("Self-check"), "site_inspection": _l("Site inspection"),
               "agency_self_check": _l("Agency self-check"), "agency_spot_check": _l("Agency project spot check"),
               "standardization": _l("Standardization assessment")}
FREQUENCY_LABELS = {"daily": _l("Daily"), "weekly": _l("Weekly"), "monthly": _l("Monthly"),
                    "quarterly": _l("Quarterly"), "yearly": _l("Yearly"), "on_demand": _l("On demand")}
FLAG_LABELS = {"confined_space": _l("Confined spaces"), "hazardous_chemicals": _l("Hazardous chemicals"),
               "gas_user": _l("Gas user"), "key_enterprise": _l("Key enterprise"),
               "standardization_required": _l("Standardization required")}


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from safetylist.auth.models import User
        return db.session.get(User, int(user_id))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.context_processor
    def helpers():
        return {
            "get_locale": get_locale,
            "is_chinese": is_chinese,
            "local_name": local_name,
            "role_label": lambda role: ROLE_LABELS.get(role, role),
            "risk_label": lambda level: RISK_LABELS.get(level, level),
            "status_label": lambda status: STATUS_LABELS.get(status, status),
            "flag_label": lambda flag: FLAG_LABELS.get(flag, flag),
            "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
            "frequency_label": lambda frequency: FREQUENCY_LABELS.get(frequency, frequency),
            "FLAG_LABELS": FLAG_LABELS,
            "RISK_LABELS": RISK_LABELS,
            "local_time": lambda moment: format_datetime(to_local(moment), "yyyy-MM-dd HH:mm") if moment else "",
            "time_ago": time_ago,
            "local_date": lambda day: format_date(day, "yyyy-MM-dd") if day else "",
            "scope": Scope(current_user) if getattr(current_user, "is_authenticated", False) else None,
            "js_messages": js_messages,
            "hazard_labels": hazard_labels,
            "grade_label": lambda grade: GRADE_LABELS.get(grade, grade),
            "number": lambda value: ("%g" % value) if isinstance(value, float) else value,
        }

    for code in (400, 403, 404, 413):
        app.register_error_handler(code, _error_page)


def time_ago(moment) -> str:
    """How long ago a stored (naive UTC) time was, in words: "3 小时前", "3 hours ago"."""
    return format_timedelta(moment - utcnow(), add_direction=True) if moment else ""


def js_messages() -> dict[str, str]:
    """Strings the scripts show, in the user's language (read by static/js/messages.js)."""
    return {
        "saved_server": _("Saved at %(time)s."),
        "saved_device": _("Offline: answers are kept on this phone and will be sent when the network returns."),
        "syncing": _("Saving…"),
        "synced_after_offline": _("Back online: your answers have been sent."),
        "merged": _("Answers were also changed on another device; yours were added to them."),
        "submitted_elsewhere": _("This checklist has already been submitted."),
        "save_failed": _("Some answers could not be saved; please check them."),
        "queued": _("Offline: the submission will be sent as soon as the network returns. You can close this page."),
        "submitting": _("Submitting…"),
        "photo_offline": _("Photos need the network; take it again when you are online."),
        "photo_uploading": _("Uploading the photo…"),
        "photo_done": _("Photo added."),
        "photo_failed": _("The photo could not be added."),
        "missing": _("%(n)s items need an answer, a photo or a reason."),
        "outbox_sent": _("A checklist saved offline has been submitted."),
        "outbox_refused": _("A checklist saved offline could not be submitted: open it to see why."),
        "geo_finding": _("Finding your location…"),
        "geo_found": _("Location found, ±%(m)s m"),
        "geo_unavailable": _("Location not available – you can still start."),
    }


def _error_page(error):
    code = getattr(error, "code", 500)
    if request.accept_mimetypes.best == "application/json":
        return {"error": error.name, "message": error.description}, code
    return render_template("errors.html", error=error), code


def call_service(save, form, show_errors) -> int | None:
    """Run a service call for a submitted form: None on success, else the HTTP status to answer.

    Field errors go back onto the form (400); a concurrent change keeps the user's input on
    the form and says so (409); a refusal by role is 403.
    """
    try:
        save()
    except ValidationFailed as exc:
        show_errors(form, exc.errors)
        return 400
    except StaleObject as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return 409
    except PermissionDenied:
        abort(403)
    return None


def attempt(step, rerender):
    """Take a workflow step from a page. None when it was taken; else the page again (`rerender(status=…,
    errors=…)`) with the reason flashed: 400 for wrong input, 403 for a role that may not, 409 for a stale
    form or a step the record's state does not allow. A refused step leaves nothing behind."""
    try:
        step()
    except ValidationFailed as exc:
        db.session.rollback()
        for reason in exc.errors.values():
            flash(reason, "error")
        return rerender(status=400, errors=exc.errors)
    except PermissionDenied as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return rerender(status=403)
    except DomainError as exc:  # StaleObject, an illegal step
        db.session.rollback()
        flash(str(exc), "error")
        return rerender(status=409)
    return None


def import_upload(form, run_import) -> tuple:
    """An import page's POST: `run_import(filename, content)` on a valid upload. Returns the import's
    result (None before an upload) and the HTTP status to answer, None when every row was imported."""
    if form.validate_on_submit():
        upload = form.file.data
        result = run_import(upload.filename, upload.read())
        return result, None if result.ok else 400
    return None, 400 if form.errors else 200
