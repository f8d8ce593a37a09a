"""Accident records (事故): the one place where they are validated, recorded, changed and listed.

An accident happened at a registered enterprise (then it takes the enterprise's street and
sector) or at an unregistered place, named by its name, address and street. Times are stored
as naive UTC; callers convert what people typed with `timeutil.from_local`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from safetylist.audit.services import apply_changes, record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.i18n import is_chinese, local_name
from safetylist.interviews.models import ACCIDENT_CATEGORIES, CATEGORY_ZH, Accident
from safetylist.registry.models import Enterprise, Sector, Street
from safetylist.registry.services import Page
from safetylist.timeutil import local_today, to_local, utc_start_of, utcnow

# The English names of the GB 6441-86 categories (the Chinese ones are the standard's, CATEGORY_ZH).
CATEGORY_EN = {
    "struck_by_object": "Struck by object", "vehicle": "Vehicle injury", "machinery": "Machinery injury",
    "lifting": "Lifting injury", "electric_shock": "Electric shock", "drowning": "Drowning", "burns": "Burns",
    "fire": "Fire", "fall_from_height": "Fall from height", "collapse": "Collapse",
    "roof_fall": "Roof fall and rib spalling", "water_inrush": "Water inrush", "blasting": "Blasting",
    "explosives": "Explosives explosion", "gas_explosion": "Gas (firedamp) explosion",
    "boiler_explosion": "Boiler explosion", "vessel_explosion": "Pressure vessel explosion",
    "other_explosion": "Other explosion", "poisoning_asphyxiation": "Poisoning and asphyxiation",
    "other": "Other injury"}

FIELDS = ("occurred_at", "enterprise_id", "place_name", "address", "street_id", "sector_id", "category",
          "deaths", "injuries", "direct_loss", "summary", "source")
WHERE_FIELDS = ("enterprise_id", "place_name", "address", "street_id", "sector_id")
MAX_LENGTH = {"place_name": 200, "address": 300, "source": 100, "summary": 5000}
MAX_LOSS = Decimal("999999999999.99")  # Numeric(14, 2)
STALE = "Someone else changed this accident record after you opened it. Reload to see their changes, then make yours again."


def category_name(code: str) -> str:
    """A category in the user's language: the standard's Chinese term, or its English name."""
    return CATEGORY_ZH.get(code, code) if is_chinese() else CATEGORY_EN.get(code, code)


def category_choices() -> list[tuple[str, str]]:
    return [(code, category_name(code)) for code in ACCIDENT_CATEGORIES]


def where_name(accident: Accident) -> str:
    """Where it happened, in a few words: the enterprise, or the unregistered place."""
    return accident.enterprise.name if accident.enterprise is not None else (accident.place_name or "")


# --- validation ------------------------------------------------------------------------------
@dataclass
class Places:
    """What validation looks up, loaded once: streets, sectors and the enterprises asked about that
    the actor may see (id → street and sector). A thousand imported rows cost a few queries."""
    streets: dict[int, Street]
    sectors: set[int]
    enterprises: dict[int, tuple[int, int]]

    @classmethod
    def load(cls, scope: Scope, enterprise_ids=()) -> Places:
        wanted = sorted({i for i in enterprise_ids if i is not None})
        enterprises: dict[int, tuple[int, int]] = {}
        for start in range(0, len(wanted), 500):
            query = scope.enterprises().with_only_columns(Enterprise.id, Enterprise.street_id, Enterprise.sector_id) \
                .where(Enterprise.id.in_(wanted[start:start + 500]))
            enterprises.update({row.id: (row.street_id, row.sector_id) for row in db.session.execute(query)})
        return cls(streets={s.id: s for s in db.session.scalars(select(Street))},
                   sectors=set(db.session.scalars(select(Sector.id))), enterprises=enterprises)


def enterprises_by_code(scope: Scope, codes) -> dict[str, int]:
    """Credit code → id of the enterprises among `codes` that the actor may see."""
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        query = scope.enterprises().with_only_columns(Enterprise.credit_code, Enterprise.id) \
            .where(Enterprise.credit_code.in_(wanted[start:start + 500]))
        found.update(dict(db.session.execute(query).all()))
    return found


def check_accident(data: dict, scope: Scope, places: Places, now: datetime, where: bool = True) -> dict[str, str]:
    """Every reason `data` is not a valid accident record, as {field: reason}. A registered
    enterprise's street and sector are filled into `data`. `where=False` leaves out the place
    checks (the import does, when it could not tell which enterprise a row means)."""
    errors: dict[str, str] = {}
    occurred_at = data.get("occurred_at")
    if occurred_at is None:
        errors["occurred_at"] = _("This field is required.")
    elif occurred_at > now:
        errors["occurred_at"] = _("The time of the accident cannot be in the future.")
    if where:
        errors.update(_check_where(data, scope, places))
    if data.get("sector_id") is not None and data["sector_id"] not in places.sectors and "sector_id" not in errors:
        errors["sector_id"] = _("Unknown sector.")
    category = data.get("category")
    if not category:
        errors["category"] = _("This field is required.")
    elif category not in ACCIDENT_CATEGORIES:
        errors["category"] = _("Unknown accident category.")
    for name in ("deaths", "injuries"):
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors[name] = _("Must be a whole number, 0 or more.")
    loss = data.get("direct_loss")
    if isinstance(loss, bool) or not isinstance(loss, (int, Decimal)) or not Decimal(loss).is_finite() or loss < 0:
        errors["direct_loss"] = _("Must be an amount in yuan, 0 or more.")
    elif Decimal(loss).as_tuple().exponent < -2:
        errors["direct_loss"] = _("At most two decimal places (fen).")
    elif loss > MAX_LOSS:
        errors["direct_loss"] = _("The amount is too large.")
    if not data.get("summary"):
        errors["summary"] = _("This field is required.")
    for name, limit in MAX_LENGTH.items():
        if data.get(name) and len(data[name]) > limit and name not in errors:
            errors[name] = _("At most %(max)d characters.", max=limit)
    return errors


def _check_where(data: dict, scope: Scope, places: Places) -> dict[str, str]:
    errors: dict[str, str] = {}
    enterprise_id = data.get("enterprise_id")
    if enterprise_id is not None:
        if enterprise_id not in places.enterprises:
            return {"enterprise_id": _("No such enterprise in your area.")}
        street_id, sector_id = places.enterprises[enterprise_id]
        if data.get("street_id") not in (None, street_id):
            errors["street_id"] = _("The enterprise is in %(street)s; an accident there is counted in its street.",
                                    street=local_name(places.streets[street_id]))
        if data.get("sector_id") not in (None, sector_id):
            errors["sector_id"] = _("An accident at a registered enterprise is counted in the enterprise's sector.")
        data["street_id"], data["sector_id"] = street_id, sector_id
        return errors
    for name in ("place_name", "address", "street_id"):
        if not data.get(name):
            errors[name] = _("Required when the place is not a registered enterprise.")
    street_id = data.get("street_id")
    if street_id is not None and "street_id" not in errors:
        if street_id not in places.streets:
            errors["street_id"] = _("Unknown street.")
        elif not scope.covers_street(street_id):
            errors["street_id"] = _("This street is outside your area.")
    return errors


def _clean(fields: dict) -> dict:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"not accident fields: {', '.join(sorted(unknown))}")
    data = dict(fields)
    for name in ("place_name", "address", "summary", "source"):
        if name in data:
            data[name] = (data[name] or "").strip() or None
    moment = data.get("occurred_at")
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        data["occurred_at"] = moment.astimezone(timezone.utc).replace(tzinfo=None)
    for name in ("deaths", "injuries"):
        if name in data and data[name] is None:
            data[name] = 0
    if "direct_loss" in data:
        data["direct_loss"] = _decimal(data["direct_loss"])
    return data


def _decimal(value):
    if value is None:
        return Decimal("0")
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.replace(",", "").strip() or "0")
        except InvalidOperation:
            return value  # reported by check_accident
    return value


# --- changes ---------------------------------------------------------------------------------
def _prepared(fields: dict, existing: Accident | None) -> dict:
    """The record as it would be saved: a new one with counts defaulting to 0, or `existing` with
    the changes (changing the enterprise without naming a street or sector takes the new one's)."""
    data = _clean(fields)
    if existing is None:
        return {"deaths": 0, "injuries": 0, "direct_loss": Decimal("0"), **data}
    merged = {name: getattr(existing, name) for name in FIELDS}
    if "enterprise_id" in data:
        merged.update(street_id=None, sector_id=None)
    return {**merged, **data}


def accident_errors(actor, fields: dict, existing: Accident | None = None) -> dict[str, str]:
    """Every reason `fields` cannot be saved (as a new record, or as changes to `existing`)."""
    scope = Scope(actor)
    data = _prepared(fields, existing)
    return check_accident(data, scope, Places.load(scope, [data.get("enterprise_id")]), utcnow())


def _validated(actor, fields: dict, existing: Accident | None) -> dict:
    scope = Scope(actor)
    data = _prepared(fields, existing)
    errors = check_accident(data, scope, Places.load(scope, [data.get("enterprise_id")]), utcnow())
    if errors:
        raise ValidationFailed(errors)
    return data


def record_accident(actor, **fields) -> Accident:
    """Record one accident. `occurred_at` is naive UTC (as stored) or aware; counts default to 0."""
    if not Scope(actor).can_record_accidents():
        raise PermissionDenied(_("You may not record accidents."))
    accident = Accident(**_validated(actor, fields, None), created_by_id=getattr(actor, "id", None))
    db.session.add(accident)
    db.session.flush()
    record(actor, "accident_recorded", accident, category=accident.category, deaths=accident.deaths,
           injuries=accident.injuries, street_id=accident.street_id, enterprise_id=accident.enterprise_id)
    check_certificates([accident.enterprise_id])
    db.session.commit()
    return accident


def check_certificates(enterprise_ids) -> None:
    """An accident may be a veto event for a standardization certificate (标准化否决项): flag it for review."""
    from safetylist.standardization.certificates import check_veto_events
    check_veto_events([i for i in enterprise_ids if i is not None])


def can_change(actor, accident: Accident) -> bool:
    """Regulators correct the records of their area (a street regulator their street's)."""
    scope = Scope(actor)
    return scope.can_record_accidents() and scope.covers_street(accident.street_id)


def update_accident(actor, accident: Accident, expected_version: int, **fields) -> Accident:
    """Change a record unless someone saved it since `expected_version` (its lock_version) was read."""
    if not can_change(actor, accident):
        raise PermissionDenied(_("You may not change this accident record."))
    if expected_version != accident.lock_version:
        raise StaleObject(_(STALE))
    data = _validated(actor, fields, accident)
    changes = apply_changes(actor, accident, data, "accident_updated")
    try:
        if changes:
            db.session.flush()  # the version check; then the certificate flags in the same transaction
            check_certificates([accident.enterprise_id])
        db.session.commit()
    except StaleDataError:
        # The UPDATE ... WHERE lock_version = n matched nothing: a concurrent save won the race.
        db.session.rollback()
        raise StaleObject(_(STALE))
    return accident


# --- listing ---------------------------------------------------------------------------------
@dataclass
class AccidentFilters:
    year: int | None = None          # a calendar year in Asia/Shanghai
    street_id: int | None = None
    category: str | None = None
    enterprise_id: int | None = None

    def apply(self, query):
        if self.year:
            query = query.where(Accident.occurred_at >= utc_start_of(date(self.year, 1, 1)),
                                Accident.occurred_at < utc_start_of(date(self.year + 1, 1, 1)))
        if self.street_id:
            query = query.where(Accident.street_id == self.street_id)
        if self.category:
            query = query.where(Accident.category == self.category)
        if self.enterprise_id:
            query = query.where(Accident.enterprise_id == self.enterprise_id)
        return query


def list_accidents(actor, filters: AccidentFilters, page: int = 1, per_page: int = 25) -> Page:
    """One page of the accidents in scope, latest first: two queries whatever the page size."""
    query = filters.apply(Scope(actor).accidents())
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = db.session.scalars(query.options(joinedload(Accident.enterprise), joinedload(Accident.street),
                                             joinedload(Accident.sector))
                               .order_by(Accident.occurred_at.desc(), Accident.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def accident_years(actor) -> list[int]:
    """The years (Asia/Shanghai) from the latest accident in scope, or this year, back to the first."""
    first, last = db.session.execute(
        Scope(actor).accidents().with_only_columns(func.min(Accident.occurred_at), func.max(Accident.occurred_at))
    ).one()
    this_year = local_today().year
    if first is None:
        return [this_year]
    return list(range(max(this_year, to_local(last).year), to_local(first).year - 1, -1))
