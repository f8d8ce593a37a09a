"""Semantic rules of a checklist that the schema alone cannot express.

Run by library.py on a definition that already matches format.py. Each rule yields
(path, message) with the path of the key to fix, e.g. ('sections', 0, 'items', 3, 'points').
"""
from __future__ import annotations

from typing import Callable, Iterator, Union

from safetylist.checklists.expressions import ORDERING, Compare, ExpressionError, comparisons, parse
from safetylist.checklists.format import CHOICE_TYPES, ChecklistDefinition, Item, sector_codes

Path_ = tuple[Union[str, int], ...]
Problem = tuple[Path_, str]
LineOf = Callable[[Path_], int]

NUMBER_KEYS = ("unit", "min", "max", "out_of_range")
FAILING_KEYS = ("points", "deduction", "veto", "on_fail")  # only meaningful if the item can fail
WORD_ANSWERS = {"yes_no": ("yes", "no"), "pass_fail_na": ("pass", "fail", "na")}


def check_definition(definition: ChecklistDefinition, line_of: LineOf) -> list[Problem]:
    problems = list(_unique_ids(definition, line_of))
    problems += _elements(definition, line_of)
    problems += _sectors(definition)
    problems += _scoring(definition)
    positions: dict[str, Path_] = {}  # item id → path, in file order (a duplicate keeps the first)
    items_by_id: dict[str, Item] = {}
    for s, section in enumerate(definition.sections):
        for i, item in enumerate(section.items):
            path = ("sections", s, "items", i)
            problems += _item_keys(item, path)
            problems += _item_scoring(definition, section.points is not None, item, path)
            positions.setdefault(item.id, path)
            items_by_id.setdefault(item.id, item)
    rank = {item_id: n for n, item_id in enumerate(positions)}
    for s, section in enumerate(definition.sections):
        for i, item in enumerate(section.items):
            if item.show_if is not None:
                problems += _show_if(item, ("sections", s, "items", i, "show_if"), items_by_id, rank,
                                     positions, line_of)
    return problems


def _unique_ids(definition: ChecklistDefinition, line_of: LineOf) -> Iterator[Problem]:
    seen: dict[str, Path_] = {}
    for s, section in enumerate(definition.sections):
        path = ("sections", s, "id")
        if section.id in seen:
            yield path, f"duplicate section id {section.id!r} (first on line {line_of(seen[section.id])})"
        seen.setdefault(section.id, path)
    seen = {}
    for s, section in enumerate(definition.sections):
        for i, item in enumerate(section.items):
            path = ("sections", s, "items", i, "id")
            if item.id in seen:
                yield path, f"duplicate item id {item.id!r} (first on line {line_of(seen[item.id])})"
            seen.setdefault(item.id, path)
            options: set[str] = set()
            for o, option in enumerate(item.options or ()):
                if option.id in options:
                    yield path[:-1] + ("options", o, "id"), f"duplicate option id {option.id!r}"
                options.add(option.id)
    if definition.scoring.method == "points":
        grades: set[str] = set()
        for g, grade in enumerate(definition.scoring.grades):
            if grade.id in grades:
                yield ("scoring", "grades", g, "id"), f"duplicate grade id {grade.id!r}"
            grades.add(grade.id)


def _elements(definition: ChecklistDefinition, line_of: LineOf) -> Iterator[Problem]:
    """Element ids unique in the file; every item of a section with elements names one of them,
    items of other sections name none, and every element is used."""
    owner: dict[str, tuple[str, Path_]] = {}  # element id → (section id, path of its id)
    for s, section in enumerate(definition.sections):
        for e, element in enumerate(section.elements or ()):
            path = ("sections", s, "elements", e, "id")
            if element.id in owner:
                yield path, f"duplicate element id {element.id!r} (first on line {line_of(owner[element.id][1])})"
            owner.setdefault(element.id, (section.id, path))
    for s, section in enumerate(definition.sections):
        own = [element.id for element in section.elements or ()]
        for i, item in enumerate(section.items):
            path = ("sections", s, "items", i, "element")
            if not own:
                if item.element is not None:
                    yield path, (f"element on an item of section {section.id!r}, which declares no elements "
                                 "(list them under the section's elements)")
            elif item.element is None:
                yield path, f"missing: items of a section with elements name their element (one of {', '.join(own)})"
            elif item.element not in own:
                elsewhere = owner.get(item.element)
                yield path, (f"element {item.element!r} belongs to section {elsewhere[0]!r}, not {section.id!r}"
                             if elsewhere else f"unknown element {item.element!r} (this section's: {', '.join(own)})")
        used = {item.element for item in section.items}
        for e, element in enumerate(section.elements or ()):
            if element.id not in used:
                yield ("sections", s, "elements", e, "id"), f"element {element.id!r} has no items"


def _sectors(definition: ChecklistDefinition) -> Iterator[Problem]:
    known = sector_codes()
    for index, code in enumerate(definition.applies_to.sectors):
        if code not in known:
            yield (("applies_to", "sectors", index),
                   f"unknown sector {code!r}; expected one of {', '.join(sorted(known))}")


def _scoring(definition: ChecklistDefinition) -> Iterator[Problem]:
    scoring = definition.scoring
    if scoring.method == "percent":
        for s, section in enumerate(definition.sections):
            if section.points is not None:
                yield ("sections", s, "points"), "section points need scoring method points"
        return
    previous = None
    for g, grade in enumerate(scoring.grades):
        if grade.min > scoring.total:
            yield ("scoring", "grades", g, "min"), f"min {grade.min:g} is above the total {scoring.total}"
        if previous is not None and grade.min >= previous.min:
            yield (("scoring", "grades", g, "min"),
                   f"grades must go from highest to lowest: {grade.id} (min {grade.min:g}) "
                   f"is not below {previous.id} (min {previous.min:g})")
        previous = grade
    if not any(section.points for section in definition.sections) and \
            not any(item.points for _, item in definition.all_items()):
        yield ("scoring", "method"), "scoring method points, but no section or item has points"


def _cannot_fail_reason(item: Item) -> str:
    if item.answer == "yes_no":
        return "a yes_no item fails only with fail_on: yes or fail_on: no"
    if item.answer == "number":
        return "a number item fails only outside min/max with out_of_range: fail"
    if item.answer in CHOICE_TYPES:
        return "none of its options has fails: true"
    return f"{item.answer} answers are never judged"


def _item_keys(item: Item, path: Path_) -> Iterator[Problem]:
    """Keys that belong to other answer types, and the shape of numbers and choices."""
    if item.answer != "number":
        for key in NUMBER_KEYS:
            if getattr(item, key) is not None:
                yield path + (key,), f"only number items have {key} (this item is {item.answer})"
    else:
        if item.min is not None and item.max is not None and item.min > item.max:
            yield path + ("min",), f"min {item.min:g} is greater than max {item.max:g}"
        if item.out_of_range is not None and item.min is None and item.max is None:
            yield path + ("out_of_range",), "out_of_range needs min or max"
    if item.fail_on is not None and item.answer != "yes_no":
        yield path + ("fail_on",), f"only yes_no items have fail_on (this item is {item.answer})"
    if item.answer in CHOICE_TYPES:
        if item.options is None:
            yield path + ("options",), f"missing: {item.answer} items need options"
        elif len(item.options) < 2:
            yield path + ("options",), "a choice needs at least 2 options"
    elif item.options is not None:
        yield path + ("options",), ("only single_choice and multi_choice items have options "
                                    f"(this item is {item.answer})")


def _item_scoring(definition: ChecklistDefinition, in_points_section: bool, item: Item,
                  path: Path_) -> Iterator[Problem]:
    if not item.can_fail:
        for key in FAILING_KEYS:
            if getattr(item, key) not in (None, False):
                yield path + (key,), f"{key} on an item that cannot fail: {_cannot_fail_reason(item)}"
        return
    method = definition.scoring.method
    if item.on_fail is not None and item.basis is None:
        yield path + ("basis",), "missing: an item with on_fail needs a basis (the clause the hazard rests on)"
    if item.answer == "score":
        yield from _score_item(method, in_points_section, item, path)
        return
    for key in ("points", "deduction"):
        if getattr(item, key) is not None and method != "points":
            yield path + (key,), f"{key} count only with scoring method points (percent scoring counts items)"
    if method != "points":
        return
    if in_points_section and item.points is not None:
        yield path + ("points",), "items of a section with points use deduction, not points"
    if not in_points_section and item.deduction is not None:
        yield path + ("deduction",), "deduction needs points on its section (deductions are taken from them)"


def _score_item(method: str, in_points_section: bool, item: Item, path: Path_) -> Iterator[Problem]:
    """A score item earns from 0 to its points: it needs them, and item points scoring around it."""
    if method != "points":
        yield path + ("answer",), "score items need scoring method points (percent scoring counts items)"
    elif in_points_section:
        yield path + ("answer",), ("a score item cannot be in a section with points (a deduction section); "
                                   "give the item points in a section without points")
    elif item.points is None:
        yield path + ("points",), "missing: a score item needs points (the most it can earn)"
    if item.deduction is not None:
        yield path + ("deduction",), "a score item has no deduction: what it earns below its points is the deduction"


def _show_if(item: Item, path: Path_, items: dict[str, Item], rank: dict[str, int],
             positions: dict[str, Path_], line_of: LineOf) -> Iterator[Problem]:
    try:
        expr = parse(item.show_if)
    except ExpressionError as exc:
        yield path, f"column {exc.column}: bad expression: {exc.message}"
        return
    here = rank[item.id]
    for compare in comparisons(expr):
        at = f"column {compare.column}: "
        target = items.get(compare.item)
        if compare.item == item.id:
            yield path, at + f"cycle: item {item.id!r} depends on its own answer"
        elif target is None:
            yield path, at + f"unknown item {compare.item!r}"
        elif rank[compare.item] > here:
            yield path, at + (f"{compare.item!r} comes later (line {line_of(positions[compare.item])}); "
                              "show_if may only refer to earlier items")
        else:
            for message in _type_mismatch(compare, target):
                yield path, at + message


def _type_mismatch(compare: Compare, target: Item) -> Iterator[str]:
    name, answer = compare.item, target.answer
    if answer in ("photo", "signature", "score"):
        yield f"{name!r} is a {answer} item; its answer cannot be compared"
        return
    if compare.op in ORDERING and answer != "number":
        yield f"{compare.op} needs a number item, but {name!r} is {answer}"
        return
    for value in compare.values:
        if answer == "number" and value.kind != "number":
            yield f"{name!r} is a number item; compare it with a number, not {value}"
        elif answer in WORD_ANSWERS and (value.kind != "word" or value.value not in WORD_ANSWERS[answer]):
            yield f"{name!r} is {answer}; compare it with {' or '.join(WORD_ANSWERS[answer])}, not {value}"
        elif answer in CHOICE_TYPES:
            options = [option.id for option in target.options or ()]
            if value.kind != "string":
                yield f"{name!r} is {answer}; compare it with a 'quoted' option id, not {value}"
            elif value.value not in options:
                yield f"{value} is not an option of {name!r} (options: {', '.join(options)})"
        elif answer == "text" and value.kind != "string":
            yield f"{name!r} is a text item; compare it with a 'quoted' text, not {value}"
