"""Due lists: which checklists apply to an enterprise, and next due dates by frequency."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safetylist.checklists.due import applies_to, next_due, period
from safetylist.checklists.format import ChecklistDefinition
from safetylist.checklists.library import load_library

T = {"zh": "中", "en": "en"}


def with_rule(**applies):
    return ChecklistDefinition.model_validate({
        "id": "t", "version": 1, "title": T, "kind": "self_check", "audience": "enterprise",
        "frequency": "daily", "scoring": {"method": "percent", "pass_mark": 80}, "applies_to": applies,
        "sections": [{"id": "s", "title": T, "items": [{"id": "a", "ask": T, "answer": "pass_fail_na"}]}]})


def enterprise(sector="catering", flags=(), risk="blue"):
    return {"sector": sector, "flags": list(flags), "risk_level": risk}


def test_empty_rule_applies_to_everyone():
    assert applies_to(with_rule(), enterprise("manufacturing"))
    assert applies_to(with_rule(), {})


def test_each_listed_dimension_must_match_and_any_value_in_a_list_does():
    rule = with_rule(sectors=["catering", "retail_markets"], flags=["gas_user", "hazardous_chemicals"],
                     risk_levels=["red", "orange"])
    assert applies_to(rule, enterprise("retail_markets", ["gas_user"], "orange"))
    assert not applies_to(rule, enterprise("education", ["gas_user"], "orange"))
    assert not applies_to(rule, enterprise("catering", ["key_enterprise"], "orange"))
    assert not applies_to(rule, enterprise("catering", ["gas_user"], "blue"))
    assert not applies_to(rule, {"sector": "catering"})  # unknown flags and risk do not match


def test_gas_catering_applies_to_catering_gas_users_only():
    gas = load_library().definitions["gas-catering"]
    assert applies_to(gas, enterprise("catering", ["gas_user"]))
    assert not applies_to(gas, enterprise("catering", []))
    assert not applies_to(gas, enterprise("manufacturing", ["gas_user"]))


@pytest.mark.parametrize("frequency, day, expected", [
    ("daily", date(2024, 3, 5), (date(2024, 3, 5), date(2024, 3, 5))),
    ("weekly", date(2024, 3, 6), (date(2024, 3, 4), date(2024, 3, 10))),  # Monday–Sunday
    ("weekly", date(2025, 1, 1), (date(2024, 12, 30), date(2025, 1, 5))),  # ISO week across the year
    ("monthly", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
    ("quarterly", date(2024, 5, 31), (date(2024, 4, 1), date(2024, 6, 30))),
    ("quarterly", date(2024, 12, 1), (date(2024, 10, 1), date(2024, 12, 31))),
    ("yearly", date(2024, 7, 1), (date(2024, 1, 1), date(2024, 12, 31))),
    ("on_demand", date(2024, 7, 1), None),
])
def test_period(frequency, day, expected):
    assert period(frequency, day) == expected


@pytest.mark.parametrize("frequency, last, today, expected", [
    ("daily", None, date(2024, 3, 5), date(2024, 3, 5)),  # never done: due today
    ("daily", date(2024, 3, 5), date(2024, 3, 5), date(2024, 3, 6)),  # done today: due tomorrow
    ("daily", date(2024, 3, 1), date(2024, 3, 5), date(2024, 3, 2)),  # overdue since the 2nd
    ("weekly", None, date(2024, 3, 6), date(2024, 3, 10)),
    ("weekly", date(2024, 3, 10), date(2024, 3, 11), date(2024, 3, 17)),  # Sunday's run covers last week
    ("weekly", date(2024, 12, 31), date(2025, 1, 2), date(2025, 1, 12)),
    ("monthly", date(2024, 1, 31), date(2024, 2, 2), date(2024, 2, 29)),
    ("monthly", date(2024, 12, 15), date(2024, 12, 20), date(2025, 1, 31)),
    ("quarterly", date(2024, 11, 2), date(2024, 11, 3), date(2025, 3, 31)),
    ("yearly", date(2023, 6, 1), date(2024, 2, 1), date(2024, 12, 31)),
    ("yearly", None, date(2024, 2, 1), date(2024, 12, 31)),
    ("on_demand", date(2024, 2, 1), date(2024, 2, 1), None),
    ("on_demand", None, date(2024, 2, 1), None),
])
def test_next_due(frequency, last, today, expected):
    assert next_due(frequency, last, today) == expected


def test_unknown_frequency_is_an_error():
    with pytest.raises(ValueError):
        next_due("fortnightly", None, date(2024, 1, 1))


@given(st.sampled_from(["daily", "weekly", "monthly", "quarterly", "yearly"]),
       st.dates(date(2000, 1, 1), date(2100, 1, 1)))
def test_next_due_is_the_end_of_the_following_period(frequency, last):
    due = next_due(frequency, last, today=last)
    start, end = period(frequency, last)
    assert due > end and period(frequency, due) == (end + timedelta(days=1), due)
