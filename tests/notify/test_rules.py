"""The reminders file: validation that names file, line and field, and when stages fire."""
from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from safetylist.notify.rules import RULES_FILE, current_stage, load_rules, lookahead_days, lookback_days
from safetylist.timeutil import LOCAL_TZ

SEND_AT = time(8, 30)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def bundled():
    rules, errors = load_rules(RULES_FILE)
    assert errors == []
    return rules


def test_the_bundled_file_is_valid_and_defines_every_reminder_the_issue_asks_for():
    rules = bundled()
    assert {r.source for r in rules.reminders} == {"hazard_deadline", "hazard_escalation", "inspection_digest",
                                                   "checklist_due", "certificate_expiry", "qualification_expiry",
                                                   "interview", "certificate_flagged", "standardization_review",
                                                   "standardization_decision", "agency_self_check_due"}
    assert [(s.id, s.days, s.hours) for s in rules.get("interview").stages] == [
        ("before-3d", -3, None), ("before-1d", -1, None), ("before-2h", None, -2)]
    assert rules.get("interview").to == ["enterprise_officers", "organizer"]
    deadline = rules.get("hazard-deadline")
    assert [(s.id, s.days, s.daily) for s in deadline.stages] == [
        ("before-3d", -3, False), ("before-1d", -1, False), ("due-today", 0, False), ("overdue", 1, True)]
    assert [s.days for s in rules.get("certificate-expiry").stages] == [-90, -30]
    assert [s.days for s in rules.get("qualification-expiry").stages] == [-90, -30]
    assert rules.get("standardization-review").to == ["reviewer"]
    assert [s.days for s in rules.get("certificate-flagged").stages] == [0, 7]


def test_each_hazard_stage_fires_at_half_past_eight_shanghai_time_and_overdue_repeats_daily():
    reminder = bundled().get("hazard-deadline")
    deadline = date(2026, 12, 10)

    def key(moment):
        due = current_stage(reminder, deadline, at(moment), SEND_AT, 2)
        return due.key if due else None

    assert key("2026-12-07 08:29") is None
    assert key("2026-12-07 08:30") == "before-3d"
    assert key("2026-12-09 08:29") == "before-3d"
    assert key("2026-12-09 08:30") == "before-1d"
    assert key("2026-12-10 08:30") == "due-today"
    assert key("2026-12-11 08:29") == "due-today"
    assert key("2026-12-11 08:30") == "overdue:2026-12-11"
    assert key("2026-12-12 08:00") == "overdue:2026-12-11"
    assert key("2026-12-12 08:30") == "overdue:2026-12-12"
    assert key("2027-03-01 09:00") == "overdue:2027-03-01"
    # The same instant given in UTC: 00:30 UTC is 08:30 in Shanghai.
    from datetime import timezone
    utc = datetime(2026, 12, 9, 0, 30, tzinfo=timezone.utc)
    assert current_stage(reminder, deadline, utc, SEND_AT, 2).key == "before-1d"


def test_stale_stages_are_not_sent_after_the_catch_up_period():
    reminder = bundled().get("certificate-expiry")
    expires = date(2027, 6, 30)
    assert current_stage(reminder, expires, at("2027-04-01 08:30"), SEND_AT, 2).key == "before-90d"
    assert current_stage(reminder, expires, at("2027-04-03 08:30"), SEND_AT, 2).key == "before-90d"
    assert current_stage(reminder, expires, at("2027-04-03 08:31"), SEND_AT, 2) is None  # two days late: stale
    assert current_stage(reminder, expires, at("2027-05-31 08:30"), SEND_AT, 2).key == "before-30d"
    assert current_stage(reminder, expires, at("2027-07-15 08:30"), SEND_AT, 2) is None


def test_hour_offsets_count_from_a_deadline_with_a_time(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(HOURLY, encoding="utf-8")
    from safetylist.notify import sources
    sources.SOURCES["timed_test"] = sources.Source("thing", frozenset({"party"}), lambda window: [], timed=True)
    try:
        rules, errors = load_rules(path)
    finally:
        del sources.SOURCES["timed_test"]
    assert errors == []
    reminder = rules.reminders[0]
    meeting = at("2026-12-10 14:30")
    keys = {moment: (current_stage(reminder, meeting, at(moment), SEND_AT, 2) or None)
            for moment in ("2026-12-07 08:29", "2026-12-07 08:30", "2026-12-09 08:30", "2026-12-10 12:29",
                           "2026-12-10 12:30")}
    assert [due.key if due else None for due in keys.values()] == [
        None, "before-3d", "before-1d", "before-1d", "before-2h"]
    assert lookahead_days(reminder) == 3 and lookback_days(reminder, 2) == 2


HOURLY = """
reminders:
  - id: meeting
    source: timed_test
    to: [self]
    title: {zh: "约谈", en: "Interview"}
    stages:
      - {id: before-3d, days: -3, zh: "{party}", en: "{party}"}
      - {id: before-1d, days: -1, zh: "{party}", en: "{party}"}
      - {id: before-2h, hours: -2, zh: "{party}", en: "{party}"}
"""


@pytest.mark.parametrize("change, line, field, message", [
    (("source: hazard_deadline", "source: hazards"), 5, "reminders[0].source", "unknown source 'hazards'"),
    (("to: [responsible_party]", "to: [boss]"), 6, "reminders[0].to[0]", "unknown recipient 'boss'"),
    (("en: \"Deadline: {title}\"", "en: \"Deadline: {titel}\""), 7, "reminders[0].title.en",
     "unknown placeholder(s) titel"),
    (("days: -1\n", "days: -1\n        hours: 3\n"), 11, "reminders[0].stages[1]", "give exactly one of days"),
    (("at: \"07:00\"", "at: \"7 o'clock\""), 13, "reminders[0].stages[1].at", "expected a time of day as HH:MM"),
    (("        en: \"tomorrow\"\n", ""), 11, "reminders[0].stages[1].en", "missing English text"),
    (("match: {severity: major}", "match: {severity: huge}"), 8, "reminders[0].match.severity",
     "expected one of general, major"),
    (("daily: true", "daily: false"), 0, "", ""),  # valid variant: no errors
    (("{id: before-3d, days: -3,", "{id: before-3d, days: -1, at: \"07:00\","), 9, "reminders[0].stages",
     "two stages fire at the same moment"),
])
def test_a_broken_file_names_the_line_the_field_and_why(tmp_path: Path, change, line, field, message):
    path = tmp_path / "reminders.yaml"
    path.write_text(VALID.replace(*change), encoding="utf-8")
    rules, errors = load_rules(path)
    if not message:
        assert errors == [] and rules is not None
        return
    assert rules is None
    assert [(e.line, e.field) for e in errors] == [(line, field)], errors
    assert message in errors[0].message
    assert str(errors[0]).endswith(f"reminders.yaml:{line}: {field}: {errors[0].message}")


VALID = """send_at: "08:30"
catch_up_days: 2
reminders:
  - id: hazard
    source: hazard_deadline
    to: [responsible_party]
    title: {zh: "期限：{title}", en: "Deadline: {title}"}
    match: {severity: major}
    stages:
      - {id: before-3d, days: -3, zh: "三天", en: "three days"}
      - id: before-1d
        days: -1
        at: "07:00"
        zh: "明天"
        en: "tomorrow"
      - {id: overdue, days: 1, daily: true, zh: "逾期{days_overdue}天", en: "{days_overdue} days overdue"}
"""
