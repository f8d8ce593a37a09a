"""A notification's title and text in a reader's language, from the reminder's texts in
data/reminders.yaml and the values recorded with it."""
from __future__ import annotations

from dataclasses import dataclass

from safetylist.notify import rules as reminder_rules
from safetylist.notify.models import Notification


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str | None


class _Values(dict):
    """Values for str.format_map: per-language values resolved, unknown names left visible."""

    def __init__(self, params: dict, lang: str):
        super().__init__({key: (value.get(lang, "") if isinstance(value, dict) else value)
                          for key, value in params.items()})

    def __missing__(self, key):
        return "{" + key + "}"


def language(locale: str | None) -> str:
    return "en" if (locale or "zh_CN").startswith("en") else "zh"


def render(notification: Notification, locale: str | None) -> Message:
    lang = language(locale)
    values = _Values(notification.params or {}, lang)
    reminder = reminder_rules.rules().get(notification.reminder)
    stage_id = notification.stage.split(":", 1)[0]
    stage = next((s for s in reminder.stages if s.id == stage_id), None) if reminder else None
    if reminder is None or stage is None:  # the rule was since removed from the file: say what we can
        return Message(f"{notification.reminder} ({notification.stage})", "", notification.link)
    return Message(getattr(reminder.title, lang).format_map(values), getattr(stage, lang).format_map(values),
                   notification.link)
