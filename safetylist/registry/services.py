"""Enterprise register: the one place where enterprises are validated, created, changed and listed."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from safetylist.audit.services import apply_changes, record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.grid.models import Grid
from safetylist.registry import credit_code
from safetylist.registry.models import FLAGS, RISK_LEVELS, STATUSES, Community, Enterprise, Sector, Street
from safetylist.timeutil import local_today

REQUIRED = ("name", "credit_code", "sector_id", "street_id", "address", "risk_level",
            "legal_representative", "contact_name", "contact_phone", "filed_on")
EDITABLE = REQUIRED + ("community_id", "grid_id", "headcount", "status", "photo_location_opt_in") + FLAGS
PHONE = re.compile(r"^\+?[0-9][0-9\- ]{6,19}$")


@dataclass
class Lookups:
    """Reference rows loaded once, so validating a thousand rows costs a handful of queries."""
    sectors: dict[int, Sector]
    streets: dict[int, Street]
    community_street: dict[int, int]
    grid_community: dict[int, int]

    @classmethod
    def load(cls) -> Lookups:
        return cls(
            sectors={s.id: s for s in db.session.scalars(select(Sector))},
            streets={s.id: s for s in db.session.scalars(select(Street))},
            community_street=dict(db.session.execute(select(Community.id, Community.street_id)).all()),
            grid_community=dict(db.session.execute(select(Grid.id, Grid.community_id)).all()),
        )


def check_enterprise(data: dict, scope: Scope, lookups: Lookups) -> dict[str, str]:
    """Domain validation shared by forms, imports and the API; returns {field: reason}."""
    errors: dict[str, str] = {}
    for name in REQUIRED:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[name] = _("This field is required.")
    if data.get("credit_code") and "credit_code" not in errors:
        try:
            data["credit_code"] = credit_code.validate(data["credit_code"])  # normalized in place
        except credit_code.CreditCodeError as exc:
            errors["credit_code"] = credit_code_message(exc)
    if data.get("sector_id") and data["sector_id"] not in lookups.sectors:
        errors["sector_id"] = _("Unknown sector.")
    street_id, community_id, grid_id = data.get("street_id"), data.get("community_id"), data.get("grid_id")
    if street_id and street_id not in lookups.streets:
        errors["street_id"] = _("Unknown street.")
    elif street_id and not scope.covers_street(street_id):
        errors["street_id"] = _("This street is outside your area.")
    if community_id and lookups.community_street.get(community_id) != street_id:
        errors["community_id"] = _("This community is not in the chosen street.")
    if grid_id and (not community_id or lookups.grid_community.get(grid_id) != community_id):
        errors["grid_id"] = _("This grid is not in the chosen community.")
    if data.get("risk_level") and data["risk_level"] not in RISK_LEVELS:
        errors["risk_level"] = _("Risk level must be red, orange, yellow or blue.")
    if data.get("status", "active") not in STATUSES:
        errors["status"] = _("Status must be active, suspended or closed.")
    headcount = data.get("headcount")
    if headcount is not None and (not isinstance(headcount, int) or headcount < 0):
        errors["headcount"] = _("Headcount must be a whole number, 0 or more.")
    phone = data.get("contact_phone")
    if phone and "contact_phone" not in errors and not PHONE.match(str(phone).strip()):
        errors["contact_phone"] = _("Not a phone number.")
    filed_on = data.get("filed_on")
    if isinstance(filed_on, date) and filed_on > local_today():
        errors["filed_on"] = _("The filing date cannot be in the future.")
    return errors


def credit_code_message(error: credit_code.CreditCodeError) -> str:
    """The reason a credit code is invalid, in the user's language."""
    if error.kind == "length":
        return _("A credit code has 18 characters; this one has %(length)d.", **error.params)
    if error.kind == "alphabet":
        return _("A credit code cannot contain %(chars)s (allowed: digits and letters except I, O, S, V, Z).",
                 **error.params)
    return _("Wrong check character: the 18th character is %(found)s but should be %(expected)s.",
             **error.params)


def duplicate_codes(codes: list[str], exclude_id: int | None = None) -> set[str]:
    """Which of these credit codes are already registered (to another enterprise)."""
    found: set[str] = set()
    for start in range(0, len(codes), 500):  # keep IN lists a sane size
        query = select(Enterprise.credit_code).where(Enterprise.credit_code.in_(codes[start:start + 500]))
        if exclude_id is not None:
            query = query.where(Enterprise.id != exclude_id)
        found.update(db.session.scalars(query))
    return found


def _clean(data: dict) -> dict:
    clean = {name: data[name] for name in EDITABLE if name in data}
    for name in ("name", "address", "legal_representative", "contact_name", "contact_phone"):
        if isinstance(clean.get(name), str):
            clean[name] = clean[name].strip()
    return clean


def enterprise_errors(actor, data: dict, existing: Enterprise | None = None) -> dict[str, str]:
    """Every reason `data` cannot be saved (for a new enterprise, or as changes to `existing`)."""
    scope = Scope(actor)
    data = _clean(data)
    merged = data if existing is None else {**{n: getattr(existing, n) for n in EDITABLE}, **data}
    errors = check_enterprise(merged, scope, Lookups.load())
    for name in scope.locked_fields() if existing is not None else ():
        if name in data and data[name] != getattr(existing, name):
            errors[name] = _("Only a regulator may change this field.")
    code = merged.get("credit_code")
    if code and "credit_code" not in errors and \
            duplicate_codes([code], exclude_id=existing.id if existing is not None else None):
        errors["credit_code"] = _("An enterprise with this credit code is already registered.")
    return errors


def create_enterprise(actor, data: dict) -> Enterprise:
    if not Scope(actor).can_create_enterprise():
        raise PermissionDenied(_("You may not register enterprises."))
    data = _clean(data)
    errors = enterprise_errors(actor, data)
    if errors:
        raise ValidationFailed(errors)
    enterprise = Enterprise(**data)
    db.session.add(enterprise)
    db.session.flush()
    record(actor, "enterprise_created", enterprise, credit_code=enterprise.credit_code)
    db.session.commit()
    return enterprise


STALE = "Someone else changed this enterprise after you opened it. Reload to see their changes, then make yours again."


def update_enterprise(actor, enterprise: Enterprise, data: dict, expected_version: int) -> Enterprise:
    """Apply changes unless someone saved the enterprise since `expected_version` was read."""
    if not Scope(actor).can_edit_enterprise(enterprise):
        raise PermissionDenied(_("You may not change this enterprise."))
    if expected_version != enterprise.version:
        raise StaleObject(_(STALE))
    data = _clean(data)
    errors = enterprise_errors(actor, data, existing=enterprise)
    if errors:
        raise ValidationFailed(errors)
    if "credit_code" in data:
        data["credit_code"] = credit_code.normalize(data["credit_code"])
    apply_changes(actor, enterprise, data, "enterprise_updated")
    try:
        db.session.commit()
    except StaleDataError:
        # The UPDATE ... WHERE version = n matched nothing: a concurrent save won the race.
        db.session.rollback()
        raise StaleObject(_(STALE))
    return enterprise


# --- listing -----------------------------------------------------------------------------
@dataclass
class EnterpriseFilters:
    q: str = ""
    street_id: int | None = None
    community_id: int | None = None
    sector_id: int | None = None
    risk_level: str | None = None
    status: str | None = None
    flags: list[str] = field(default_factory=list)
    unassigned: bool = False  # in no grid, or in a grid nobody is responsible for

    def apply(self, query):
        if self.q.strip():
            term = self.q.strip()
            like = f"%{term.replace('%', '').replace('_', '')}%"
            query = query.where(or_(Enterprise.name.ilike(like), Enterprise.credit_code == term.upper()))
        for name in ("street_id", "community_id", "sector_id", "risk_level", "status"):
            if getattr(self, name):
                query = query.where(getattr(Enterprise, name) == getattr(self, name))
        for flag in self.flags:
            if flag in FLAGS:
                query = query.where(getattr(Enterprise, flag).is_(True))
        if self.unassigned:
            from safetylist.grid.services import staffed_grid_ids
            query = query.where(or_(Enterprise.grid_id.is_(None), Enterprise.grid_id.not_in(staffed_grid_ids())))
        return query


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @classmethod
    def of(cls, items: list, page: int, per_page: int) -> "Page":
        """One page of a list already in memory (out-of-range pages show the last one)."""
        page = max(1, min(page, max(1, -(-len(items) // per_page))))
        return cls(items=items[(page - 1) * per_page:page * per_page], total=len(items), page=page, per_page=per_page)


RISK_ORDER = {level: rank for rank, level in enumerate(RISK_LEVELS)}


def list_enterprises(actor, filters: EnterpriseFilters, page: int = 1, per_page: int = 25) -> Page:
    """One page of enterprises in scope: two queries whatever the page size."""
    query = filters.apply(Scope(actor).enterprises())
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = db.session.scalars(query.order_by(Enterprise.name, Enterprise.id)
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def iter_enterprises(actor, filters: EnterpriseFilters, batch: int = 500):
    """Every enterprise in scope matching the filters, for exports, fetched in batches."""
    query = filters.apply(Scope(actor).enterprises()).order_by(Enterprise.name, Enterprise.id)
    yield from db.session.scalars(query.execution_options(yield_per=batch))
