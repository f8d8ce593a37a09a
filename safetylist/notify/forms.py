"""The notification settings form (通知设置)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField
from wtforms.validators import Length, Optional


class PreferencesForm(FlaskForm):
    # The address is checked by the service (notify.services), which gives the precise reason.
    email = EmailField(_l("E-mail address"), validators=[Optional(), Length(max=254)],
                       render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})
    notify_email = BooleanField(_l("E-mail"))
    notify_webhook = BooleanField(_l("SMS / WeCom (via the gateway)"))
    version = HiddenField()
