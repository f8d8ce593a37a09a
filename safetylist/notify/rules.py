"""The reminder rules (data/reminders.yaml): validated once, with errors naming file, line and
field, and the pure arithmetic of when each stage fires (Asia/Shanghai)."""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from safetylist.checklists.library import ChecklistError, app_document, load_path
from safetylist.timeutil import LOCAL_TZ

RULES_FILE = Path(__file__).parent / "data" / "reminders.yaml"

AUDIENCES = ("responsible_party", "enterprise_officers", "grid_workers", "street_regulators",
             "district_regulators", "agency_staff", "supervisor", "escalation_level", "self", "organizer",
             "reviewer")


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


def _clock(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a time of day as HH:MM, got {value!r}") from None


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, pattern=r"^[a-z0-9-]+$")
    days: Optional[int] = None
    hours: Optional[float] = None
    at: Optional[str] = None
    daily: bool = False
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("at")
    @classmethod
    def _valid_clock(cls, value):
        if value is not None:
            _clock(value)
        return value

    @model_validator(mode="after")
    def _one_offset(self):
        if (self.days is None) == (self.hours is None):
            raise ValueError("give exactly one of days (a date deadline) or hours (a deadline with a time)")
        if self.hours is not None and (self.at or self.daily):
            raise ValueError("at and daily go with days, not hours")
        return self


class Reminder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, pattern=r"^[a-z0-9-]+$")
    source: str
    to: list[str] = Field(min_length=1)
    match: dict[str, str] = Field(default_factory=dict)
    title: Text
    stages: list[Stage] = Field(min_length=1)


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    send_at: str = "08:30"
    catch_up_days: int = Field(default=2, ge=0)
    reminders: list[Reminder]

    @field_validator("send_at")
    @classmethod
    def _valid_clock(cls, value):
        _clock(value)
        return value

    def get(self, reminder_id: str) -> Reminder | None:
        return next((r for r in self.reminders if r.id == reminder_id), None)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_rules(rules: RuleFile, line_of) -> list[tuple[tuple, str]]:
    """Problems the schema cannot see: unknown sources, audiences, match keys and placeholders."""
    from safetylist.notify.sources import SOURCES
    problems: list[tuple[tuple, str]] = []
    seen: dict[str, int] = {}
    for r, reminder in enumerate(rules.reminders):
        at = ("reminders", r)
        if reminder.id in seen:
            problems.append((at + ("id",), f"duplicate reminder id {reminder.id!r} (first on line {seen[reminder.id]})"))
        seen.setdefault(reminder.id, line_of(at + ("id",)))
        source = SOURCES.get(reminder.source)
        if source is None:
            problems.append((at + ("source",), f"unknown source {reminder.source!r}; known: {', '.join(sorted(SOURCES))}"))
            continue
        for a, audience in enumerate(reminder.to):
            if audience not in AUDIENCES:
                problems.append((at + ("to", a), f"unknown recipient {audience!r}; known: {', '.join(AUDIENCES)}"))
        for key, value in reminder.match.items():
            allowed = source.match_keys.get(key)
            if allowed is None:
                problems.append((at + ("match", key), f"source {reminder.source} cannot match on {key!r}"))
            elif value not in allowed:
                problems.append((at + ("match", key), f"expected one of {', '.join(allowed)}, got {value!r}"))
        stage_ids: set[str] = set()
        for s, stage in enumerate(reminder.stages):
            if stage.id in stage_ids:
                problems.append((at + ("stages", s, "id"), f"duplicate stage id {stage.id!r}"))
            stage_ids.add(stage.id)
            if stage.hours is not None and not source.timed:
                problems.append((at + ("stages", s, "hours"), f"source {reminder.source} has date deadlines: use days"))
        texts = [(("title", "zh"), reminder.title.zh), (("title", "en"), reminder.title.en)]
        texts += [(("stages", s, lang), getattr(stage, lang)) for s, stage in enumerate(reminder.stages)
                  for lang in ("zh", "en")]
        for path, text in texts:
            try:
                unknown = _placeholders(text) - source.fields
            except ValueError as exc:
                problems.append((at + path, f"bad placeholder: {exc}"))
                continue
            if unknown:
                problems.append((at + path, f"unknown placeholder(s) {', '.join(sorted(unknown))}; "
                                            f"{reminder.source} gives {', '.join(sorted(source.fields))}"))
        times = sorted(_offset(stage) for stage in reminder.stages)
        if len(set(times)) != len(times):
            problems.append((at + ("stages",), "two stages fire at the same moment"))
        if any(stage.daily for stage in reminder.stages[:-1]) or \
                (reminder.stages[-1].daily and _offset(reminder.stages[-1]) != max(times)):
            problems.append((at + ("stages",), "only the last stage (the latest) may be daily"))
    return problems


def _offset(stage: Stage) -> float:
    """Order of stages relative to the deadline, in hours (days count from the day's start)."""
    if stage.hours is not None:
        return stage.hours
    clock = _clock(stage.at) if stage.at else time(0)
    return stage.days * 24 + clock.hour + clock.minute / 60


def load_rules(path: Path) -> tuple[RuleFile | None, list[ChecklistError]]:
    return load_path(path, RuleFile, check_rules,
                     "a reminders file is a mapping with send_at, catch_up_days and reminders")


def rules() -> RuleFile:
    """The app's reminder rules (NOTIFY_REMINDERS_FILE or the bundled file); a broken file fails loudly."""
    return app_document("NOTIFY_REMINDERS_FILE", RULES_FILE, load_rules)


# --- when stages fire --------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    """The stage of a reminder that is current at a moment, and the key part that names it."""
    stage: Stage
    key: str            # stage id, plus the day for a daily stage
    fired_at: datetime  # local time the stage (or this day's repeat) fired


def fire_time(stage: Stage, deadline: date | datetime, send_at: time) -> datetime:
    """Local (Asia/Shanghai, aware) moment a stage first fires for a deadline."""
    if stage.hours is not None:
        moment = deadline if isinstance(deadline, datetime) else datetime.combine(deadline, time(0))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)
        return moment + timedelta(hours=stage.hours)
    day = deadline.date() if isinstance(deadline, datetime) else deadline
    clock = _clock(stage.at) if stage.at else send_at
    return datetime.combine(day + timedelta(days=stage.days), clock, LOCAL_TZ)


def current_stage(reminder: Reminder, deadline: date | datetime, now: datetime, send_at: time,
                  catch_up_days: int) -> Due | None:
    """The latest stage fired by `now` (aware), or None: before the first stage, or when the
    latest one fired more than `catch_up_days` ago (a daily stage fires again each day)."""
    now = now.astimezone(LOCAL_TZ)
    fired = [(fire_time(stage, deadline, send_at), stage) for stage in reminder.stages]
    fired = [(moment, stage) for moment, stage in fired if moment <= now]
    if not fired:
        return None
    moment, stage = max(fired, key=lambda pair: pair[0])
    key = stage.id
    if stage.daily:
        days = (now - moment) // timedelta(days=1)
        moment = moment + timedelta(days=days)
        key = f"{stage.id}:{moment.date().isoformat()}"
    if now - moment > timedelta(days=catch_up_days):
        return None
    return Due(stage, key, moment)


def lookahead_days(reminder: Reminder) -> int:
    """How far ahead of a deadline the earliest stage fires, in whole days (for the query window)."""
    earliest = min(_offset(stage) for stage in reminder.stages)
    return max(0, -int(earliest // 24))


def lookback_days(reminder: Reminder, catch_up_days: int) -> int | None:
    """How long after a deadline a stage may still fire; None while a daily stage repeats."""
    if reminder.stages[-1].daily:
        return None
    latest = max(_offset(stage) for stage in reminder.stages)
    return int(latest // 24) + catch_up_days + 1


def send_at(rule_file: RuleFile) -> time:
    return _clock(rule_file.send_at)
