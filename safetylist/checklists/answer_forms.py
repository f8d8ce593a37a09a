"""Reading a checklist's answers from a submitted HTML form or a JSON body.

Form fields are named `a:<item>` (answer; repeated for multiple choice), `n:<item>` (note on a
failed item) and `e:<item>` (stored photo references). JSON bodies carry the same three maps.
"""
from __future__ import annotations

from safetylist.checklists.format import ChecklistDefinition


def _number(text: str):
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return text  # left as text: the service names the item and says a number is expected
    return int(value) if value.is_integer() else value


def from_form(checklist: ChecklistDefinition, form) -> tuple[dict, dict, dict]:
    answers, notes, evidence = {}, {}, {}
    for _, item in checklist.all_items():
        key = item.id
        if item.answer == "multi_choice":
            if f"a:{key}" in form or f"a:{key}:present" in form:
                answers[key] = form.getlist(f"a:{key}")
        elif f"a:{key}" in form:
            raw = form.get(f"a:{key}", "").strip()
            answers[key] = _number(raw) if item.answer == "number" and raw else raw
        if f"n:{key}" in form:
            notes[key] = form.get(f"n:{key}", "")
        refs = [ref for ref in form.getlist(f"e:{key}") if ref]
        if refs:
            evidence[key] = refs
    return answers, notes, evidence


def from_json(body: dict) -> tuple[dict, dict, dict]:
    def mapping(name):
        value = body.get(name) or {}
        return value if isinstance(value, dict) else {}
    return mapping("answers"), mapping("notes"), mapping("evidence")
