"""The grading rules of data/grading.yaml: grades and certificates, validity, numbering and the veto
conditions (否决项). Loaded once and validated strictly; every error names file, line and field."""
from __future__ import annotations

import string
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from safetylist.checklists.library import ChecklistError, app_document, load_path

GRADING_FILE = Path(__file__).parent / "data" / "grading.yaml"
PLACEHOLDERS = frozenset({"count"})
KIND_KEYS = {  # the keys each kind of veto needs
    "accidents": ("months", "deaths_at_least"),
    "accident_totals": ("months",),
    "open_hazards": ("severity",),
}
OPTIONAL_KEYS = ("months", "deaths_at_least", "injuries_at_least", "direct_loss_at_least", "severity")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class GradeRule(_Strict):
    checklist_grade: str = Field(min_length=1)
    certificate_grade: Literal["1", "2", "3"]
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class VetoRule(_Strict):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9-]+$")
    kind: Literal["accidents", "accident_totals", "open_hazards"]
    months: Optional[int] = Field(default=None, ge=1, le=120)
    deaths_at_least: Optional[int] = Field(default=None, ge=1)
    injuries_at_least: Optional[int] = Field(default=None, ge=1)
    direct_loss_at_least: Optional[int] = Field(default=None, ge=1)
    severity: Optional[Literal["general", "major"]] = None
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def reason(self, count: int, chinese: bool) -> str:
        return (self.zh if chinese else self.en).format(count=count)


class GradingFile(_Strict):
    checklist: str = Field(min_length=1)
    validity_years: int = Field(ge=1, le=10)
    issuer: str = Field(min_length=1)
    number: str = Field(min_length=1)
    grades: list[GradeRule] = Field(min_length=1)
    vetoes: list[VetoRule] = []

    def grade(self, certificate_grade: str) -> GradeRule | None:
        return next((g for g in self.grades if g.certificate_grade == certificate_grade), None)

    def certificate_grade(self, checklist_grade: str | None) -> str | None:
        """The certificate grade a checklist grade id stands for (None: no grade)."""
        return next((g.certificate_grade for g in self.grades if g.checklist_grade == checklist_grade), None)

    def lower_grades(self, certificate_grade: str) -> list[GradeRule]:
        """Grades below this one, highest first: what a downgrade may choose."""
        ids = [g.certificate_grade for g in self.grades]
        return self.grades[ids.index(certificate_grade) + 1:] if certificate_grade in ids else []

    def format_number(self, year: int, sequence: int) -> str:
        return self.number.format(year=year, sequence=sequence)


def check_grading(document: GradingFile, line_of) -> list[tuple[tuple, str]]:
    """Problems the schema cannot see: duplicates, keys a kind of veto needs or ignores, placeholders."""
    problems: list[tuple[tuple, str]] = []
    for key, path in (("checklist grade", "checklist_grade"), ("certificate grade", "certificate_grade")):
        seen: set[str] = set()
        for g, grade in enumerate(document.grades):
            value = getattr(grade, path)
            if value in seen:
                problems.append((("grades", g, path), f"duplicate {key} {value!r}"))
            seen.add(value)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(document.number) if name}
        document.format_number(2026, 1)
    except (ValueError, KeyError, IndexError) as exc:
        problems.append((("number",), f"bad number pattern: {exc}; use {{year}} and {{sequence}}"))
    else:
        if names != {"year", "sequence"}:
            problems.append((("number",), "the number pattern needs {year} and {sequence}, and nothing else"))
    seen_ids: dict[str, int] = {}
    for v, veto in enumerate(document.vetoes):
        at = ("vetoes", v)
        if veto.id in seen_ids:
            problems.append((at + ("id",), f"duplicate veto id {veto.id!r} (first on line {seen_ids[veto.id]})"))
        seen_ids.setdefault(veto.id, line_of(at + ("id",)))
        needed = KIND_KEYS[veto.kind]
        for key in needed:
            if getattr(veto, key) is None:
                problems.append((at + ("kind",), f"a veto of kind {veto.kind} needs {key}"))
        if veto.kind == "accident_totals" and veto.injuries_at_least is None and veto.direct_loss_at_least is None:
            problems.append((at + ("kind",), "a veto of kind accident_totals needs injuries_at_least or "
                                             "direct_loss_at_least (or both)"))
        allowed = set(needed) | ({"injuries_at_least", "direct_loss_at_least"} if veto.kind == "accident_totals" else set())
        for key in OPTIONAL_KEYS:
            if key not in allowed and getattr(veto, key) is not None:
                problems.append((at + (key,), f"{key} has no meaning for a veto of kind {veto.kind}"))
        for lang in ("zh", "en"):
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(getattr(veto, lang)) if name}
            except ValueError as exc:
                problems.append((at + (lang,), f"bad placeholder: {exc}"))
                continue
            if used - PLACEHOLDERS:
                problems.append((at + (lang,), f"unknown placeholder(s) {', '.join(sorted(used - PLACEHOLDERS))}; "
                                               "known: count"))
    return problems


def load_grading(path: Path) -> tuple[GradingFile | None, list[ChecklistError]]:
    return load_path(path, GradingFile, check_grading,
                     "a grading file is a mapping with checklist, validity_years, grades and vetoes")


def rules() -> GradingFile:
    """The app's grading rules (STANDARDIZATION_GRADING_FILE or the bundled file); a broken file fails loudly."""
    return app_document("STANDARDIZATION_GRADING_FILE", GRADING_FILE, load_grading)
