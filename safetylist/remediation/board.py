"""The hazard board (隐患台账) for regulators, grid workers and officers: filters, sorting, counts per
street, each enterprise's hazard history and the .xlsx export — always within `Scope(actor).hazards()`."""
from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.errors import ValidationFailed
from safetylist.extensions import db
from safetylist.i18n import is_chinese, local_name
from safetylist.registry.models import Community, Enterprise, Sector, Street
from safetylist.registry.services import Page
from safetylist.remediation import escalation
from safetylist.remediation.labels import SEVERITY_LABELS, SOURCE_LABELS, STATUS_LABELS, SUPERVISION_LABELS
from safetylist.remediation.models import ACTIVE_STATUSES, SEVERITIES, SOURCES, STATUSES, Hazard
from safetylist.timeutil import local_today

ACTIVE, ALL = "active", "all"  # status choices besides the four states: still to be fixed (default), any
STATUS_CHOICES = (ACTIVE, ALL) + STATUSES
SORTS = {
    "deadline": _l("Deadline, overdue first"),
    "found_on": _l("Newest first"),
    "severity": _l("Major first"),
    "enterprise": _l("Enterprise name"),
}
FIELD_LABELS = {
    "street_id": _l("Street"), "community_id": _l("Community"), "sector_id": _l("Sector"),
    "enterprise_id": _l("Enterprise"), "severity": _l("Severity"), "status": _l("Status"),
    "source": _l("Source"), "overdue": _l("Overdue"), "escalated": _l("Escalated"), "sort": _l("Sort"),
}
YES = ("yes", "1", "on", "true")  # what a checkbox or a hand-written link may send


@dataclass
class HazardFilters:
    """What the board shows. Default: the hazards still to be fixed; for one enterprise, all of them."""
    q: str = ""  # enterprise name contains, or its exact credit code
    street_id: int | None = None
    community_id: int | None = None
    sector_id: int | None = None
    enterprise_id: int | None = None  # one enterprise's hazard history
    severity: str | None = None
    status: str = ACTIVE
    source: str | None = None
    overdue: bool = False
    escalated: bool = False  # escalated to the actor's board (see `escalated_condition`)

    @classmethod
    def from_args(cls, args) -> HazardFilters:
        """Parse request arguments; a value the board does not know raises ValidationFailed naming the field."""
        errors: dict[str, str] = {}

        def text(name: str) -> str:
            return (args.get(name) or "").strip()

        def ident(name: str) -> int | None:
            value = text(name)
            if value and not (value.isdigit() and len(value) < 10):
                errors[name] = unknown(name, value)
            return int(value) if name not in errors and value else None

        def choice(name: str, allowed, default=None):
            value = text(name)
            if value and value not in allowed:
                errors[name] = unknown(name, value)
            return value if name not in errors and value else default

        def flag(name: str) -> bool:
            value = text(name).lower()
            if value and value not in YES + ("no", "0", "off", "false"):
                errors[name] = unknown(name, value)
            return value in YES

        enterprise_id = ident("enterprise_id")
        filters = cls(q=text("q")[:100], street_id=ident("street_id"), community_id=ident("community_id"),
                      sector_id=ident("sector_id"), enterprise_id=enterprise_id,
                      severity=choice("severity", SEVERITIES), source=choice("source", SOURCES),
                      status=choice("status", STATUS_CHOICES, ALL if enterprise_id else ACTIVE),
                      overdue=flag("overdue"), escalated=flag("escalated"))
        if errors:
            raise ValidationFailed(errors)
        return filters

    def describe(self) -> dict:
        """The filters in use, for the audit trail."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "", False)}


def unknown(name: str, value: str) -> str:
    return _("%(field)s: unknown value “%(value)s”.", field=FIELD_LABELS.get(name, name), value=value[:40])


def sort_from_args(args, filters: HazardFilters) -> str:
    """The sort key asked for; by default overdue first, or newest first for one enterprise's history."""
    value = (args.get("sort") or "").strip()
    if value and value not in SORTS:
        raise ValidationFailed({"sort": unknown("sort", value)})
    return value or ("found_on" if filters.enterprise_id else "deadline")


def escalated_condition(actor, today: date):
    """SQL: escalated to this actor's board. The district's board shows what the rules send to the
    district; a street's (and everyone else's) anything escalated, to the street or above."""
    return escalation.escalated(today, "district" if actor.role == roles.DISTRICT_REGULATOR else None)


def overdue_condition(today: date):
    return and_(Hazard.status.in_(ACTIVE_STATUSES), Hazard.deadline < today)


def _conditions(actor, filters: HazardFilters, today: date, with_state: bool = True) -> list:
    """WHERE terms for the filters; `with_state=False` leaves out status, overdue and escalation (and
    the place), which the per-street counts split into columns instead."""
    terms = []
    about_enterprise = []  # as one IN (enterprises …): cheaper than joining every hazard to its enterprise
    if filters.q:
        like = f"%{filters.q.replace('%', '').replace('_', '')}%"
        about_enterprise.append(or_(Enterprise.name.ilike(like), Enterprise.credit_code == filters.q.upper()))
    for name in ("sector_id",) + (("street_id", "community_id") if with_state else ()):
        if getattr(filters, name):
            about_enterprise.append(getattr(Enterprise, name) == getattr(filters, name))
    if about_enterprise:
        terms.append(Hazard.enterprise_id.in_(select(Enterprise.id).where(*about_enterprise)))
    if filters.enterprise_id:
        terms.append(Hazard.enterprise_id == filters.enterprise_id)
    if filters.severity:
        terms.append(Hazard.severity == filters.severity)
    if filters.source:
        terms.append(Hazard.source == filters.source)
    if with_state:
        if filters.status == ACTIVE:
            terms.append(Hazard.status.in_(ACTIVE_STATUSES))
        elif filters.status != ALL:
            terms.append(Hazard.status == filters.status)
        if filters.overdue:
            terms.append(overdue_condition(today))
        if filters.escalated:
            terms.append(escalated_condition(actor, today))
    return terms


def _ordering(sort: str, filters: HazardFilters) -> list:
    by_deadline = [Hazard.deadline, Hazard.id]
    if filters.status not in (ACTIVE, "open", "rectification_submitted"):
        by_deadline.insert(0, case((Hazard.status.in_(ACTIVE_STATUSES), 0), else_=1))  # still to fix first
    if sort == "found_on":
        return [Hazard.found_on.desc(), Hazard.id.desc()]
    if sort == "severity":
        return [case((Hazard.severity == "major", 0), else_=1)] + by_deadline
    if sort == "enterprise":
        return [Enterprise.name, Enterprise.id] + by_deadline
    return by_deadline


def _matching(actor, filters: HazardFilters, today: date, sort: str | None = None):
    """The hazards in scope matching the filters; joined to their enterprise only to sort by its name
    (outer: agency hazards stay in for those who see them)."""
    query = Scope(actor).hazards().where(*_conditions(actor, filters, today))
    if sort == "enterprise":
        query = query.outerjoin(Enterprise, Hazard.enterprise_id == Enterprise.id)
    return query


def _with_enterprise(query):
    """Join each hazard to its enterprise and load it with its street and sector (and an agency's hazards
    their agency) in the same query."""
    return (query.outerjoin(Enterprise, Hazard.enterprise_id == Enterprise.id)
            .options(contains_eager(Hazard.enterprise).options(joinedload(Enterprise.street, innerjoin=False),
                                                               joinedload(Enterprise.sector, innerjoin=False)),
                     joinedload(Hazard.agency)))


def board_query(actor, filters: HazardFilters, sort: str = "deadline", today: date | None = None):
    """Every hazard of the board, in order, with what a row shows loaded."""
    today = today or local_today()
    return _with_enterprise(_matching(actor, filters, today)).order_by(*_ordering(sort, filters))


def list_hazards(actor, filters: HazardFilters, page: int = 1, per_page: int = 25, sort: str = "deadline",
                 today: date | None = None) -> Page:
    """One page of the board: two queries (count, then the page) whatever the page size or filters.

    The page is chosen by ids first (sorting narrow rows), then only those rows are joined to their
    enterprise, street and sector: sorting tens of thousands of fully joined rows is what costs."""
    today = today or local_today()
    total = db.session.scalar(_matching(actor, filters, today)
                              .with_only_columns(func.count(Hazard.id), maintain_column_froms=True))
    page = max(1, min(page, max(1, -(-total // per_page))))
    ordering = _ordering(sort, filters)
    chosen = (_matching(actor, filters, today, sort).with_only_columns(Hazard.id, maintain_column_froms=True)
              .order_by(*ordering).limit(per_page).offset((page - 1) * per_page).subquery())
    # Only the rows the scoped query chose; joined, not re-filtered, so the database starts from those ids.
    rows = _with_enterprise(select(Hazard).join(chosen, chosen.c.id == Hazard.id)).order_by(*ordering)
    return Page(items=list(db.session.scalars(rows)), total=total, page=page, per_page=per_page)


def iter_hazards(actor, filters: HazardFilters, sort: str = "deadline", batch: int = 1000,
                 today: date | None = None):
    """Every hazard of the board, for exports, fetched in batches."""
    yield from db.session.scalars(board_query(actor, filters, sort, today).execution_options(yield_per=batch))


def filters_by_place(actor) -> bool:
    """Street, community, sector, source and escalation filters are for those who look after many
    enterprises; an officer's board keeps to state, severity and overdue."""
    return actor.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR, roles.GRID_WORKER)


def filter_choices(actor) -> dict[str, list]:
    """What the filter form offers: the streets and communities in the actor's area, and the sectors."""
    if not filters_by_place(actor):
        return {"streets": [], "communities": [], "sectors": []}
    scope = Scope(actor)
    streets = db.session.scalars(scope.streets()).all()
    if scope.role == roles.GRID_WORKER:  # the communities their grids cover
        where = Community.id.in_(select(Enterprise.community_id).where(scope.enterprise_filter()))
    else:
        where = Community.street_id.in_([s.id for s in streets])
    return {"streets": streets,
            "communities": db.session.scalars(select(Community).where(where)
                                              .order_by(Community.street_id, Community.id)).all(),
            "sectors": db.session.scalars(select(Sector).order_by(Sector.position)).all()}


@dataclass
class StreetCount:
    street: Street
    active: int = 0  # still to be fixed
    overdue: int = 0
    major: int = 0  # major hazards still to be fixed
    escalated: int = 0  # escalated to the actor's board


def shows_street_counts(actor) -> bool:
    """Counts per street are for those who see the whole district."""
    return actor.role in (roles.DISTRICT_REGULATOR, roles.ADMIN)


def street_counts(actor, filters: HazardFilters, today: date | None = None) -> list[StreetCount]:
    """Per street in scope (all of them, zeros included): hazards still to be fixed, overdue, major and
    escalated, among those matching the filters other than place, status, overdue and escalation.
    One query."""
    today = today or local_today()
    active = Hazard.status.in_(ACTIVE_STATUSES)

    def tally(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    counted = (Scope(actor).hazards()
               .join(Enterprise, Hazard.enterprise_id == Enterprise.id)
               .where(active, *_conditions(actor, filters, today, with_state=False))
               .with_only_columns(Enterprise.street_id.label("street_id"), func.count(Hazard.id).label("active"),
                                  tally(Hazard.deadline < today).label("overdue"),
                                  tally(Hazard.severity == "major").label("major"),
                                  tally(escalated_condition(actor, today)).label("escalated"),
                                  maintain_column_froms=True)
               .group_by(Enterprise.street_id).subquery())
    rows = db.session.execute(
        Scope(actor).streets().outerjoin(counted, counted.c.street_id == Street.id)
        .add_columns(*(func.coalesce(counted.c[name], 0) for name in ("active", "overdue", "major", "escalated"))))
    return [StreetCount(street, int(a), int(o), int(m), int(e)) for street, a, o, m, e in rows]


# --- export --------------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (  # (Chinese header, English header)
    ("编号", "No."), ("企业名称", "Enterprise"), ("统一社会信用代码", "Unified social credit code"),
    ("街道", "Street"), ("社区", "Community"), ("行业", "Sector"), ("隐患描述", "Hazard"),
    ("等级", "Severity"), ("来源", "Source"), ("状态", "Status"), ("发现日期", "Found on"),
    ("整改期限", "Deadline"), ("逾期天数", "Days overdue"), ("挂牌督办", "Supervised by"),
    ("升级", "Escalated"),
)


def _words() -> dict[str, dict[str, str]]:
    """The labels in the user's language, looked up once per export rather than once per cell."""
    return {"severity": {k: str(v) for k, v in SEVERITY_LABELS.items()},
            "source": {k: str(v) for k, v in SOURCE_LABELS.items()},
            "status": {k: str(v) for k, v in STATUS_LABELS.items()},
            "supervision": {k: str(v) for k, v in SUPERVISION_LABELS.items()}}


def _row(hazard: Hazard, today: date, chinese: bool, words: dict) -> list:
    enterprise = hazard.enterprise
    party = enterprise or hazard.agency
    title = hazard.title if chinese or not hazard.title_en else hazard.title_en
    if hazard.description:
        title = f"{title}\n{hazard.description}"
    rules = escalation.escalations(hazard, today)
    return [
        hazard.id,
        party.name if party else None,
        party.credit_code if party else None,
        local_name(enterprise.street) if enterprise else None,
        enterprise.community.name_zh if enterprise and enterprise.community else None,
        local_name(enterprise.sector) if enterprise else None,
        title,
        words["severity"][hazard.severity],
        words["source"].get(hazard.source, hazard.source),
        words["status"][hazard.status],
        hazard.found_on,
        hazard.deadline,
        hazard.overdue_days(today),
        words["supervision"][hazard.supervision_level] if hazard.supervision_level else None,
        ("；" if chinese else "; ").join(rule.zh if chinese else rule.en for rule in rules) or None,
    ]


def export_hazards(actor, filters: HazardFilters, sort: str = "deadline", today: date | None = None) -> io.BytesIO:
    """A workbook of the board as filtered (every page), in the user's language; the export is audited."""
    today = today or local_today()
    chinese = is_chinese()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("隐患" if chinese else "Hazards")
    sheet.append([zh if chinese else en for zh, en in COLUMNS])
    count, words = 0, _words()
    for hazard in iter_hazards(actor, filters, sort, today=today):
        sheet.append(_row(hazard, today, chinese, words))
        count += 1
    record(actor, "hazards_exported", None, count=count, filters=filters.describe(), sort=sort)
    db.session.commit()
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream
