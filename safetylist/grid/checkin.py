"""Site check-in (现场签到): the QR poster on each enterprise's premises, and starting a site
inspection that records when, how (scanned on site or not) and, if the browser shares it, where.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

import segno
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.checklists import runs, versions
from safetylist.checklists.models import ChecklistRun
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.grid.services import responsible_workers
from safetylist.registry.models import Enterprise, new_checkin_token
from safetylist.reports.pdf import render_pdf
from safetylist.timeutil import local_today, utcnow

# A browser may answer with a position from the IP address, kilometres off; beyond this it says
# nothing about the site. static/js/checkin.js leaves such a position out.
MAX_ACCURACY_M = 100_000
RENEWERS = (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR)


@dataclass(frozen=True)
class CheckIn:
    """How an inspector arrived: by the site's QR poster (on site) or not, and where the browser said."""
    on_site: bool = False
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None

    @property
    def located(self) -> bool:
        return self.latitude is not None


LOCATION_LIMITS = {"latitude": (-90, 90), "longitude": (-180, 180), "accuracy": (0, MAX_ACCURACY_M)}


def parse_check_in(form, on_site: bool = False) -> CheckIn:
    """A check-in from the form fields `latitude`, `longitude`, `accuracy` (metres): all three or none.

    `on_site` never comes from the form: only the QR route, which holds the poster's secret, sets it.
    """
    raw = {name: str(form.get(name) or "").strip()[:40] for name in LOCATION_LIMITS}
    if not any(raw.values()):
        return CheckIn(on_site)
    errors, values = {}, {}
    for name, (low, high) in LOCATION_LIMITS.items():
        if not raw[name]:
            errors[name] = _("Send latitude, longitude and accuracy together, or none of them.")
            continue
        try:
            values[name] = float(raw[name])
        except ValueError:
            values[name] = math.nan
        if not (math.isfinite(values[name]) and low <= values[name] <= high):
            errors[name] = _out_of_range(name)
    if errors:
        raise ValidationFailed(errors)
    return CheckIn(on_site, values["latitude"], values["longitude"], values["accuracy"])


def _out_of_range(name: str) -> str:
    if name == "latitude":
        return _("Latitude is a number from -90 to 90.")
    if name == "longitude":
        return _("Longitude is a number from -180 to 180.")
    return _("Accuracy is a number of metres from 0 to %(max)d.", max=MAX_ACCURACY_M)


def site_inspection_key() -> str:
    return current_app.config["SITE_INSPECTION_CHECKLIST"]


def may_inspect(actor) -> bool:
    """Does the actor's role fill the configured site inspection (the check-in page's button)?"""
    entry = versions.entry(site_inspection_key())
    return entry is not None and actor.role in runs.FILLERS[entry.definition.audience]


def start_site_inspection(actor, enterprise: Enterprise, check_in: CheckIn) -> ChecklistRun:
    """Start (or resume) the enterprise's site inspection and record the check-in on it.

    A draft keeps its first check-in, except that a check-in by the site's QR code replaces one
    made elsewhere: being on site is what the record has to show.
    """
    run = runs.start_run(actor, site_inspection_key(), enterprise)
    if run.checked_in_at is not None and (run.on_site or not check_in.on_site):
        return run
    replaced = run.checked_in_at is not None
    run.checked_in_at = utcnow()
    run.on_site = check_in.on_site
    run.latitude, run.longitude = check_in.latitude, check_in.longitude
    run.location_accuracy_m = check_in.accuracy_m
    record(actor, "site_checked_in", run, enterprise_id=enterprise.id, on_site=check_in.on_site,
           located=check_in.located, accuracy_m=check_in.accuracy_m, replaced_earlier=replaced)
    try:
        db.session.commit()
    except StaleDataError:  # the draft was saved from another device at this very moment
        db.session.rollback()
        raise StaleObject(_("This inspection was changed elsewhere at the same moment. Please try again."))
    return run


def enterprise_by_token(actor, token: str) -> Enterprise:
    """The enterprise whose poster carries `token`; 404 if none, or if it is outside the actor's scope."""
    enterprise_id = db.session.scalar(select(Enterprise.id).where(Enterprise.checkin_token == token[:64]))
    return Scope(actor).get_enterprise(enterprise_id or 0)


def can_renew_token(actor, enterprise: Enterprise) -> bool:
    return getattr(actor, "role", None) in RENEWERS and Scope(actor).covers_street(enterprise.street_id)


def renew_token(actor, enterprise: Enterprise) -> Enterprise:
    """Give the enterprise a new poster secret: every poster printed before stops working."""
    if not can_renew_token(actor, enterprise):
        raise PermissionDenied(_("Only regulators and administrators can renew a check-in poster."))
    # A plain UPDATE: the poster secret is not part of the filing, so it must not make someone's
    # open edit of the enterprise stale (version) or show up as its last change (updated_at).
    db.session.execute(update(Enterprise).where(Enterprise.id == enterprise.id)
                       .values(checkin_token=new_checkin_token(), updated_at=Enterprise.updated_at)
                       .execution_options(synchronize_session=False))
    record(actor, "checkin_token_renewed", enterprise)
    db.session.commit()
    db.session.refresh(enterprise)
    return enterprise


# --- the poster ---------------------------------------------------------------------------------
def checkin_url(enterprise: Enterprise) -> str:
    """The absolute address the poster's QR code opens.

    PUBLIC_BASE_URL, when set, wins over the address of the request: a poster is printed once and
    hangs on a wall for years, so it must carry the public address, not a proxy's internal one.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return url_for("grid.checkin_page", token=enterprise.checkin_token, _external=True)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                       url_scheme=parts.scheme)
    return adapter.build("grid.checkin_page", {"token": enterprise.checkin_token}, force_external=True)


def qr_code(url: str) -> segno.QRCode:
    # Level Q (25 % may be lost): posters get dirty, torn and photographed at an angle.
    return segno.make(url, error="q", micro=False)


def poster_record(enterprise: Enterprise) -> dict:
    """What the poster shows."""
    url = checkin_url(enterprise)
    worker = responsible_workers([enterprise.grid_id]).get(enterprise.grid_id) if enterprise.grid_id else None
    return {
        "enterprise": enterprise, "url": url,
        "qr": qr_code(url).svg_data_uri(border=4, omitsize=True),
        "worker": worker, "generated_on": local_today(),
    }


def poster_pdf(enterprise: Enterprise) -> bytes:
    """The A4 check-in poster (扫码签到), in Chinese, to print and put up at the site."""
    return render_pdf("reports/poster.html", **poster_record(enterprise))
