"""Escalation rules (data in data/escalation.yaml): which overdue hazards go up to whose board."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, false, or_

from safetylist.remediation.models import ACTIVE_STATUSES, Hazard

RULES_FILE = Path(__file__).parent / "data" / "escalation.yaml"


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    severity: Literal["general", "major"]
    overdue_days: int = Field(ge=0)
    escalate_to: Literal["street", "district"]
    suggest_interview: bool = False
    zh: str
    en: str

    def matches(self, hazard: Hazard, today: date) -> bool:
        return hazard.severity == self.severity and hazard.overdue_days(today) > self.overdue_days

    def condition(self, today: date) -> ColumnElement[bool]:
        """The same test in SQL, for boards and counts."""
        return and_(Hazard.severity == self.severity, Hazard.status.in_(ACTIVE_STATUSES),
                    Hazard.deadline < today - timedelta(days=self.overdue_days))


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule]


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    """The rules, validated once (a broken file fails loudly at first use and in the tests)."""
    with RULES_FILE.open(encoding="utf-8") as handle:
        return tuple(RuleFile.model_validate(yaml.safe_load(handle)).rules)


def escalations(hazard: Hazard, today: date) -> list[Rule]:
    return [rule for rule in rules() if rule.matches(hazard, today)]


def escalated(today: date, to: str | None = None) -> ColumnElement[bool]:
    """SQL: hazards escalated (to a level, or to any)."""
    chosen = [rule.condition(today) for rule in rules() if to is None or rule.escalate_to == to]
    return or_(*chosen) if chosen else false()


def suggests_interview(hazard: Hazard, today: date) -> bool:
    return any(rule.suggest_interview for rule in escalations(hazard, today))
