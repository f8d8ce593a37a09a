"""Which checklists apply to an enterprise, and when each is next due (pure date arithmetic).

A checklist of frequency f is due once per period (day, ISO week Monday–Sunday, calendar
month, quarter or year). `next_due` gives the deadline of the next run: the last day of the
period after the one of the last submission; a date before today means overdue.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Mapping, Optional

from safetylist.checklists.format import ChecklistDefinition


def applies_to(definition: ChecklistDefinition, enterprise: Mapping[str, object]) -> bool:
    """Whether the checklist applies to an enterprise given as
    {"sector": code, "flags": [flag, …], "risk_level": colour}.

    Each non-empty list of `applies_to` must match (sectors: the enterprise's sector is listed;
    flags: the enterprise has at least one listed flag; risk_levels: its level is listed).
    """
    rule = definition.applies_to
    if rule.sectors and enterprise.get("sector") not in rule.sectors:
        return False
    if rule.flags and not set(enterprise.get("flags") or ()) & set(rule.flags):
        return False
    if rule.risk_levels and enterprise.get("risk_level") not in rule.risk_levels:
        return False
    return True


def period(frequency: str, day: date) -> Optional[tuple[date, date]]:
    """(first day, last day) of the period of `frequency` containing `day`; None for on_demand."""
    if frequency == "daily":
        return day, day
    if frequency == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if frequency == "monthly":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if frequency == "quarterly":
        first_month = 3 * ((day.month - 1) // 3) + 1
        last_month = first_month + 2
        return (date(day.year, first_month, 1),
                date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]))
    if frequency == "yearly":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if frequency == "on_demand":
        return None
    raise ValueError(f"unknown frequency {frequency!r}")


def next_due(frequency: str, last_submitted_on: Optional[date], today: date) -> Optional[date]:
    """Deadline of the next run: never submitted → end of today's period; else the end of the
    period following the last submission's (in the past when overdue). on_demand → None."""
    if period(frequency, today) is None:
        return None
    if last_submitted_on is None:
        return period(frequency, today)[1]
    _, end = period(frequency, last_submitted_on)
    return period(frequency, end + timedelta(days=1))[1]
