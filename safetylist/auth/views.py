"""Login, logout and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from safetylist.auth import services
from safetylist.auth.forms import LanguageForm, LoginForm

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: `next=` must never send a user to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
                and "\\" not in target:
            return target
    return default


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong username or password."))
        else:
            locale = session.get("locale")
            session.clear()  # a fresh session on login: no fixation
            if locale:
                session["locale"] = locale
                if not user.locale:
                    services.set_locale(user, locale)
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data, url_for("home.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in current_app.config["LANGUAGES"]:
        session["locale"] = form.locale.data
        services.set_locale(current_user, form.locale.data)
    return redirect(safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path,
                              url_for("home.index")))
