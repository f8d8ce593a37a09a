"""Accident statistics (事故统计): totals by year, month, street, sector and category, with fire
counted as its own scope, and year-on-year changes as the bureau reports them ("1,581 accidents
and 66 deaths, +197.18 % and −19.51 % against 2019").

Periods are local (Asia/Shanghai) calendar days: a whole year, or the year to a chosen day,
compared with the same days of earlier years. Everything is counted in the actor's scope.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_date, gettext as _
from sqlalchemy import case, func, select, true

from safetylist.auth.scope import Scope
from safetylist.extensions import db
from safetylist.i18n import local_name
from safetylist.interviews.accidents import accident_years, category_name
from safetylist.interviews.models import ACCIDENT_CATEGORIES, Accident
from safetylist.registry.models import Sector, Street
from safetylist.timeutil import utc_start_of

FIRE = "fire"
# Statistical scopes (统计口径): production-safety accidents without fire, fire alone, and both.
LINES = ("production", "fire", "all")
MEASURES = ("accidents", "deaths", "injuries", "direct_loss")
BREAKDOWNS = ("month", "street", "sector", "category")
CENT = Decimal("0.01")


def pct_change(current, earlier) -> Decimal | None:
    """(current − earlier) / earlier × 100, rounded half up to two decimals; None when earlier is 0."""
    if not earlier:
        return None
    change = (Decimal(current) - Decimal(earlier)) / Decimal(earlier) * 100
    return change.quantize(CENT, rounding=ROUND_HALF_UP)


def format_pct(value: Decimal | None) -> str:
    """+197.18 %, −19.51 % (a real minus sign), 0.00 %; an em dash when there is nothing to compare."""
    if value is None:
        return "—"
    if value > 0:
        return f"+{value} %"
    if value < 0:
        return f"−{-value} %"
    return f"{value.copy_abs()} %"


def format_yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


@dataclass(frozen=True)
class Totals:
    accidents: int = 0
    deaths: int = 0
    injuries: int = 0
    direct_loss: Decimal = Decimal("0.00")

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, m) + getattr(other, m) for m in MEASURES))

    def changes(self, earlier: Totals) -> dict[str, Decimal | None]:
        """The change of every measure against an earlier period, in percent."""
        return {m: pct_change(getattr(self, m), getattr(earlier, m)) for m in MEASURES}


@dataclass(frozen=True)
class Period:
    """Local calendar days from `start` to `end`, both included; never longer than a year."""
    start: date
    end: date

    @classmethod
    def full_year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def year_to(cls, year: int, month: int, day: int) -> Period:
        """1 January to month/day of `year` (29 February becomes the 28th in other years)."""
        return cls(date(year, 1, 1), _same_day(year, month, day))

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def whole_year(self) -> bool:
        return (self.end.month, self.end.day) == (12, 31)

    def years_earlier(self, years: int) -> Period:
        return Period(self.start.replace(year=self.year - years),
                      _same_day(self.year - years, self.end.month, self.end.day))

    def condition(self):
        return (Accident.occurred_at >= utc_start_of(self.start)) & \
            (Accident.occurred_at < utc_start_of(self.end + timedelta(days=1)))


def _same_day(year: int, month: int, day: int) -> date:
    if (month, day) == (2, 29) and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return date(year, 2, 28)
    return date(year, month, day)


def _line_condition(line: str):
    if line == "production":
        return Accident.category != FIRE
    if line == "fire":
        return Accident.category == FIRE
    return true()


def _totals_by(actor, condition, key) -> dict:
    """Totals of the accidents in scope matching `condition`, grouped by the SQL expression `key`.
    The key is computed in a subquery, so PostgreSQL groups by it whatever bound values it holds."""
    rows = Scope(actor).accidents().with_only_columns(
        key.label("key"), Accident.id, Accident.deaths, Accident.injuries, Accident.direct_loss,
    ).where(condition).subquery()
    query = select(rows.c.key, func.count(rows.c.id), func.coalesce(func.sum(rows.c.deaths), 0),
                   func.coalesce(func.sum(rows.c.injuries), 0), func.coalesce(func.sum(rows.c.direct_loss), 0)
                   ).group_by(rows.c.key)
    return {key_value: Totals(int(count), int(deaths), int(injuries), Decimal(str(loss)).quantize(CENT))
            for key_value, count, deaths, injuries, loss in db.session.execute(query)}


# --- the headline: this period against the same period one and two years earlier -----------------------
@dataclass
class Line:
    key: str                      # production | fire | all
    totals: Totals
    earlier: list[Totals]         # one per earlier period, in the order of Comparison.earlier
    changes: list[dict[str, Decimal | None]]


@dataclass
class Comparison:
    period: Period
    earlier: list[Period]
    lines: dict[str, Line] = field(default_factory=dict)

    @property
    def all(self) -> Line:
        return self.lines["all"]


def compare(actor, period: Period, years_back: tuple[int, ...] = (1, 2)) -> Comparison:
    """Totals of each statistical scope for `period` and the same days `years_back` years earlier,
    with the change in percent: one query per period."""
    earlier = [period.years_earlier(n) for n in years_back]
    is_fire = case((Accident.category == FIRE, 1), else_=0)
    by_period = []
    for p in (period, *earlier):
        found = _totals_by(actor, p.condition(), is_fire)
        production, fire = found.get(0, Totals()), found.get(1, Totals())
        by_period.append({"production": production, "fire": fire, "all": production + fire})
    comparison = Comparison(period=period, earlier=earlier)
    for line in LINES:
        now = by_period[0][line]
        before = [totals[line] for totals in by_period[1:]]
        comparison.lines[line] = Line(line, now, before, [now.changes(b) for b in before])
    return comparison


# --- breakdowns ---------------------------------------------------------------------------------
@dataclass
class Row:
    key: object                   # month number, street id, sector id (None: not given) or category code
    label: str
    totals: Totals
    previous: Totals              # the same rows for the same days a year earlier

    @property
    def changes(self) -> dict[str, Decimal | None]:
        return self.totals.changes(self.previous)


def _month_key(year: int):
    starts = [utc_start_of(date(year, month, 1)) for month in range(2, 13)]
    return case(*[(Accident.occurred_at < start, month) for month, start in enumerate(starts, start=1)], else_=12)


def breakdown(actor, period: Period, by: str, line: str = "all") -> list[Row]:
    """Totals of `period` per month, street, sector or category, next to the same days a year earlier.
    Every month of the period and every street in scope are listed, even at zero; sectors and
    categories when either period has an accident in them."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}")
    previous_period = period.years_earlier(1)
    if by == "month":
        current = _totals_by(actor, period.condition() & _line_condition(line), _month_key(period.year))
        previous = _totals_by(actor, previous_period.condition() & _line_condition(line),
                              _month_key(previous_period.year))
    else:
        key = {"street": Accident.street_id, "sector": Accident.sector_id, "category": Accident.category}[by]
        current = _totals_by(actor, period.condition() & _line_condition(line), key)
        previous = _totals_by(actor, previous_period.condition() & _line_condition(line), key)
    return [Row(key, label, current.get(key, Totals()), previous.get(key, Totals()))
            for key, label in _row_labels(actor, by, period, set(current) | set(previous))]


def _row_labels(actor, by: str, period: Period, found: set) -> list[tuple[object, str]]:
    if by == "month":
        return [(month, format_date(date(period.year, month, 1), "MMM"))
                for month in range(period.start.month, period.end.month + 1)]
    if by == "street":  # every street in scope, even without accidents
        streets = list(db.session.scalars(Scope(actor).streets()))
        missing = found - {s.id for s in streets}
        if missing:  # recorded in a street before its enterprise moved out of the user's area
            streets += db.session.scalars(select(Street).where(Street.id.in_(missing)).order_by(Street.id))
        return [(s.id, local_name(s)) for s in streets]
    if by == "sector":
        sectors = db.session.scalars(select(Sector).where(Sector.id.in_(found - {None}))
                                     .order_by(Sector.position, Sector.id)).all()
        rows = [(s.id, local_name(s)) for s in sectors]
        return rows + ([(None, _("Sector not given"))] if None in found else [])
    return [(code, category_name(code)) for code in ACCIDENT_CATEGORIES if code in found]


def by_year(actor, line: str = "all") -> list[tuple[int, Totals]]:
    """Whole-year totals for every year from the latest in scope back to the first."""
    years = accident_years(actor)
    key = case(*[(Accident.occurred_at < utc_start_of(date(year + 1, 1, 1)), year) for year in sorted(years)],
               else_=None)
    found = _totals_by(actor, _line_condition(line), key)
    return [(year, found.get(year, Totals())) for year in years]
