"""The hazard board pages: the filtered list with counts per street, one enterprise's hazard history,
and the .xlsx export of the same list."""
from __future__ import annotations

from flask import current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from safetylist.auth.scope import Scope
from safetylist.errors import ValidationFailed
from safetylist.i18n import local_name
from safetylist.remediation import board as hazard_board
from safetylist.remediation import escalation
from safetylist.remediation.labels import SEVERITY_LABELS, SOURCE_LABELS, STATUS_LABELS
from safetylist.remediation.views import bp
from safetylist.timeutil import local_today


def _page_number() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _per_page() -> int:
    value = request.args.get("per_page", "")
    return min(int(value), 200) if value.isdigit() and 0 < len(value) < 4 and int(value) > 0 \
        else current_app.config["PAGE_SIZE"]


def _parse():
    """Filters, sort and the enterprise whose history is asked for (404 outside the scope) from the query
    string; every unknown value is reported at once."""
    errors: dict[str, str] = {}
    try:
        filters = hazard_board.HazardFilters.from_args(request.args)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        filters = hazard_board.HazardFilters()
    try:
        sort = hazard_board.sort_from_args(request.args, filters)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    enterprise = Scope(current_user).get_enterprise(filters.enterprise_id) if filters.enterprise_id else None
    return filters, sort, enterprise


def _chosen(filters: hazard_board.HazardFilters, choices: dict) -> list[str]:
    """The filters in use, in words, shown next to the count while the filter form stays folded."""
    words = []
    for items, value in ((choices["streets"], filters.street_id), (choices["communities"], filters.community_id),
                         (choices["sectors"], filters.sector_id)):
        words += [local_name(item) for item in items if item.id == value]
    if filters.severity:
        words.append(str(SEVERITY_LABELS[filters.severity]))
    if filters.status in STATUS_LABELS:
        words.append(str(STATUS_LABELS[filters.status]))
    if filters.source:
        words.append(str(SOURCE_LABELS[filters.source]))
    if filters.overdue:
        words.append(_("Overdue"))
    if filters.escalated:
        words.append(_("Escalated"))
    if filters.q:
        words.append(f"“{filters.q}”")
    return words


def _render(status: int = 200, **context):
    choices = hazard_board.filter_choices(current_user)
    return render_template("remediation/board.html", sorts=hazard_board.SORTS,
                           places=hazard_board.filters_by_place(current_user),
                           today=local_today(), escalations=escalation.escalations, **choices,
                           chosen=_chosen(context["filters"], choices), **context), status


def _invalid(errors: dict[str, str]):
    """The board with the reasons the filters were refused, and no list."""
    return _render(400, page=None, filters=hazard_board.HazardFilters(), sort="deadline", errors=errors,
                   enterprise=None, counts=[], query_args={})


@bp.route("/", endpoint="board")
def board_page():
    try:
        filters, sort, enterprise = _parse()
    except ValidationFailed as exc:
        return _invalid(exc.errors)
    page = hazard_board.list_hazards(current_user, filters, page=_page_number(), per_page=_per_page(), sort=sort)
    counts = hazard_board.street_counts(current_user, filters) \
        if hazard_board.shows_street_counts(current_user) and not filters.enterprise_id else []
    return _render(page=page, filters=filters, sort=sort, errors={}, enterprise=enterprise, counts=counts,
                   query_args={k: v for k, v in request.args.items(multi=True) if k != "page"})


@bp.route("/export.xlsx", endpoint="board_export")
def board_export():
    try:
        filters, sort, _enterprise = _parse()
    except ValidationFailed as exc:
        return _invalid(exc.errors)
    stream = hazard_board.export_hazards(current_user, filters, sort)
    return send_file(stream, as_attachment=True, mimetype=hazard_board.XLSX,
                     download_name=f"hazards-{local_today().isoformat()}.xlsx")
