"""The supervision rules of data/supervision.yaml, loaded once and validated strictly (errors name file,
line and field), like the other data files the app runs on."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from safetylist.checklists.library import app_document, load_path

SUPERVISION_FILE = Path(__file__).parent / "data" / "supervision.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class BusyEvaluator(_Strict):
    days: int = Field(ge=1, le=366)
    max_projects: int = Field(ge=1, le=1000)


class SupervisionFile(_Strict):
    qualification_expiring_days: int = Field(ge=1, le=730)
    self_check_checklist: str = Field(min_length=1)
    spot_check_checklist: str = Field(min_length=1)
    busy_evaluator: BusyEvaluator
    later_accident_days: int = Field(ge=1, le=3650)
    later_major_hazard_days: int = Field(ge=1, le=3650)
    max_sample_size: int = Field(ge=1, le=10_000)


def check_supervision(document: SupervisionFile, line_of) -> list[tuple[tuple, str]]:
    """The checklists named must be in the library with the right kind."""
    from safetylist.checklists import versions
    problems = []
    entries = versions.library().entries
    for key, kind in (("self_check_checklist", "agency_self_check"), ("spot_check_checklist", "agency_spot_check")):
        entry = entries.get(getattr(document, key))
        if entry is None:
            problems.append(((key,), f"no checklist {getattr(document, key)!r} in the library"))
        elif entry.definition.kind != kind:
            problems.append(((key,), f"checklist {getattr(document, key)!r} is of kind {entry.definition.kind}, "
                                     f"not {kind}"))
    return problems


def load_supervision(path: Path):
    return load_path(path, SupervisionFile, check_supervision,
                     "a supervision file is a mapping with qualification_expiring_days, busy_evaluator, …")


def rules() -> SupervisionFile:
    """The app's rules (AGENCY_SUPERVISION_FILE or the bundled file); a broken file fails loudly."""
    return app_document("AGENCY_SUPERVISION_FILE", SUPERVISION_FILE, load_supervision)
