"""Reading a checklist's answers from a submitted HTML form or a JSON body.

Form fields are named `a:<item>` (answer; repeated for multiple choice), `n:<item>` (note on a
failed item, or a deduction's reason) and `e:<item>` (stored photo references). A score item's
`a:<item>` is full | deduct | na, with the points earned in `a:<item>:points` when deducting.
JSON bodies carry the same three maps, a score as "na" or the number itself.
"""
from __future__ import annotations

from safetylist.checklists.format import ChecklistDefinition, Item


def _number(text: str):
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return text  # left as text: the service names the item and says a number is expected
    return int(value) if value.is_integer() else value


def _score(item: Item, choice: str, points: str):
    """full → the item's points; na → "na"; deduct → the number typed (left as text when it is not
    one, so the service names the item and says what is expected)."""
    if choice == "full":
        return item.points
    if choice == "deduct":
        return _number(points) if points else choice
    return choice


def from_form(checklist: ChecklistDefinition, form) -> tuple[dict, dict, dict]:
    answers, notes, evidence = {}, {}, {}
    for _, item in checklist.all_items():
        key = item.id
        if item.answer == "multi_choice":
            if f"a:{key}" in form or f"a:{key}:present" in form:
                answers[key] = form.getlist(f"a:{key}")
        elif f"a:{key}" in form:
            raw = form.get(f"a:{key}", "").strip()
            if item.answer == "score":
                answers[key] = _score(item, raw, form.get(f"a:{key}:points", "").strip())
            else:
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
