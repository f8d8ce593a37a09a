"""An agency's practice self-check from start to the closed hazard, when the next one is due, and the
district's calls for self-checks (safetylist/agencies/selfchecks.py over checklists/runs.py)."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safetylist.agencies import selfchecks
from safetylist.agencies.models import SelfCheckCall
from safetylist.auth.scope import Scope
from safetylist.checklists import runs, versions
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.remediation import services as remediation
from safetylist.remediation.models import Hazard, HazardEvent
from safetylist.timeutil import local_today
from tests.agencies.conftest import answers_for

pytestmark = pytest.mark.usefixtures("english")
KEY = "agency-practice"


def quarter_end(day: date) -> date:
    last_month = 3 * ((day.month - 1) // 3) + 3
    return date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def next_quarter_end(day: date) -> date:
    return quarter_end(quarter_end(day) + timedelta(days=1))


@pytest.fixture
def practice():
    return versions.entry(KEY).definition


def self_check(staff, agency, definition, fail: dict | None = None):
    run = runs.start_run(staff, KEY, None, agency_id=agency.id)
    return runs.submit_run(staff, run, answers_for(definition, fail))


def due_row(agency, today=None) -> selfchecks.SelfCheckDue:
    [row] = selfchecks.due_for_agencies([agency.id], today)[agency.id]
    return row


# --- the whole way ------------------------------------------------------------------------------
def test_a_failed_self_check_opens_an_agency_hazard_the_agency_fixes_and_the_district_closes(agencies, practice):
    staff, agency = agencies["agency_staff"], agencies["agency"]
    run = runs.start_run(staff, KEY, None, agency_id=agency.id)
    assert (run.status, run.agency_id, run.enterprise_id, run.version.checklist_key) == \
        ("draft", agency.id, None, KEY)
    answers = answers_for(practice, fail={"qualification-valid": "fail"})
    # every item is visible with reports issued this quarter, and every one is answered
    assert set(answers) == {item.id for _s, item in practice.all_items()}
    assert runs.preview(run).complete is False
    submission = runs.submit_run(staff, run, answers, notes={"qualification-valid": "专职评价师人数不足"})
    assert run.status == "submitted" and run.result["findings"] == ["qualification-valid"]
    assert run.result["failed"] == ["qualification-valid"]

    [hazard] = submission.hazards
    assert (hazard.agency_id, hazard.enterprise_id, hazard.source, hazard.severity, hazard.status) == \
        (agency.id, None, "agency_self_check", "major", "open")
    assert (hazard.checklist_item, hazard.run_id, hazard.description) == \
        ("qualification-valid", run.id, "专职评价师人数不足")
    assert hazard.deadline == hazard.found_on == local_today()  # fix_within_days: 0
    assert hazard.notify == ["agency", "district_regulator"]
    assert hazard.title.startswith("机构资质证书是否在有效期内")
    assert db.session.scalars(select(Hazard)).all() == [hazard]

    # Street regulators supervise enterprises of their street, not agencies.
    street = agencies["street_regulator"]
    assert db.session.scalars(Scope(street).hazards()).all() == []
    assert remediation.allowed_actions(street, hazard) == set()
    assert db.session.scalars(Scope(agencies["other_staff"]).hazards()).all() == []
    assert db.session.scalars(Scope(staff).hazards()).all() == [hazard]

    assert "submit_rectification" in remediation.allowed_actions(staff, hazard)
    remediation.submit_rectification(staff, hazard, "已补充聘用两名专职安全评价师并完成登记。")
    assert hazard.status == "rectification_submitted"
    with pytest.raises(PermissionDenied):
        remediation.verify(street, hazard)
    with pytest.raises(PermissionDenied):  # a party does not close its own hazard
        remediation.verify(staff, hazard)
    district = agencies["district_regulator"]
    remediation.verify(district, hazard, "现场核查属实。")
    assert (hazard.status, hazard.closed_by_id) == ("closed", district.id)
    timeline = db.session.scalars(select(HazardEvent.action).where(HazardEvent.hazard_id == hazard.id)
                                  .order_by(HazardEvent.id)).all()
    assert timeline == ["opened", "rectification_submitted", "verified"]


def test_other_agencies_staff_cannot_rectify_the_hazard(agencies, practice):
    [hazard] = self_check(agencies["agency_staff"], agencies["agency"], practice,
                          {"work-subcontracted": "yes"}).hazards
    assert (hazard.checklist_item, hazard.severity) == ("work-subcontracted", "major")
    with pytest.raises(PermissionDenied):
        remediation.submit_rectification(agencies["other_staff"], hazard, "不是我们的")
    assert hazard.status == "open"


def test_a_clean_self_check_opens_nothing_and_passes(agencies, practice):
    submission = self_check(agencies["agency_staff"], agencies["agency"], practice)
    assert submission.hazards == [] and submission.run.passed is True and submission.run.score == 100
    assert db.session.scalars(select(Hazard)).all() == []


def test_with_no_reports_this_quarter_the_project_questions_are_hidden(agencies, practice):
    staff, agency = agencies["agency_staff"], agencies["agency"]
    run = runs.start_run(staff, KEY, None, agency_id=agency.id)
    shown = [item.id for _s, item in practice.all_items() if item.show_if is None]
    answers = {k: v for k, v in answers_for(practice, projects=0).items() if k in shown}
    runs.submit_run(staff, run, answers)
    assert run.status == "submitted" and set(run.answers) == set(shown)
    assert "within-scope" not in run.answers and run.answers["projects-this-quarter"] == 0


def test_only_the_agencys_own_staff_start_its_self_check(agencies):
    with pytest.raises(PermissionDenied):
        runs.start_run(agencies["other_staff"], KEY, None, agency_id=agencies["agency"].id)
    with pytest.raises(PermissionDenied):
        runs.start_run(agencies["district_regulator"], KEY, None, agency_id=agencies["agency"].id)


# --- when it is due -----------------------------------------------------------------------------
def test_never_submitted_is_due_at_the_end_of_this_quarter_then_the_next(agencies, practice):
    agency, today = agencies["agency"], local_today()
    row = due_row(agency)
    assert (row.key, row.due_on, row.last_submitted_on, row.overdue, row.calls, row.draft_run_id) == \
        (KEY, quarter_end(today), None, False, [], None)
    draft = runs.start_run(agencies["agency_staff"], KEY, None, agency_id=agency.id)
    assert due_row(agency).draft_run_id == draft.id
    runs.submit_run(agencies["agency_staff"], draft, answers_for(practice))
    row = due_row(agency)
    assert (row.due_on, row.last_submitted_on, row.overdue, row.draft_run_id) == \
        (next_quarter_end(today), today, False, None)
    # the other agency has filed nothing: due at the end of this quarter still
    assert due_row(agencies["other"]).due_on == quarter_end(today)


def test_a_self_check_not_filed_by_the_end_of_next_quarter_is_overdue(agencies, practice):
    agency, today = agencies["agency"], local_today()
    self_check(agencies["agency_staff"], agency, practice)
    deadline = next_quarter_end(today)
    assert due_row(agency, deadline).overdue is False
    late = due_row(agency, deadline + timedelta(days=1))
    assert (late.due_on, late.overdue) == (deadline, True)
    never = due_row(agencies["other"], deadline + timedelta(days=1))  # never filed: due this (later) quarter
    assert (never.due_on, never.overdue) == (quarter_end(deadline + timedelta(days=1)), False)


def test_a_call_pulls_the_due_date_forward_until_a_self_check_answers_it(agencies, practice):
    agency, district, today = agencies["agency"], agencies["district_regulator"], local_today()
    call = selfchecks.call_self_checks(district, "  危化品领域专项整治  ", today, reason="专项整治行动")
    assert (call.title, call.due_on, call.reason, call.called_by_id) == \
        ("危化品领域专项整治", today, "专项整治行动", district.id)
    row = due_row(agency)
    assert (row.due_on, [c.id for c in row.calls]) == (min(today, quarter_end(today)), [call.id])
    assert due_row(agencies["other"]).calls == [call]  # every agency is called

    self_check(agencies["agency_staff"], agency, practice)  # answers the call
    row = due_row(agency)
    assert (row.due_on, row.calls) == (next_quarter_end(today), [])
    assert [c.id for c in due_row(agencies["other"]).calls] == [call.id]

    later = selfchecks.call_self_checks(district, "节前安全检查", today + timedelta(days=10))
    row = due_row(agency)  # made after the last self-check: due again, sooner than the schedule
    assert (row.due_on, [c.id for c in row.calls]) == (today + timedelta(days=10), [later.id])
    other = due_row(agencies["other"])
    assert (other.due_on, [c.id for c in other.calls]) == (today, [call.id, later.id])


def test_a_call_overdue_makes_the_self_check_overdue(agencies):
    """A call made earlier whose day has passed (stored directly: the service refuses past days)."""
    today = local_today()
    db.session.add(SelfCheckCall(title="旧的专项整治", due_on=today - timedelta(days=5)))
    db.session.commit()
    row = due_row(agencies["agency"])
    assert (row.due_on, row.overdue) == (today - timedelta(days=5), True)


def test_a_call_due_over_a_year_ago_is_no_longer_open(agencies):
    today = local_today()
    db.session.add_all([SelfCheckCall(title="太久以前", due_on=today - timedelta(days=367)),
                        SelfCheckCall(title="一年内", due_on=today - timedelta(days=366))])
    db.session.commit()
    assert [c.title for c in selfchecks.open_calls()] == ["一年内"]
    assert due_row(agencies["agency"]).due_on == today - timedelta(days=366)


def test_due_dates_for_another_day_use_that_day_for_the_open_calls(agencies):
    """due_for_agencies(ids, today) judges which calls are still open as of `today`, not the real date."""
    today = local_today()
    selfchecks.call_self_checks(agencies["district_regulator"], "专项整治", today)
    later = today + timedelta(days=400)  # the call is then overdue by 400 days: no longer open
    assert selfchecks.open_calls(later) == []
    row = due_row(agencies["agency"], later)
    assert (row.due_on, row.calls) == (quarter_end(later), [])


# --- calling self-checks ------------------------------------------------------------------------
@pytest.mark.parametrize("title, due_in, fields", [
    ("", 5, {"title"}),
    ("   ", 5, {"title"}),
    ("专项整治", -1, {"due_on"}),
    ("", -1, {"title", "due_on"}),
    ("专项整治", None, {"due_on"}),
    ("长" * 201, 5, {"title"}),
])
def test_call_validation_names_the_fields(agencies, title, due_in, fields):
    due_on = None if due_in is None else local_today() + timedelta(days=due_in)
    with pytest.raises(ValidationFailed) as refused:
        selfchecks.call_self_checks(agencies["district_regulator"], title, due_on)
    assert set(refused.value.errors) == fields
    assert db.session.scalars(select(SelfCheckCall)).all() == []


def test_call_messages(agencies):
    with pytest.raises(ValidationFailed) as refused:
        selfchecks.call_self_checks(agencies["district_regulator"], "", local_today() - timedelta(days=1),
                                    reason="x" * 2001)
    assert refused.value.errors == {
        "title": "Say what the self-check is for (e.g. the campaign's name).",
        "due_on": "The day is in the past.",
        "reason": "At most 2000 characters."}


@pytest.mark.parametrize("role", ["admin", "street_regulator", "agency_staff", "officer", "grid_worker"])
def test_only_district_regulators_call_self_checks(agencies, role):
    with pytest.raises(PermissionDenied):
        selfchecks.call_self_checks(agencies[role], "专项整治", local_today() + timedelta(days=3))
    assert db.session.scalars(select(SelfCheckCall)).all() == []


def test_submitted_self_checks_follow_the_scope(agencies, practice):
    first = self_check(agencies["agency_staff"], agencies["agency"], practice).run
    second = self_check(agencies["agency_staff"], agencies["agency"], practice).run
    assert selfchecks.submitted_self_checks(agencies["district_regulator"], agencies["agency"]) == [second, first]
    assert selfchecks.submitted_self_checks(agencies["agency_staff"], agencies["agency"]) == [second, first]
    assert selfchecks.submitted_self_checks(agencies["other_staff"], agencies["agency"]) == []
    assert selfchecks.submitted_self_checks(agencies["street_regulator"], agencies["agency"]) == []
    assert selfchecks.self_checks_since(local_today()) == {agencies["agency"].id: 2}
    assert selfchecks.self_checks_since(local_today() + timedelta(days=1)) == {}
