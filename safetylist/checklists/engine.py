"""The checklist engine: `evaluate(definition, answers)` — visibility, completeness, scores,
grade, veto and the findings a submitted run opens as hazards.

Pure: no database, no clock, no I/O; the same definition and answers always give the same
Evaluation. Arithmetic is exact (fractions) so a score of exactly 90 reaches a 90 threshold.
Answer values: pass_fail_na "pass"|"fail"|"na"; yes_no "yes"|"no"; number int|float;
single_choice an option id; multi_choice a list of option ids; text and signature a string;
photo a string or a list of strings (stored file references); score "na" or the points earned
(0 to the item's points in steps of 0.5).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Optional

from safetylist.checklists.expressions import parse
from safetylist.checklists.format import ChecklistDefinition, Item, Section, Text


@dataclass(frozen=True)
class Finding:
    """A failed visible item with on_fail: what the submit step opens as a hazard (隐患)."""
    item_id: str
    section_id: str
    ask: Text
    answer: object
    severity: str  # general | major (一般/重大隐患)
    fix_within_days: int
    evidence: str  # none | photo — with the failing answer
    rectification_evidence: str  # none | photo — to close the hazard
    notify: tuple[str, ...]
    basis: Optional[str]
    veto: bool


@dataclass(frozen=True)
class AnswerProblem:
    item_id: str
    message: str


@dataclass(frozen=True)
class SectionScore:
    id: str
    earned: float  # percent scoring: items passed; points scoring: points earned
    possible: float  # percent scoring: items judged (N/A removed); points: applicable points
    share: Optional[float]  # earned ÷ possible, None when nothing applied


@dataclass(frozen=True)
class ItemScore:
    """The points of one judged item (points scoring): what the standardization review compares."""
    item_id: str
    section_id: str
    element_id: Optional[str]
    outcome: str  # pass | fail | na
    earned: float  # points earned (0 for items of a deduction section)
    possible: float  # points available (0 when na, and for items of a deduction section)
    deducted: float  # possible − earned; in a deduction section the item's deduction when it failed


@dataclass(frozen=True)
class ElementScore:
    """A second-level element (二级要素), scored like a section from its items."""
    id: str
    section_id: str
    earned: float
    possible: float
    share: Optional[float]  # earned ÷ possible, None when nothing applied


@dataclass(frozen=True)
class Evaluation:
    checklist_id: str
    version: int
    method: str  # percent | points
    visible: tuple[str, ...]  # item ids shown, in order
    missing: tuple[str, ...]  # visible required items without an answer
    invalid: tuple[AnswerProblem, ...]  # visible items whose answer has the wrong form
    out_of_range: tuple[str, ...]  # numbers outside min/max (failing or warning)
    failed: tuple[str, ...]
    sections: tuple[SectionScore, ...]
    earned: float
    possible: float
    score: Optional[float]  # percent: 0–100; points: 0–total; None when nothing applied
    passed: bool  # percent: not vetoed and score ≥ pass_mark; points: a grade was reached
    grade: Optional[str]  # grade id (points scoring only)
    vetoed: bool
    veto_items: tuple[str, ...]
    findings: tuple[Finding, ...]
    item_scores: tuple[ItemScore, ...] = ()  # points scoring only, in file order
    elements: tuple[ElementScore, ...] = ()  # of sections that declare elements, in file order
    needs_reason: tuple[str, ...] = ()  # score items below their points: each deduction needs its reason

    @property
    def complete(self) -> bool:
        """Ready to submit: every visible required item answered in the right form."""
        return not self.missing and not self.invalid


def is_answered(value: object) -> bool:
    return value is not None and value != "" and value != [] and value != ()


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_score(value: object, points: int) -> bool:
    return _is_number(value) and 0 <= value <= points and (Fraction(value) * 2).denominator == 1


def answer_problem(item: Item, value: object) -> Optional[str]:
    """Why an answered value does not fit the item, or None."""
    answer = item.answer
    if answer == "pass_fail_na" and value not in ("pass", "fail", "na"):
        return "expected pass, fail or na"
    if answer == "yes_no" and value not in ("yes", "no"):
        return "expected yes or no"
    if answer == "number" and not _is_number(value):
        return "expected a number"
    if answer == "score" and value != "na" and not _is_score(value, item.points):
        return f"expected na or a number from 0 to {item.points} in steps of 0.5"
    options = {option.id for option in item.options or ()}
    if answer == "single_choice" and (not isinstance(value, str) or value not in options):
        return f"expected one of {', '.join(sorted(options))}"
    if answer == "multi_choice" and (not isinstance(value, (list, tuple)) or len(set(value)) != len(value)
                                     or not all(isinstance(v, str) and v in options for v in value)):
        return f"expected a list of distinct options among {', '.join(sorted(options))}"
    if answer in ("text", "signature") and not isinstance(value, str):
        return "expected text"
    if answer == "photo" and not (isinstance(value, str) or (
            isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value))):
        return "expected a photo reference or a list of them"
    return None


def out_of_range(item: Item, value: object) -> bool:
    return item.range_rule is not None and _is_number(value) and (
        (item.min is not None and value < item.min) or (item.max is not None and value > item.max))


def item_outcome(item: Item, value: object) -> Optional[str]:
    """pass | fail | na for a valid answer of an item that can fail; None if it is not judged."""
    if not item.can_fail:
        return None
    if item.answer == "pass_fail_na":
        return value
    if item.answer == "score":
        return "na" if value == "na" else ("pass" if value == item.points else "fail")
    if item.answer == "yes_no":
        return "fail" if value == item.fail_on else "pass"
    if item.answer == "number":
        return "fail" if out_of_range(item, value) else "pass"
    chosen = {value} if item.answer == "single_choice" else set(value)
    return "fail" if any(option.fails and option.id in chosen for option in item.options) else "pass"


def _finding(section: Section, item: Item, value: object) -> Finding:
    on_fail = item.on_fail
    return Finding(item.id, section.id, item.ask, value, on_fail.hazard, on_fail.fix_within_days,
                   on_fail.evidence, on_fail.rectification_evidence, tuple(on_fail.notify), item.basis,
                   item.veto)


@dataclass(frozen=True)
class _Judged:
    """One judged visible item and what it adds to its section and element."""
    section: Section
    item: Item
    outcome: str  # pass | fail | na
    earned: Fraction  # percent scoring: 1 for a pass; points scoring: points earned
    possible: Fraction  # percent scoring: 1 unless na; points scoring: points available
    deducted: Fraction  # points scoring: points lost (a deduction section's items lose their deduction)


def _judge(method: str, section: Section, item: Item, outcome: str, value: object) -> _Judged:
    zero = Fraction(0)
    if method == "percent":
        return _Judged(section, item, outcome, Fraction(outcome == "pass"), Fraction(outcome != "na"), zero)
    if section.points is not None:  # items of a deduction section carry no points of their own
        lost = Fraction(str(item.deduction)) if outcome == "fail" and item.deduction else zero
        return _Judged(section, item, outcome, zero, zero, lost)
    if not item.points or outcome == "na":
        return _Judged(section, item, outcome, zero, zero, zero)
    earned = Fraction(value) if item.answer == "score" else Fraction(item.points if outcome == "pass" else 0)
    return _Judged(section, item, outcome, earned, Fraction(item.points), item.points - earned)


def _sums(judged: list[_Judged]) -> tuple[Fraction, Fraction]:
    return sum((j.earned for j in judged), Fraction(0)), sum((j.possible for j in judged), Fraction(0))


def _section_score(section: Section, judged: list[_Judged]) -> tuple[Fraction, Fraction]:
    """(earned, possible) of one section from its judged visible items."""
    if section.points is None:
        return _sums(judged)
    # Deduction section: starts at its points, loses each failed item's deduction, never
    # below zero; it applies if any of its items was judged pass or fail.
    if all(j.outcome == "na" for j in judged):
        return Fraction(0), Fraction(0)
    lost = sum((j.deducted for j in judged), Fraction(0))
    return max(Fraction(0), section.points - lost), Fraction(section.points)


def _share(earned: Fraction, possible: Fraction) -> Optional[float]:
    return float(earned / possible) if possible else None


def _element_scores(definition: ChecklistDefinition, judged: list[_Judged]) -> tuple[ElementScore, ...]:
    scores = []
    for section in definition.sections:
        for element in section.elements or ():
            earned, possible = _sums([j for j in judged if j.item.element == element.id])
            scores.append(ElementScore(element.id, section.id, float(earned), float(possible),
                                       _share(earned, possible)))
    return tuple(scores)


def _item_scores(judged: list[_Judged]) -> tuple[ItemScore, ...]:
    return tuple(ItemScore(j.item.id, j.section.id, j.item.element, j.outcome, float(j.earned),
                           float(j.possible), float(j.deducted))
                 for j in judged if j.item.points or j.item.deduction)


def evaluate(definition: ChecklistDefinition, answers: Mapping[str, object]) -> Evaluation:
    visible, missing, invalid, ranged, failed, vetoes, findings = [], [], [], [], [], [], []
    effective: dict[str, object] = {}  # valid answers of visible items: what show_if sees
    method = definition.scoring.method
    judged: list[_Judged] = []
    section_results = []
    for section in definition.sections:
        in_section: list[_Judged] = []
        for item in section.items:
            if item.show_if is not None and not parse(item.show_if).evaluate(effective):
                continue  # hidden: its answer, if any, is ignored
            visible.append(item.id)
            value = answers.get(item.id)
            if not is_answered(value):
                if item.is_required:
                    missing.append(item.id)
                continue
            problem = answer_problem(item, value)
            if problem is not None:
                invalid.append(AnswerProblem(item.id, problem))
                continue
            effective[item.id] = value
            if out_of_range(item, value):
                ranged.append(item.id)
            outcome = item_outcome(item, value)
            if outcome is None:
                continue
            in_section.append(_judge(method, section, item, outcome, value))
            if outcome == "fail":
                failed.append(item.id)
                if item.veto:
                    vetoes.append(item.id)
                if item.on_fail is not None:
                    findings.append(_finding(section, item, value))
        judged += in_section
        section_results.append((section, *_section_score(section, in_section)))

    earned = sum((e for _, e, _ in section_results), Fraction(0))
    possible = sum((p for _, _, p in section_results), Fraction(0))
    scoring = definition.scoring
    scale = 100 if scoring.method == "percent" else scoring.total
    score = earned * scale / possible if possible else None
    vetoed = bool(vetoes)
    grade = None
    if scoring.method == "percent":
        passed = not vetoed and (score is None or score >= Fraction(str(scoring.pass_mark)))
    else:
        if not vetoed and score is not None:
            grade = _grade(scoring.grades, score, section_results)
        passed = grade is not None
    return Evaluation(
        checklist_id=definition.id, version=definition.version, method=scoring.method,
        visible=tuple(visible), missing=tuple(missing), invalid=tuple(invalid),
        out_of_range=tuple(ranged), failed=tuple(failed),
        sections=tuple(SectionScore(s.id, float(e), float(p), _share(e, p)) for s, e, p in section_results),
        earned=float(earned), possible=float(possible),
        score=None if score is None else float(score),
        passed=passed, grade=grade, vetoed=vetoed, veto_items=tuple(vetoes), findings=tuple(findings),
        item_scores=_item_scores(judged) if method == "points" else (),
        elements=_element_scores(definition, judged),
        needs_reason=tuple(j.item.id for j in judged if j.item.answer == "score" and j.outcome == "fail"))


def _grade(grades, score: Fraction, section_results) -> Optional[str]:
    """The first (highest) grade whose minimum score and per-section share are both met."""
    for grade in grades:
        if score < Fraction(str(grade.min)):
            continue
        share = Fraction(str(grade.min_section_share))
        if all(earned >= share * possible for _, earned, possible in section_results if possible):
            return grade.id
    return None
