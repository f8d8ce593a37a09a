"""The printed standardization documents, always in Chinese: the score report (评审得分表: per element
the points available, the self-score, the review score and each deduction with its reason) and the
certificate (安全生产标准化证书)."""
from __future__ import annotations

from datetime import date

from safetylist.reports.pdf import render_pdf
from safetylist.standardization import grading, services
from safetylist.standardization.models import Assessment, Certificate
from safetylist.timeutil import to_local, utcnow

STATUS_ZH = {"draft": "申请准备中", "submitted": "待分配评审", "in_review": "评审中", "reviewed": "已评审，待定级",
             "decided": "已决定", "withdrawn": "已撤回"}
CERTIFICATE_ZH = {"valid": "有效", "suspended": "暂停", "revoked": "已撤销", "superseded": "已被替换"}


def grade_zh(grade: str | None) -> str:
    rule = grading.rules().grade(grade) if grade else None
    return rule.zh if rule else "未达到定级标准"


def chinese_date(day: date | None) -> str:
    return f"{day:%Y}年{day.month}月{day.day}日" if day else "—"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _answer(answer, earned: float | None, possible: float) -> str:
    if answer is None:
        return "—"
    if answer == "na":
        return "不适用"
    return f"{_points(earned)} / {possible:g}"


def _clause(basis: str | None) -> str:
    """The standard's clause an item rests on (its basis up to the first other source): "GB/T 33000-2016 5.1.4"."""
    return (basis or "").split("；")[0].strip()


def score_report(assessment: Assessment) -> dict:
    """What the score report shows: the two scorings side by side per first- and second-level element."""
    checklist = services.definition_of(assessment)
    elements = []
    for number, block in enumerate(services.comparison(assessment), start=1):
        groups: dict = {}
        for row in block.items:
            key = row.element.id if row.element else ""
            group = groups.setdefault(key, {"title": row.element.zh if row.element else "", "items": [],
                                            "possible": 0.0, "self": 0.0, "review": 0.0})
            review_deduction = (row.possible - row.review_earned) if row.review_earned is not None else 0
            group["items"].append({
                "clause": _clause(row.item.basis), "ask": row.item.ask.zh, "possible": row.possible,
                "self": _answer(row.self_answer, row.self_earned, row.possible),
                "review": _answer(row.review_answer, row.review_earned, row.possible),
                "self_note": row.self_note, "review_note": row.review_note,
                "deducted": review_deduction, "differs": row.differs and row.review_answer is not None})
            if row.review_answer != "na" and row.review_answer is not None:
                group["possible"] += row.possible
                group["review"] += row.review_earned or 0
            if row.self_answer != "na":
                group["self"] += row.self_earned or 0
        elements.append({"number": number, "title": block.section.title.zh, "groups": list(groups.values()),
                         "self_earned": block.self_earned, "self_possible": block.self_possible,
                         "review_earned": block.review_earned, "review_possible": block.review_possible,
                         "deductions": len(block.deductions)})
    reviewer = assessment.reviewer_user.display_name if assessment.reviewer_user else \
        (assessment.reviewer_agency.name if assessment.reviewer_agency else "—")
    return {
        "assessment": assessment, "enterprise": assessment.enterprise, "checklist": checklist,
        "elements": elements, "reviewer": reviewer, "status": STATUS_ZH.get(assessment.status, assessment.status),
        "self_score": _points(assessment.self_score), "self_grade": grade_zh(assessment.self_grade),
        "review_score": _points(assessment.review_score),
        "review_grade": grade_zh(assessment.review_grade) if assessment.reviewed else "—",
        "submitted_on": chinese_date(to_local(assessment.submitted_at).date()) if assessment.submitted_at else "—",
        "reviewed_on": chinese_date(to_local(assessment.review_submitted_at).date())
        if assessment.review_submitted_at else "—",
        "decision": ("授予" + grade_zh(assessment.decided_grade)) if assessment.decision == "granted"
        else ("不予定级" if assessment.decision == "refused" else "—"),
        "vetoes": [v.get("reason_zh", "") for v in assessment.vetoes or ()],
        "certificate": assessment.certificate, "printed_at": to_local(utcnow()),
    }


def score_report_pdf(assessment: Assessment) -> bytes:
    return render_pdf("reports/standardization_report.html", **score_report(assessment))


def certificate_record(certificate: Certificate) -> dict:
    rules = grading.rules()
    return {"certificate": certificate, "enterprise": certificate.enterprise, "grade": grade_zh(certificate.grade),
            "issuer": rules.issuer, "issued_on": chinese_date(certificate.issued_on),
            "expires_on": chinese_date(certificate.expires_on),
            "status": CERTIFICATE_ZH.get(certificate.status, certificate.status),
            "void": certificate.status != "valid", "printed_at": to_local(utcnow())}


def certificate_pdf(certificate: Certificate) -> bytes:
    return render_pdf("reports/certificate.html", **certificate_record(certificate))
