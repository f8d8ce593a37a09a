"""The checklist file format: strict pydantic models of one YAML checklist file.

This module owns the *shape* (keys, types, allowed values). Rules that relate keys to each
other (which answer types may carry points, show_if references, grade order, …) live in
rules.py; library.py runs both and reports every problem with the exact key and line. docs/checklist-format.md is the
user-facing description of both.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from safetylist.checklists.expressions import RESERVED
from safetylist.registry.vocabulary import FLAGS, RISK_LEVELS

SECTORS_FILE = Path(__file__).resolve().parent.parent / "registry" / "data" / "sectors.yaml"

AnswerType = Literal["pass_fail_na", "yes_no", "number", "single_choice", "multi_choice",
                     "text", "photo", "signature", "score"]
# Types whose answer can be judged; only these default to required.
JUDGED_TYPES = frozenset({"pass_fail_na", "yes_no", "number", "single_choice", "multi_choice", "score"})
CHOICE_TYPES = frozenset({"single_choice", "multi_choice"})

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


@cache
def sector_codes() -> frozenset[str]:
    """Sector codes from the registry's taxonomy file, so a new sector needs no code change."""
    rows = yaml.safe_load(SECTORS_FILE.read_text(encoding="utf-8"))
    return frozenset(row["code"] for row in rows)


def _check_id(value: str) -> str:
    if not _ID.match(value) or value.endswith("-"):
        raise ValueError(f"{value!r} is not a valid id: use lowercase letters, digits, - and _, "
                         "starting with a letter")
    if value in RESERVED:
        raise ValueError(f"{value!r} is a reserved word of show_if and cannot be an id")
    return value


Id = Annotated[str, AfterValidator(_check_id)]
NonEmpty = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    # strict: YAML already types values; `points: "5"` is a mistake, not a 5.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, str_strip_whitespace=True)


class Text(Strict):
    """Bilingual text: Chinese first, English complete (both required)."""
    zh: NonEmpty
    en: NonEmpty


class AppliesTo(Strict):
    """Empty lists apply to every enterprise; within a list any value matches.

    Sector codes are checked against the taxonomy by library.py when a file is loaded, not
    here, so a stored version stays readable if the taxonomy later changes.
    """
    sectors: list[NonEmpty] = []
    flags: list[Literal[FLAGS]] = []  # type: ignore[valid-type]
    risk_levels: list[Literal[RISK_LEVELS]] = []  # type: ignore[valid-type]


class Grade(Strict):
    id: Id
    zh: NonEmpty
    en: NonEmpty
    min: float = Field(ge=0)
    min_section_share: float = Field(default=0, ge=0, le=1)


class PercentScoring(Strict):
    method: Literal["percent"]
    pass_mark: float = Field(ge=0, le=100)


class PointsScoring(Strict):
    method: Literal["points"]
    total: int = Field(gt=0)
    grades: list[Grade] = Field(min_length=1)


Scoring = Annotated[Union[PercentScoring, PointsScoring], Field(discriminator="method")]


class Option(Strict):
    id: Id
    zh: NonEmpty
    en: NonEmpty
    fails: bool = False  # choosing this option fails the item


class Element(Strict):
    """A second-level element (二级要素) of a section, e.g. GB/T 33000's 5.1.1 目标."""
    id: Id
    zh: NonEmpty
    en: NonEmpty


class OnFail(Strict):
    """What a failed answer sets in motion: a hazard (一般/重大隐患) and who hears of it."""
    hazard: Literal["general", "major"]
    fix_within_days: int = Field(ge=0)
    evidence: Literal["none", "photo"] = "none"  # required with the failing answer
    rectification_evidence: Literal["none", "photo"] = "none"  # required to close the hazard
    notify: list[Literal["officer", "grid_worker", "street_regulator", "district_regulator", "agency"]] = []


class Item(Strict):
    id: Id
    ask: Text
    answer: AnswerType
    required: Optional[bool] = None  # None: required when the answer type is judged
    element: Optional[Id] = None  # the id of one of its section's elements
    help: Optional[Text] = None
    basis: Optional[NonEmpty] = None  # regulation or standard clause
    show_if: Optional[NonEmpty] = None
    # number
    unit: Optional[NonEmpty] = None
    min: Optional[float] = None
    max: Optional[float] = None
    out_of_range: Optional[Literal["fail", "warn"]] = None
    # yes_no: which answer is a failure (without it the question is informational)
    fail_on: Optional[Literal["yes", "no"]] = None
    # single_choice / multi_choice
    options: Optional[list[Option]] = None
    # scoring and consequences (score: the points are the most the item earns, 得分)
    points: Optional[int] = Field(default=None, gt=0)
    deduction: Optional[float] = Field(default=None, gt=0)
    veto: bool = False
    on_fail: Optional[OnFail] = None

    @property
    def is_required(self) -> bool:
        return self.answer in JUDGED_TYPES if self.required is None else self.required

    @property
    def range_rule(self) -> Optional[str]:
        """fail | warn for a number with a range, else None."""
        if self.answer != "number" or (self.min is None and self.max is None):
            return None
        return self.out_of_range or "fail"

    @property
    def can_fail(self) -> bool:
        """Whether some answer fails this item (only such items score, veto or open hazards)."""
        if self.answer in ("pass_fail_na", "score"):
            return True  # a score below the item's points is a failure
        if self.answer == "yes_no":
            return self.fail_on is not None
        if self.answer == "number":
            return self.range_rule == "fail"
        if self.answer in CHOICE_TYPES:
            return any(option.fails for option in self.options or ())
        return False


class Section(Strict):
    id: Id
    title: Text
    help: Optional[Text] = None
    points: Optional[int] = Field(default=None, gt=0)  # points scoring: items deduct from this
    elements: Optional[list[Element]] = Field(default=None, min_length=1)  # 二级要素; items name theirs
    items: list[Item] = Field(min_length=1)


class ChecklistDefinition(Strict):
    id: Id
    version: int = Field(ge=1)
    title: Text
    description: Optional[Text] = None
    kind: Literal["self_check", "site_inspection", "agency_self_check", "agency_spot_check", "standardization"]
    audience: Literal["enterprise", "grid_worker", "regulator", "agency"]
    applies_to: AppliesTo = AppliesTo()
    frequency: Literal["daily", "weekly", "monthly", "quarterly", "yearly", "on_demand"]
    scoring: Scoring
    sections: list[Section] = Field(min_length=1)

    def all_items(self):
        """(section, item) pairs in file order."""
        for section in self.sections:
            for item in section.items:
                yield section, item
