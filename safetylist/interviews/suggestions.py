"""Who should be interviewed (约谈建议): the rules of data/suggestions.yaml applied to the
enterprises an actor sees, with the accidents and hazards behind each reason; and the number of
interviews per street and month (约谈统计)."""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, case, func, literal, or_
from sqlalchemy.orm import aliased

from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.checklists.library import ChecklistError, app_document, load_path
from safetylist.errors import PermissionDenied
from safetylist.extensions import db
from safetylist.grid.inspections import add_months
from safetylist.interviews.models import Accident, Interview
from safetylist.registry.models import Enterprise, Street
from safetylist.remediation import escalation
from safetylist.remediation.models import Hazard, HazardEvent
from safetylist.timeutil import local_today, utc_start_of

SUGGESTIONS_FILE = Path(__file__).parent / "data" / "suggestions.yaml"

KINDS = ("accidents", "deaths", "escalated_hazards", "rejected_rectifications")
PERIODIC = ("accidents", "deaths", "rejected_rectifications")  # counted over the last `months`
PLACEHOLDERS = frozenset({"count", "months"})
HELD = ("held", "follow_up", "closed")         # interviews that took place
PLANNED = ("planned", "notice_issued")         # interviews still ahead


# --- the rules file ------------------------------------------------------------------------
class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, pattern=r"^[a-z0-9-]+$")
    kind: Literal["accidents", "deaths", "escalated_hazards", "rejected_rectifications"]
    at_least: int = Field(ge=1)
    months: Optional[int] = Field(default=None, ge=1, le=120)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def reason(self, count: int, chinese: bool) -> str:
        return (self.zh if chinese else self.en).format(count=count, months=self.months or "")


class SuggestionFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    recent_interview_days: int = Field(default=90, ge=0)
    rules: list[Rule] = Field(min_length=1)


def check_rules(document: SuggestionFile, line_of) -> list[tuple[tuple, str]]:
    """Problems the schema cannot see: duplicate ids, a period where one is needed (or not), and
    placeholders the reasons cannot fill."""
    problems: list[tuple[tuple, str]] = []
    seen: dict[str, int] = {}
    for r, rule in enumerate(document.rules):
        at = ("rules", r)
        if rule.id in seen:
            problems.append((at + ("id",), f"duplicate rule id {rule.id!r} (first on line {seen[rule.id]})"))
        seen.setdefault(rule.id, line_of(at + ("id",)))
        if rule.kind in PERIODIC and rule.months is None:
            problems.append((at + ("kind",), f"{rule.kind} are counted over a period: give months"))
        if rule.kind not in PERIODIC and rule.months is not None:
            problems.append((at + ("months",), f"{rule.kind} are counted as they are now: remove months"))
        for lang in ("zh", "en"):
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(getattr(rule, lang)) if name}
            except ValueError as exc:
                problems.append((at + (lang,), f"bad placeholder: {exc}"))
                continue
            if names - PLACEHOLDERS:
                problems.append((at + (lang,), f"unknown placeholder(s) {', '.join(sorted(names - PLACEHOLDERS))}; "
                                               f"known: {', '.join(sorted(PLACEHOLDERS))}"))
            elif "months" in names and rule.kind not in PERIODIC:
                problems.append((at + (lang,), f"{rule.kind} have no period: {{months}} stays empty"))
    return problems


def load_rules(path: Path) -> tuple[SuggestionFile | None, list[ChecklistError]]:
    return load_path(path, SuggestionFile, check_rules,
                     "a suggestions file is a mapping with recent_interview_days and rules")


def rules() -> SuggestionFile:
    """The app's suggestion rules (INTERVIEW_SUGGESTIONS_FILE or the bundled file); a broken file fails loudly."""
    return app_document("INTERVIEW_SUGGESTIONS_FILE", SUGGESTIONS_FILE, load_rules)


# --- suggestions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AccidentRef:
    id: int
    occurred_at: datetime  # naive UTC
    deaths: int
    injuries: int


@dataclass(frozen=True)
class HazardRef:
    id: int
    title: str
    title_en: str | None
    deadline: date


@dataclass(frozen=True)
class Reason:
    rule: Rule
    count: int
    accidents: tuple[AccidentRef, ...] = ()
    hazards: tuple[HazardRef, ...] = ()

    def text(self, chinese: bool) -> str:
        return self.rule.reason(self.count, chinese)

    @property
    def accident_ids(self) -> list[int]:
        return [a.id for a in self.accidents]

    @property
    def hazard_ids(self) -> list[int]:
        return [h.id for h in self.hazards]


@dataclass(frozen=True)
class Suggestion:
    enterprise: Enterprise
    reasons: tuple[Reason, ...]
    recent_interview: Interview | None  # planned or held within recent_interview_days: shown, marked

    @property
    def interviewed(self) -> bool:
        return self.recent_interview is not None


def may_see_suggestions(actor) -> bool:
    """Street and district regulators decide whom to summon (and follow the counts)."""
    from safetylist.auth.scope import Scope
    return Scope(actor).can_see_interview_suggestions()


def since(today: date, months: int) -> datetime:
    """Stored (naive UTC) start of a period of `months` ending today: the same calendar day
    `months` months back (the last day of a shorter month), from its local midnight."""
    return utc_start_of(add_months(today, -months))


def suggest(actor, today: date | None = None, street_id: int | None = None,
            document: SuggestionFile | None = None) -> list[Suggestion]:
    """The enterprises in the actor's scope that meet a rule, those not interviewed recently first.

    One query per rule (the threshold applied in SQL, returning only the rows behind enterprises
    that meet it), then one for the enterprises and one for their recent interviews."""
    if not may_see_suggestions(actor):
        raise PermissionDenied()
    scope = Scope(actor)
    document = document or rules()
    today = today or local_today()
    found: dict[int, list[Reason]] = {}
    for rule in document.rules:
        for enterprise_id, reason in _matches(scope, rule, today).items():
            found.setdefault(enterprise_id, []).append(reason)
    if not found:
        return []
    query = scope.enterprises().where(Enterprise.id.in_(list(found)))
    if street_id:
        query = query.where(Enterprise.street_id == street_id)
    enterprises = db.session.scalars(query).all()
    recent = _recent_interviews(scope, [e.id for e in enterprises],
                                utc_start_of(today - timedelta(days=document.recent_interview_days)))
    suggestions = [Suggestion(e, tuple(found[e.id]), recent.get(e.id)) for e in enterprises]
    suggestions.sort(key=lambda s: (s.interviewed, -len(s.reasons), -sum(r.count for r in s.reasons),
                                    s.enterprise.street_id, s.enterprise.name, s.enterprise.id))
    return suggestions


def _matches(scope: Scope, rule: Rule, today: date) -> dict[int, Reason]:
    if rule.kind in ("accidents", "deaths"):
        return _accident_matches(scope, rule, today)
    if rule.kind == "escalated_hazards":
        return _escalated_matches(scope, rule, today)
    return _rejection_matches(scope, rule, today)


def _accident_matches(scope: Scope, rule: Rule, today: date) -> dict[int, Reason]:
    base = scope.accidents().where(Accident.enterprise_id.is_not(None),
                                   Accident.occurred_at >= since(today, rule.months))
    measure = func.count(Accident.id) if rule.kind == "accidents" else func.sum(Accident.deaths)
    meeting = base.with_only_columns(Accident.enterprise_id).group_by(Accident.enterprise_id) \
        .having(measure >= rule.at_least)
    rows = base.with_only_columns(Accident.enterprise_id, Accident.id, Accident.occurred_at, Accident.deaths,
                                  Accident.injuries).where(Accident.enterprise_id.in_(meeting))
    if rule.kind == "deaths":
        rows = rows.where(Accident.deaths > 0)  # the accidents behind the deaths
    behind: dict[int, list[AccidentRef]] = {}
    for enterprise_id, *fields in db.session.execute(
            rows.order_by(Accident.enterprise_id, Accident.occurred_at.desc(), Accident.id)):
        behind.setdefault(enterprise_id, []).append(AccidentRef(*fields))
    return {enterprise_id: Reason(rule, len(refs) if rule.kind == "accidents" else sum(a.deaths for a in refs),
                                  accidents=tuple(refs))
            for enterprise_id, refs in behind.items()}


def _hazard_reasons(rule: Rule, rows) -> dict[int, Reason]:
    """Rows of (enterprise id, hazard id, title, title_en, deadline, how many times it counts)."""
    behind: dict[int, list[tuple[HazardRef, int]]] = {}
    for enterprise_id, hazard_id, title, title_en, deadline, times in rows:
        behind.setdefault(enterprise_id, []).append((HazardRef(hazard_id, title, title_en, deadline), times))
    return {enterprise_id: Reason(rule, sum(times for _, times in pairs), hazards=tuple(ref for ref, _ in pairs))
            for enterprise_id, pairs in behind.items()}


def _escalated_matches(scope: Scope, rule: Rule, today: date) -> dict[int, Reason]:
    conditions = [r.condition(today) for r in escalation.rules() if r.suggest_interview]
    if not conditions:
        return {}
    base = scope.hazards().where(Hazard.enterprise_id.is_not(None), or_(*conditions))
    meeting = base.with_only_columns(Hazard.enterprise_id).group_by(Hazard.enterprise_id) \
        .having(func.count(Hazard.id) >= rule.at_least)
    rows = db.session.execute(
        base.with_only_columns(Hazard.enterprise_id, Hazard.id, Hazard.title, Hazard.title_en, Hazard.deadline,
                               literal(1))  # each hazard counts once
        .where(Hazard.enterprise_id.in_(meeting)).order_by(Hazard.enterprise_id, Hazard.deadline, Hazard.id))
    return _hazard_reasons(rule, rows)


def _rejection_matches(scope: Scope, rule: Rule, today: date) -> dict[int, Reason]:
    base = scope.hazards().join(HazardEvent, HazardEvent.hazard_id == Hazard.id).where(
        Hazard.enterprise_id.is_not(None), HazardEvent.action == "rejected",
        HazardEvent.at >= since(today, rule.months))
    meeting = base.with_only_columns(Hazard.enterprise_id).group_by(Hazard.enterprise_id) \
        .having(func.count(HazardEvent.id) >= rule.at_least)
    rows = db.session.execute(
        base.with_only_columns(Hazard.enterprise_id, Hazard.id, Hazard.title, Hazard.title_en, Hazard.deadline,
                               func.count(HazardEvent.id))
        .where(Hazard.enterprise_id.in_(meeting))
        .group_by(Hazard.enterprise_id, Hazard.id, Hazard.title, Hazard.title_en, Hazard.deadline)
        .order_by(Hazard.enterprise_id, Hazard.id))
    return _hazard_reasons(rule, rows)


def _recent_interviews(scope: Scope, enterprise_ids: list[int], cutoff: datetime) -> dict[int, Interview]:
    """Per enterprise, its latest interview (not cancelled) planned or held since `cutoff`, or ahead."""
    if not enterprise_ids:
        return {}
    when = func.coalesce(Interview.held_at, Interview.planned_at)
    latest: dict[int, Interview] = {}
    for interview in db.session.scalars(scope.interviews().where(
            Interview.enterprise_id.in_(enterprise_ids), Interview.status != "cancelled",
            when >= cutoff).order_by(when.desc(), Interview.id.desc())):
        latest.setdefault(interview.enterprise_id, interview)
    return latest


# --- counts per street and month ------------------------------------------------------------
@dataclass(frozen=True)
class CountRow:
    street: Street | None      # None: district-wide interviews (a sector authority)
    held: tuple[int, ...]      # per month, January first
    planned: tuple[int, ...]   # still ahead (planned or notice issued), by planned month

    @property
    def held_total(self) -> int:
        return sum(self.held)

    @property
    def planned_total(self) -> int:
        return sum(self.planned)


@dataclass(frozen=True)
class Counts:
    year: int
    rows: tuple[CountRow, ...]

    @property
    def held(self) -> tuple[int, ...]:
        return tuple(sum(month) for month in zip(*(row.held for row in self.rows))) if self.rows else (0,) * 12

    @property
    def planned(self) -> tuple[int, ...]:
        return tuple(sum(month) for month in zip(*(row.planned for row in self.rows))) if self.rows else (0,) * 12

    @property
    def held_total(self) -> int:
        return sum(self.held)

    @property
    def planned_total(self) -> int:
        return sum(self.planned)


def interview_counts(actor, year: int) -> Counts:
    """Interviews held (by the day held) and still planned (by the day planned) in each local month
    of `year`, per street of the actor's area: one grouped query. An interview counts for its
    street, else for its enterprise's street; district-wide ones (no street) form their own row,
    shown to district regulators."""
    if not may_see_suggestions(actor):
        raise PermissionDenied()
    scope = Scope(actor)
    bounds = [utc_start_of(date(year, month, 1)) for month in range(1, 13)] + [utc_start_of(date(year + 1, 1, 1))]
    party = aliased(Enterprise)  # aliased: the scope's own subqueries on Enterprise stay uncorrelated
    street = func.coalesce(Interview.street_id, party.street_id)
    held_at = func.coalesce(Interview.held_at, Interview.planned_at)
    held = Interview.status.in_(HELD)
    planned = Interview.status.in_(PLANNED)
    columns = [func.sum(case((and_(held, held_at >= bounds[m], held_at < bounds[m + 1]), 1), else_=0))
               for m in range(12)]
    columns += [func.sum(case((and_(planned, Interview.planned_at >= bounds[m],
                                    Interview.planned_at < bounds[m + 1]), 1), else_=0)) for m in range(12)]
    query = (scope.interviews().outerjoin(party, party.id == Interview.enterprise_id)
             .with_only_columns(street, *columns, maintain_column_froms=True)
             .where(or_(and_(held, held_at >= bounds[0], held_at < bounds[12]),
                        and_(planned, Interview.planned_at >= bounds[0], Interview.planned_at < bounds[12])))
             .group_by(street))
    found = {row[0]: (tuple(int(v or 0) for v in row[1:13]), tuple(int(v or 0) for v in row[13:25]))
             for row in db.session.execute(query)}
    streets = db.session.scalars(scope.streets()).all()
    empty = ((0,) * 12, (0,) * 12)
    rows = [CountRow(s, *found.get(s.id, empty)) for s in streets]
    if scope.role == roles.DISTRICT_REGULATOR:
        rows.append(CountRow(None, *found.get(None, empty)))
    return Counts(year, tuple(rows))
