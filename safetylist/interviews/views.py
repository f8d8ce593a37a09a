"""Interview pages (bp "interviews", /interviews): the list and calendar, planning, the
interview page with its steps, the notice PDF; suggestions and counts live in their own route
modules, imported at the bottom."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext as _
from flask_login import current_user, login_required

from safetylist.auth.scope import Scope
from safetylist.errors import ValidationFailed
from safetylist.extensions import db
from safetylist.i18n import local_name
from safetylist.interviews import agenda, forms, notice, services
from safetylist.interviews.accidents import category_name
from safetylist.interviews.labels import interview_labels
from safetylist.registry.services import EnterpriseFilters, list_enterprises
from safetylist.timeutil import local_today, to_local, utcnow
from safetylist.web import attempt, call_service

bp = Blueprint("interviews", __name__, url_prefix="/interviews")


@bp.before_request
@login_required
def require_login():
    pass


def _page_number() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and len(value) < 7 else 1


# --- the agenda ----------------------------------------------------------------------------------
@bp.route("/")
def index():
    scope = Scope(current_user)
    if not scope.can_see_enterprises():  # agency staff take no part in interviews
        abort(403)
    streets = db.session.scalars(scope.streets()).all()
    try:
        filters = agenda.InterviewFilters.from_args(request.args)
    except ValidationFailed as exc:
        return render_template("interviews/index.html", page=None, days=[], filters=agenda.InterviewFilters(),
                               errors=exc.errors, streets=streets, query_args={}, **_context()), 400
    page = agenda.list_interviews(current_user, filters, page=_page_number(),
                                  per_page=current_app.config["PAGE_SIZE"])
    return render_template("interviews/index.html", page=page, days=agenda.by_day(page.items), filters=filters,
                           errors={}, streets=streets,
                           query_args={k: v for k, v in request.args.items() if k != "page" and v}, **_context())


def _context() -> dict:
    return {"labels": interview_labels(), "views": agenda.VIEWS, "today": local_today(), "now": utcnow(),
            "day_label": lambda day: format_date(day, "full"), "hm": lambda moment: f"{to_local(moment):%H:%M}"}


# --- planning ------------------------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
def new_interview():
    scope = Scope(current_user)
    if not scope.can_plan_interviews():
        abort(403)
    enterprise_id = request.values.get("enterprise_id", "")
    enterprise = scope.get_enterprise(int(enterprise_id)) if enterprise_id.isdigit() else None  # 404 outside
    authority = enterprise is None and request.values.get("party", request.values.get("party_kind")) == "authority"
    if enterprise is None and not authority:
        q = request.args.get("q", "").strip()[:100]
        found = list_enterprises(current_user, EnterpriseFilters(q=q), per_page=20) if q else None
        return render_template("interviews/choose.html", q=q, found=found)

    defaults = services.planning_defaults(current_user, enterprise)
    form = forms.PlanInterviewForm(data={"party_kind": "authority" if authority else "enterprise",
                                         "enterprise_id": enterprise.id if enterprise else "", **defaults})
    streets = db.session.scalars(scope.streets()).all()
    form.street_id.choices = ([(None, _("The whole district"))] if len(streets) > 1 else []) + [
        (s.id, local_name(s)) for s in streets]
    accidents = services.candidate_accidents(current_user, enterprise)
    hazards = services.candidate_hazards(current_user, enterprise)
    status = None
    if request.method == "POST":
        if form.validate_on_submit():
            created = []
            status = call_service(lambda: created.append(services.plan_interview(
                current_user, party_kind="authority" if authority else "enterprise", enterprise=enterprise,
                authority_name=form.authority_name.data, street_id=form.street_id.data,
                planned_at=form.planned_at_utc(), place=form.place.data,
                interviewing_unit=form.interviewing_unit.data, officials=form.officials.data,
                attendees_required=form.attendees_required.data, reasons=form.reasons.data,
                accident_ids=form.accident_ids.data, hazard_ids=form.hazard_ids.data)), form, _show_errors)
            if status is None:
                flash(_("Interview planned. Issue its notice when the details are settled."), "success")
                return redirect(url_for(".detail", interview_id=created[0].id))
        else:
            status = 400
    return render_template("interviews/form.html", form=form, enterprise=enterprise, authority=authority,
                           accidents=accidents, hazards=hazards, streets=streets,
                           chosen_accidents=set(form.accident_ids.data or ()),
                           chosen_hazards=set(form.hazard_ids.data or ()), labels=interview_labels(),
                           category_name=category_name), status or 200


def _show_errors(form, errors: dict[str, str]) -> None:
    for name, reason in errors.items():
        if name in form and name not in ("party_kind", "enterprise_id"):
            form[name].errors = list(form[name].errors or []) + [reason]
        else:
            flash(reason, "error")


# --- one interview -------------------------------------------------------------------------------
@bp.route("/<int:interview_id>")
def detail(interview_id: int, status: int = 200, errors: dict | None = None):
    interview = Scope(current_user).get_interview(interview_id)  # 404 outside the scope
    events = services.timeline(interview)
    allowed = services.allowed_actions(current_user, interview)
    authority_commitments = [item for event in events if event.action == "commitments"
                             for item in event.details.get("items", ())] if interview.enterprise_id is None else []
    return render_template(
        "interviews/interview.html", interview=interview, timeline=events, allowed=allowed, errors=errors or {},
        commitments=interview.commitments, authority_commitments=authority_commitments,
        open_commitments=services.open_commitments(interview), today=local_today(),
        planned_local=to_local(interview.planned_at), now_local=to_local(utcnow()),
        rows=range(forms.COMMITMENT_ROWS), max_photos=services.MAX_PHOTOS, max_minutes=services.MAX_MINUTES,
        labels=interview_labels(), category_name=category_name,
        photos=[ref for event in events for ref in event.details.get("photos", ())]), status


def _photos() -> list:
    return [(f.filename, f.stream) for f in request.files.getlist("photos") if f and f.filename]


ACTIONS = {
    "notice": lambda i, v: services.issue_notice(current_user, i, v),
    "reschedule": lambda i, v: services.reschedule(current_user, i, forms.local_moment(request.form, "planned_at"),
                                                   request.form.get("reason"), v),
    "cancel": lambda i, v: services.cancel(current_user, i, request.form.get("reason"), v),
    "held": lambda i, v: services.record_held(current_user, i, forms.local_moment(request.form, "held_at"),
                                              request.form.get("attendees"), request.form.get("minutes"),
                                              _photos(), v),
    "supplement": lambda i, v: services.add_supplement(current_user, i, request.form.get("supplement"), _photos(), v),
    "commitments": lambda i, v: services.record_commitments(current_user, i, forms.commitments(request.form), v),
    "close": lambda i, v: services.close(current_user, i, request.form.get("note"),
                                         request.form.get("despite_open") == "yes", v),
}


@bp.route("/<int:interview_id>/<action>", methods=["POST"])
def act(interview_id: int, action: str):
    """Every step: the service checks role, scope, state and version; the page says why not."""
    handler = ACTIONS.get(action)
    if handler is None:
        abort(404)
    interview = Scope(current_user).get_interview(interview_id)
    failed = attempt(lambda: handler(interview, forms.version(request.form)),
                     lambda **kw: detail(interview_id, **kw))
    if failed is not None:
        return failed
    if action == "notice":
        flash(_("Interview notice %(number)s issued.", number=interview.notice_number), "success")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for(".detail", interview_id=interview_id))


@bp.route("/<int:interview_id>/notice.pdf")
def notice_pdf(interview_id: int):
    interview = Scope(current_user).get_interview(interview_id)  # 404 unless the user sees the interview
    if interview.notice_number is None or interview.status == "cancelled":  # none issued, or void
        abort(404)
    return Response(notice.notice_pdf(interview), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="interview-notice-{interview.notice_unit}-'
                               f'{interview.notice_year}-{interview.notice_sequence:03d}.pdf"',
        "Cache-Control": "private, no-store",
    })


from safetylist.interviews import suggestion_views  # noqa: E402,F401  (routes on this blueprint)
