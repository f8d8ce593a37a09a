"""Filling checklists: start or resume a run, save answers (also from an offline device), submit,
see the result and the history. Thin views over the runs service."""
from __future__ import annotations

import json
import uuid

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from safetylist.auth.scope import Scope
from safetylist.checklists import answer_forms, runs
from safetylist.checklists.engine import item_outcome
from safetylist.checklists.expressions import as_json, parse
from safetylist.checklists.models import ChecklistRun
from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.grid import checkin
from safetylist.registry.models import Enterprise
from safetylist.registry.services import Page
from safetylist.remediation.models import Hazard

bp = Blueprint("runs", __name__, url_prefix="/runs")


@bp.before_request
@login_required
def require_login():
    pass


@bp.context_processor
def _subject():
    from safetylist.agencies.spotchecks import spot_check_of_run
    return {"spot_check_of": spot_check_of_run}  # a spot check's run names the project it inspects


@bp.route("/start", methods=["POST"])
def start():
    key = request.form.get("checklist", "")
    enterprise = None
    if request.form.get("enterprise_id", "").isdigit():
        enterprise = Scope(current_user).get_enterprise(int(request.form["enterprise_id"]))
    try:
        if enterprise is not None and key == current_app.config["SITE_INSPECTION_CHECKLIST"]:
            # A site inspection records a check-in (not on site: that takes the site's QR poster).
            run = checkin.start_site_inspection(current_user, enterprise, checkin.parse_check_in(request.form))
        else:
            run = runs.start_run(current_user, key, enterprise, agency_id=current_user.agency_id
                                 if enterprise is None else None)
    except PermissionDenied:
        abort(403)
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("home.index"))
    return redirect(url_for(".show", run_id=run.id))


def _state(run: ChecklistRun) -> dict:
    return {"answers": run.answers, "notes": run.notes, "evidence": run.evidence, "lock_version": run.lock_version}


def fill_sections(run: ChecklistRun) -> list[dict]:
    """What the fill page shows: every item with its current answer, visibility and failure."""
    checklist = runs.definition(run)
    visible = set(runs.preview(run).visible)
    sections = []
    for section in checklist.sections:
        items = []
        elements = {element.id: element for element in section.elements or ()}
        previous = None
        for item in section.items:
            value = run.answers.get(item.id)
            items.append({
                # an element's heading goes before the first of its items
                "element": elements.get(item.element) if item.element != previous else None,
                "item": item, "value": value, "note": run.notes.get(item.id, ""),
                "evidence": run.evidence.get(item.id, []), "visible": item.id in visible,
                "failing": value is not None and item_outcome(item, value) == "fail",
                "condition": json.dumps(as_json(parse(item.show_if)), ensure_ascii=False) if item.show_if else "",
            })
            previous = item.element
        sections.append({"section": section, "items": items})
    return sections


@bp.route("/<int:run_id>")
def show(run_id: int):
    run = Scope(current_user).get_run(run_id)
    if runs.can_fill(current_user, run):
        return render_template("runs/fill.html", run=run, checklist=runs.definition(run),
                               sections=fill_sections(run), submission_key=uuid.uuid4().hex, errors={})
    return _result(run)


def _result(run: ChecklistRun):
    hazards = db.session.scalars(select(Hazard).where(Hazard.run_id == run.id).order_by(Hazard.deadline)).all()
    return render_template("runs/result.html", run=run, checklist=runs.definition(run),
                           sections=fill_sections(run), hazards=hazards)


@bp.route("/<int:run_id>/answers", methods=["POST"])
def save(run_id: int):
    """Autosave from the fill page (JSON). A stale base answers 409 with the current state to merge."""
    run = Scope(current_user).get_run(run_id)
    body = request.get_json(silent=True) or {}
    answers, notes, evidence = answer_forms.from_json(body)
    expected = body.get("lock_version")
    try:
        runs.save_answers(current_user, run, answers, notes, evidence,
                          expected_version=expected if isinstance(expected, int) else None)
    except ValidationFailed as exc:
        return jsonify(error=_("Some answers could not be saved."), errors=exc.errors), 400
    except StaleObject as exc:
        db.session.rollback()
        db.session.refresh(run)
        return jsonify(error=str(exc), state=_state(run)), 409
    except PermissionDenied:
        abort(403)
    except DomainError as exc:
        return jsonify(error=str(exc), submitted=run.submitted,
                       url=url_for(".show", run_id=run.id)), 409
    return jsonify(_state(run))


@bp.route("/<int:run_id>/state")
def state(run_id: int):
    run = Scope(current_user).get_run(run_id)
    return jsonify({**_state(run), "status": run.status})


@bp.route("/<int:run_id>/submit", methods=["POST"])
def submit(run_id: int):
    """Submit from the page (form) or from the device's queue (JSON, with its submission key)."""
    run = Scope(current_user).get_run(run_id)
    body = request.get_json(silent=True) if request.is_json else None
    checklist = runs.definition(run)
    if body is not None:
        answers, notes, evidence = answer_forms.from_json(body)
        key = str(body.get("submission_key") or "")[:64] or None
    else:
        answers, notes, evidence = answer_forms.from_form(checklist, request.form)
        key = request.form.get("submission_key", "")[:64] or None
    try:
        runs.submit_run(current_user, run, answers, notes, evidence, submission_key=key)
    except ValidationFailed as exc:
        if body is not None:
            return jsonify(error=_("Please answer the marked items."), errors=exc.errors), 400
        flash(_("Please answer the marked items."), "error")
        return render_template("runs/fill.html", run=run, checklist=checklist, sections=fill_sections(run),
                               submission_key=key or uuid.uuid4().hex, errors=exc.errors), 400
    except PermissionDenied:
        abort(403)
    except DomainError as exc:
        if body is not None:
            return jsonify(error=str(exc), url=url_for(".show", run_id=run.id)), 409
        flash(str(exc), "error")
        return redirect(url_for(".show", run_id=run.id))
    url = url_for(".show", run_id=run.id)
    if body is not None:
        return jsonify(url=url, score=run.score, passed=run.passed)
    flash(_("Submitted."), "success")
    return redirect(url)


@bp.route("/")
def history():
    """Submitted runs in the user's scope, newest first."""
    query = Scope(current_user).runs().where(ChecklistRun.status == "submitted")
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page_no = max(1, request.args.get("page", 1, type=int))
    per_page = 30
    items = db.session.scalars(query.order_by(ChecklistRun.submitted_at.desc(), ChecklistRun.id.desc())
                               .limit(per_page).offset((page_no - 1) * per_page)).all()
    names = dict(db.session.execute(select(Enterprise.id, Enterprise.name).where(
        Enterprise.id.in_({r.enterprise_id for r in items if r.enterprise_id}))).all())
    return render_template("runs/history.html", page=Page(list(items), total, page_no, per_page), names=names)
