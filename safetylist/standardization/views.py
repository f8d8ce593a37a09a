"""Standardization pages (bp "standardization", /standardization): the regulators' overview and lists,
an enterprise's grade and history, an application with its steps, the review form, certificates, and
the score report and certificate PDFs. Thin views over services.py and certificates.py."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.checklists.answer_forms import from_form
from safetylist.errors import DomainError, PermissionDenied
from safetylist.standardization import certificates, grading, overview, reports, services
from safetylist.standardization.labels import standardization_labels
from safetylist.standardization.models import ASSESSMENT_STATUSES
from safetylist.standardization.timeline import events_of
from safetylist.timeutil import local_today
from safetylist.web import attempt

bp = Blueprint("standardization", __name__, url_prefix="/standardization")


@bp.before_request
@login_required
def require_login():
    pass


@bp.context_processor
def _labels():
    return {"labels": standardization_labels(), "today": local_today()}


def _int(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def _page() -> int:
    return _int(request.args.get("page")) or 1


def _version() -> int | None:
    return _int(request.form.get("lock_version"))


# --- the overview --------------------------------------------------------------------------------
@bp.route("/")
def index():
    scope = Scope(current_user)
    if current_user.role == roles.OFFICER:
        return redirect(url_for(".enterprise", enterprise_id=current_user.enterprise_id))
    if current_user.role == roles.AGENCY_STAFF:
        return redirect(url_for(".applications"))
    if not scope.can_view_standardization_overview():
        abort(403)
    by = request.args.get("by") if request.args.get("by") in ("street", "sector") else "street"
    rows = overview.grade_distribution(current_user, by)
    return render_template(
        "standardization/overview.html", by=by, rows=rows, total=overview.totals(rows),
        counts=overview.application_counts(current_user), flagged=overview.flagged(current_user),
        expiring=overview.expiring(current_user), annual_overdue=overview.annual_overdue(current_user),
        expiring_days=overview.EXPIRING_DAYS)


@bp.route("/without-grade")
def without_grade():
    if not Scope(current_user).can_view_standardization_overview():
        abort(403)
    page = overview.without_grade(current_user, _page(), current_app.config["PAGE_SIZE"])
    return render_template("standardization/without_grade.html", page=page)


@bp.route("/applications")
def applications():
    scope = Scope(current_user)
    if current_user.role not in (roles.AGENCY_STAFF,) and not scope.can_view_standardization_overview():
        abort(403)
    status = request.args.get("status")
    status = status if status in ASSESSMENT_STATUSES else None
    page = overview.applications(current_user, status, _page(), current_app.config["PAGE_SIZE"])
    return render_template("standardization/applications.html", page=page, status=status,
                           statuses=ASSESSMENT_STATUSES)


# --- one enterprise ------------------------------------------------------------------------------
@bp.route("/enterprises/<int:enterprise_id>")
def enterprise(enterprise_id: int):
    enterprise = Scope(current_user).get_enterprise(enterprise_id)  # 404 outside the scope
    record = overview.enterprise_record(enterprise)
    return render_template("standardization/enterprise.html", record=record, enterprise=enterprise,
                           checklist_key=services.checklist_key(),
                           can_apply=current_user.role == roles.OFFICER and record.open_assessment is None
                           and bool(record.self_assessments),
                           is_officer=current_user.role == roles.OFFICER)


@bp.route("/enterprises/<int:enterprise_id>/apply", methods=["POST"])
def apply(enterprise_id: int):
    enterprise = Scope(current_user).get_enterprise(enterprise_id)
    try:
        assessment = services.start_application(current_user, enterprise)
    except PermissionDenied:
        abort(403)
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".enterprise", enterprise_id=enterprise.id))
    flash(_("Application started: give the evidence for each element, then submit it for review."), "success")
    return redirect(url_for(".assessment", assessment_id=assessment.id))


# --- one application -----------------------------------------------------------------------------
@bp.route("/assessments/<int:assessment_id>")
def assessment(assessment_id: int, status: int = 200, errors: dict | None = None):
    item = Scope(current_user).get_assessment(assessment_id)  # 404 outside the scope
    allowed = services.allowed_actions(current_user, item)
    users, agencies = services.reviewer_choices(current_user) if "assign" in allowed else ([], [])
    decided_certificate = item.certificate
    return render_template(
        "standardization/assessment.html", assessment=item, allowed=allowed, errors=errors or {},
        elements=services.elements(item), applicable=set(services.applicable_elements(item)),
        missing=set(services.missing_evidence(item)) if item.status == "draft" else set(),
        compared=services.comparison(item), timeline=events_of(assessment=item),
        vetoes=services.current_vetoes(item) if "decide" in allowed or item.status == "reviewed" else [],
        grade_options=services.grade_options(item) if "decide" in allowed else [],
        users=users, agencies=agencies, certificate=decided_certificate,
        is_reviewer=services.is_reviewer(current_user, item),
        max_photos=services.MAX_PHOTOS_PER_ELEMENT), status


def _photos() -> list:
    return [(f.filename, f.stream) for f in request.files.getlist("photos") if f and f.filename]


ACTIONS = {
    "submit": lambda a, v: services.submit_application(current_user, a, v),
    "withdraw": lambda a, v: services.withdraw(current_user, a, request.form.get("reason"), v),
    "return": lambda a, v: services.return_application(current_user, a, request.form.get("reason"), v),
    "assign": lambda a, v: services.assign_reviewer(current_user, a, *_reviewer(request.form.get("reviewer", "")), v),
    "decide": lambda a, v: services.decide(current_user, a, request.form.get("decision") == "grant",
                                           request.form.get("grade") or None, request.form.get("reason"), v),
}
MESSAGES = {
    "submit": _l("Submitted for review."), "withdraw": _l("Application withdrawn."),
    "return": _l("Returned to the enterprise."), "assign": _l("Reviewer assigned."), "decide": _l("Decision recorded."),
}


def _reviewer(value: str) -> tuple[int | None, int | None]:
    """The reviewer field: "user:<id>" or "agency:<id>"."""
    kind, _sep, raw = value.partition(":")
    number = _int(raw)
    return (number, None) if kind == "user" else (None, number) if kind == "agency" else (None, None)


def _run_step(assessment_id: int, step, done_message, target):
    item = Scope(current_user).get_assessment(assessment_id)
    failed = attempt(lambda: step(item), target)
    if failed is None:
        flash(str(done_message), "success")
    return failed


@bp.route("/assessments/<int:assessment_id>/evidence/<element_id>", methods=["POST"])
def evidence(assessment_id: int, element_id: str):
    remove = request.form.getlist("remove")
    failed = _run_step(assessment_id, lambda a: services.save_evidence(
        current_user, a, element_id, request.form.get("note"), _photos(), remove, _version()),
        _("Evidence saved."), lambda **kw: assessment(assessment_id, **kw))
    return failed or redirect(url_for(".assessment", assessment_id=assessment_id) + f"#element-{element_id}")


@bp.route("/assessments/<int:assessment_id>/<action>", methods=["POST"])
def act(assessment_id: int, action: str):
    handler = ACTIONS.get(action)
    if handler is None:
        abort(404)
    failed = _run_step(assessment_id, lambda a: handler(a, _version()), MESSAGES[action],
                       lambda **kw: assessment(assessment_id, **kw))
    return failed or redirect(url_for(".assessment", assessment_id=assessment_id))


# --- the review ----------------------------------------------------------------------------------
@bp.route("/assessments/<int:assessment_id>/review", methods=["GET", "POST"])
def review(assessment_id: int, status: int = 200, errors: dict | None = None):
    item = Scope(current_user).get_assessment(assessment_id)
    if not services.is_reviewer(current_user, item):
        abort(403)
    if request.method == "POST" and status == 200:
        checklist = services.definition_of(item)
        answers, notes, _evidence = from_form(checklist, request.form)
        submit = request.form.get("do") == "submit"
        step = (lambda a: services.submit_review(current_user, a, answers, notes, _version())) if submit else \
            (lambda a: services.save_review(current_user, a, answers, notes, _version()))
        failed = _run_step(assessment_id, step, _("Review submitted.") if submit else _("Scores saved."),
                           lambda **kw: review(assessment_id, **kw))
        if failed:
            return failed
        return redirect(url_for(".assessment", assessment_id=assessment_id) if submit
                        else url_for(".review", assessment_id=assessment_id))
    if item.status != "in_review":
        return redirect(url_for(".assessment", assessment_id=assessment_id))
    return render_template("standardization/review.html", assessment=item, compared=services.comparison(item),
                           preview=services.review_preview(item), errors=errors or {},
                           evidence=item.evidence or {}), status


# --- certificates ----------------------------------------------------------------------------------
@bp.route("/certificates/<int:certificate_id>")
def certificate(certificate_id: int, status: int = 200, errors: dict | None = None):
    item = Scope(current_user).get_certificate(certificate_id)
    can_decide = Scope(current_user).can_decide_grades() and item.status == "valid"
    return render_template("standardization/certificate.html", certificate=item, can_decide=can_decide,
                           lower=grading.rules().lower_grades(item.grade), timeline=certificates.certificate_timeline(item),
                           errors=errors or {}), status


CERTIFICATE_ACTIONS = {
    "keep": lambda c, v: certificates.keep(current_user, c, request.form.get("reason"), v),
    "downgrade": lambda c, v: certificates.downgrade(current_user, c, request.form.get("grade"),
                                                     request.form.get("reason"), v),
    "revoke": lambda c, v: certificates.revoke(current_user, c, request.form.get("reason"), v),
}


@bp.route("/certificates/<int:certificate_id>/<action>", methods=["POST"])
def certificate_act(certificate_id: int, action: str):
    handler = CERTIFICATE_ACTIONS.get(action)
    if handler is None:
        abort(404)
    item = Scope(current_user).get_certificate(certificate_id)
    done = []
    failed = attempt(lambda: done.append(handler(item, _version())),
                     lambda **kw: certificate(certificate_id, **kw))
    if failed is not None:
        return failed
    result = done[0]
    flash({"keep": _("The certificate is kept; the flag is cleared."),
           "downgrade": _("Downgraded: certificate %(number)s issued.", number=result.number),
           "revoke": _("The certificate is revoked.")}[action], "success")
    return redirect(url_for(".certificate", certificate_id=result.id))


# --- PDFs --------------------------------------------------------------------------------------------
def _pdf(content: bytes, filename: str) -> Response:
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"})


@bp.route("/assessments/<int:assessment_id>/report.pdf")
def report_pdf(assessment_id: int):
    item = Scope(current_user).get_assessment(assessment_id)
    return _pdf(reports.score_report_pdf(item), f"standardization-report-{item.id}.pdf")


@bp.route("/certificates/<int:certificate_id>.pdf")
def certificate_pdf(certificate_id: int):
    item = Scope(current_user).get_certificate(certificate_id)
    return _pdf(reports.certificate_pdf(item), f"standardization-certificate-{item.id}.pdf")
