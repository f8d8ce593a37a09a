"""Veto conditions (否决项) read from the records: the rules of data/grading.yaml applied to the
accidents and hazards of enterprises, in two queries for any number of enterprises."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from safetylist.extensions import db
from safetylist.grid.inspections import add_months
from safetylist.interviews.models import Accident
from safetylist.remediation.models import ACTIVE_STATUSES, Hazard
from safetylist.standardization.grading import GradingFile, VetoRule
from safetylist.timeutil import utc_start_of


@dataclass(frozen=True)
class VetoFinding:
    """A veto condition met, with the records behind it ("accident:12", "hazard:34") and when each
    happened (an accident's time, a hazard's recording; stored UTC)."""
    rule_id: str
    reason_zh: str
    reason_en: str
    events: tuple[str, ...]
    times: tuple[datetime, ...]

    def events_since(self, moment: datetime) -> list[str]:
        return [key for key, at in zip(self.events, self.times) if at >= moment]

    def as_json(self) -> dict:
        return {"rule": self.rule_id, "reason_zh": self.reason_zh, "reason_en": self.reason_en,
                "events": list(self.events)}


@dataclass(frozen=True)
class _AccidentRow:
    id: int
    enterprise_id: int
    occurred_at: datetime
    deaths: int
    injuries: int
    direct_loss: float


def window_start(rule: VetoRule, until: date) -> datetime:
    """The stored (UTC) moment a rule's period begins: `months` before the local day `until`."""
    return utc_start_of(add_months(until, -(rule.months or 0)))


def findings(rules: GradingFile, enterprise_ids, until: date) -> dict[int, list[VetoFinding]]:
    """Veto findings per enterprise. Accident rules look at the `months` before the local day `until`
    (an application's submission, or today) and every accident since; hazard rules at the hazards
    still to be fixed now."""
    ids = sorted(set(enterprise_ids))
    result: dict[int, list[VetoFinding]] = {i: [] for i in ids}
    if not ids or not rules.vetoes:
        return result
    accident_rules = [r for r in rules.vetoes if r.kind in ("accidents", "accident_totals")]
    accidents: dict[int, list[_AccidentRow]] = defaultdict(list)
    if accident_rules:
        earliest = min(window_start(r, until) for r in accident_rules)
        query = select(Accident.id, Accident.enterprise_id, Accident.occurred_at, Accident.deaths,
                       Accident.injuries, Accident.direct_loss).where(
            Accident.enterprise_id.in_(ids), Accident.occurred_at >= earliest)
        for row in db.session.execute(query.order_by(Accident.occurred_at, Accident.id)):
            accidents[row.enterprise_id].append(_AccidentRow(row.id, row.enterprise_id, row.occurred_at,
                                                             row.deaths, row.injuries, float(row.direct_loss)))
    hazards: dict[int, list[tuple[int, str, datetime]]] = defaultdict(list)
    hazard_rules = [r for r in rules.vetoes if r.kind == "open_hazards"]
    if hazard_rules:
        for hazard_id, enterprise_id, severity, created_at in db.session.execute(
                select(Hazard.id, Hazard.enterprise_id, Hazard.severity, Hazard.created_at).where(
                    Hazard.enterprise_id.in_(ids), Hazard.status.in_(ACTIVE_STATUSES),
                    Hazard.severity.in_({r.severity for r in hazard_rules})).order_by(Hazard.id)):
            hazards[enterprise_id].append((hazard_id, severity, created_at))
    for enterprise_id in ids:
        for rule in rules.vetoes:
            events = _events(rule, accidents[enterprise_id], hazards[enterprise_id], until)
            if events:
                result[enterprise_id].append(VetoFinding(
                    rule.id, rule.reason(len(events), True), rule.reason(len(events), False),
                    tuple(key for key, _ in events), tuple(at for _, at in events)))
    return result


def _events(rule: VetoRule, accidents: list[_AccidentRow], hazards: list[tuple[int, str, datetime]],
            until: date) -> list[tuple[str, datetime]]:
    if rule.kind == "open_hazards":
        return [(f"hazard:{hazard_id}", at) for hazard_id, severity, at in hazards if severity == rule.severity]
    start = window_start(rule, until)
    recent = [a for a in accidents if a.occurred_at >= start]
    if rule.kind == "accidents":
        return [(f"accident:{a.id}", a.occurred_at) for a in recent if a.deaths >= rule.deaths_at_least]
    injuries = sum(a.injuries for a in recent)
    losses = sum(a.direct_loss for a in recent)
    met = (rule.injuries_at_least is not None and injuries >= rule.injuries_at_least) or \
        (rule.direct_loss_at_least is not None and losses >= rule.direct_loss_at_least)
    return [(f"accident:{a.id}", a.occurred_at) for a in recent] if met else []
