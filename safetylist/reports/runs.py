"""The printed record of a submitted checklist run (检查记录), always in Chinese: the form that is
signed and filed. `run_pdf(run)` renders it; `run_record(run)` is what the template shows.
A site inspection prints as a 现场检查记录, with the inspector's check-in and both signatures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import force_locale
from sqlalchemy import select

from safetylist.auth.roles import ROLE_LABELS
from safetylist.checklists import runs
from safetylist.checklists.format import Item
from safetylist.checklists.models import ChecklistRun
from safetylist.extensions import db
from safetylist.photos.models import Photo
from safetylist.photos.services import photo_path
from safetylist.remediation.models import Hazard
from safetylist.reports.pdf import render_pdf
from safetylist.timeutil import to_local, utcnow

WORDS = {"pass": "合格", "fail": "不合格", "na": "不适用", "yes": "是", "no": "否"}
SEVERITY = {"general": "一般隐患", "major": "重大隐患"}
KIND = {"self_check": "企业自查", "site_inspection": "现场检查", "agency_self_check": "机构自查", "agency_spot_check": "机构项目抽查",
        "standardization": "标准化评审"}


@dataclass
class PrintedItem:
    id: str
    number: str
    ask: str
    answer: str
    failed: bool = False
    warned: bool = False  # a number outside its range where the file only warns
    veto: bool = False  # a failed veto item (否决项)
    note: str = ""
    basis: str = ""
    photos: list[dict] = field(default_factory=list)  # {"src": file URI, "caption": str}
    missing_photos: int = 0  # referenced but not found on disk (or not this party's)


def run_pdf(run: ChecklistRun) -> bytes:
    """The PDF of a submitted run."""
    if not run.submitted:
        raise ValueError("only a submitted checklist run is printed")
    return render_pdf("reports/run.html", **run_record(run))


def run_record(run: ChecklistRun) -> dict:
    checklist = runs.definition(run)
    visible = set(runs.preview(run).visible)  # what was shown when submitted, in file order
    result = run.result or {}
    failed, vetoes = set(result.get("failed", ())), set(result.get("veto_items", ()))
    warned = set(result.get("out_of_range", ())) - failed
    section_scores = {score["id"]: score for score in result.get("sections", ())}
    photos = _photos(run, checklist)
    sections = []
    for s_no, section in enumerate(checklist.sections, start=1):
        items = []
        for item in (item for item in section.items if item.id in visible):
            refs = _photo_refs(run, item)
            found = [photos[ref] for ref in refs if ref in photos]
            items.append(PrintedItem(
                id=item.id, number=f"{s_no}.{len(items) + 1}", ask=item.ask.zh,
                answer=answer_text(item, run.answers.get(item.id)),
                failed=item.id in failed, warned=item.id in warned, veto=item.id in vetoes,
                note=run.notes.get(item.id, ""), basis=item.basis or "",
                photos=found, missing_photos=len(refs) - len(found)))
        if items:
            sections.append({"title": section.title.zh, "score": section_scores.get(section.id), "items": items})
    numbers = {item.id: item.number for section in sections for item in section["items"]}
    hazards = db.session.scalars(select(Hazard).where(Hazard.run_id == run.id)
                                 .order_by(Hazard.deadline, Hazard.id)).all()
    with force_locale("zh_CN"):
        role = str(ROLE_LABELS.get(run.submitted_by.role, "")) if run.submitted_by else ""
    site_inspection = checklist.kind == "site_inspection"
    return {
        "run": run, "checklist": checklist, "kind": KIND.get(checklist.kind, checklist.kind),
        "title": "现场检查记录" if site_inspection else checklist.title.zh,
        "site_inspection": site_inspection, "check_in": check_in_record(run) if site_inspection else None,
        "party": run.enterprise or run.agency, "party_label": "受检单位" if run.enterprise else "受检机构",
        "submitted_by": run.submitted_by.display_name if run.submitted_by else "—", "submitted_role": role,
        "submitted_at": to_local(run.submitted_at), "printed_at": to_local(utcnow()),
        "score": score_text(run, checklist), "conclusion": conclusion(run, checklist),
        "sections": sections, "failed_count": len(failed),
        "hazards": [{"title": h.title, "item_number": numbers.get(h.checklist_item),
                     "severity": SEVERITY.get(h.severity, h.severity), "major": h.severity == "major",
                     "found_on": h.found_on, "deadline": h.deadline, "basis": h.basis or ""} for h in hazards],
    }


def check_in_record(run: ChecklistRun) -> dict:
    """Who inspected, when and how they checked in, and where the phone said they were."""
    inspector = run.submitted_by or run.started_by
    with force_locale("zh_CN"):
        role = str(ROLE_LABELS.get(inspector.role, "")) if inspector else ""
    checked_in = to_local(run.checked_in_at)
    located = run.latitude is not None and run.longitude is not None
    name = inspector.display_name if inspector else "—"
    return {
        "inspector": f"{name}（{role}）" if role else name,
        "checked_in_at": f"{checked_in:%Y-%m-%d %H:%M}" if checked_in else "未签到",
        "method": "扫码到场" if run.on_site else "未扫码",
        # Metres rounded half up, as the phone and the run page show them.
        "location": f"{run.latitude:.5f}, {run.longitude:.5f} ±{int((run.location_accuracy_m or 0) + 0.5)} 米"
        if located else "未获取",
    }


def answer_text(item: Item, value) -> str:
    """An answer as it reads on paper: 合格/不合格/不适用, 是/否, a number with its unit, option names,
    a score as points earned of the item's points (2 / 3 分)."""
    if value is None or value == "" or value == []:
        return "未填写"
    if item.answer in ("pass_fail_na", "yes_no"):
        return WORDS.get(value, str(value))
    if item.answer == "score":
        return WORDS["na"] if value == "na" else f"{_number(value)} / {item.points} 分"
    if item.answer == "number":
        text = f"{_number(value)} {item.unit or ''}".strip()
        if item.min is not None or item.max is not None:
            low = _number(item.min) if item.min is not None else "−∞"
            high = _number(item.max) if item.max is not None else "+∞"
            text += f"（范围 {low}–{high}）"
        return text
    if item.answer in ("single_choice", "multi_choice"):
        names = {option.id: option.zh for option in item.options or ()}
        chosen = [value] if isinstance(value, str) else value
        return "、".join(names.get(choice, choice) for choice in chosen)
    if item.answer == "photo":
        return "见照片"
    if item.answer == "signature":
        return f"（签名）{value}"
    return str(value)


def score_text(run: ChecklistRun, checklist) -> str:
    if run.score is None:
        return "—（无适用项）"
    if checklist.scoring.method == "points":
        return f"{_number(round(run.score, 1))} 分（满分 {checklist.scoring.total} 分）"
    return f"{_number(round(run.score, 1))} 分（百分制，合格线 {_number(checklist.scoring.pass_mark)} 分）"


def conclusion(run: ChecklistRun, checklist) -> str:
    if run.vetoed:
        return "不合格（否决项不符合要求）"
    if checklist.scoring.method == "points":
        grade = next((g for g in checklist.scoring.grades if g.id == run.grade), None)
        return grade.zh if grade else "未达到等级"
    return "合格" if run.passed else "不合格"


def _number(value) -> str:
    """22 not 22.0, 0.05 not 5e-02."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:f}".rstrip("0").rstrip(".")


def _photo_refs(run: ChecklistRun, item: Item) -> list[str]:
    """Photos of one item: a photo item's answer, then the evidence attached to the item."""
    value = run.answers.get(item.id) if item.answer == "photo" else None
    answered = [value] if isinstance(value, str) else list(value or ())
    return list(dict.fromkeys(answered + list(run.evidence.get(item.id, ()))))


def _photos(run: ChecklistRun, checklist) -> dict[str, dict]:
    """{ref: {"src", "caption"}} for the run's photos that belong to its party and are on disk.

    Refs come from the filler, so a ref of another party's photo is never printed.
    """
    refs = {ref for _, item in checklist.all_items() for ref in _photo_refs(run, item)}
    if not refs:
        return {}
    owner = (Photo.enterprise_id == run.enterprise_id) if run.enterprise_id is not None \
        else (Photo.agency_id == run.agency_id)
    found = {}
    for photo in db.session.scalars(select(Photo).where(Photo.ref.in_(refs), owner)):
        path = photo_path(photo)
        if path.is_file():
            taken = to_local(photo.taken_at)
            found[photo.ref] = {"src": path.resolve().as_uri(),
                                "caption": f"拍摄于 {taken:%Y-%m-%d %H:%M}" if taken else ""}
    return found
