"""What each role sees of the agency registry, projects, spot checks and agency hazards, and what it
may do there (safetylist/auth/scope.py, agency section)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.exceptions import NotFound

from safetylist.agencies import spotchecks
from safetylist.agencies.models import EvaluationProject, SpotCheck, SpotCheckDraw
from safetylist.auth.scope import Scope
from safetylist.checklists import runs, versions
from safetylist.extensions import db
from safetylist.registry.models import Enterprise
from safetylist.remediation.models import Hazard
from safetylist.timeutil import local_today
from tests.agencies.conftest import answers_for

pytestmark = pytest.mark.usefixtures("english")


def agency_names(user) -> set[str]:
    return {a.name for a in db.session.scalars(Scope(user).agencies())}


@pytest.fixture
def projects(agencies, make_project):
    """One project per (agency, enterprise): {("agency"|"other", "e_a1"|"e_a2"|"e_b1"): project}."""
    day = local_today() - timedelta(days=30)
    return {(a, e): make_project(agencies[a], agencies[e], day) for a in ("agency", "other")
            for e in ("e_a1", "e_a2", "e_b1")}


# --- the registry -------------------------------------------------------------------------------
@pytest.mark.parametrize("role, visible", [
    ("agency_staff", {"测试评价机构"}),
    ("other_staff", {"乙方安全技术咨询有限公司"}),
    ("district_regulator", {"测试评价机构", "乙方安全技术咨询有限公司"}),
    ("admin", {"测试评价机构", "乙方安全技术咨询有限公司"}),
    ("street_regulator", {"测试评价机构", "乙方安全技术咨询有限公司"}),
    ("grid_worker", set()),
    ("officer", set()),
])
def test_who_sees_which_agencies(agencies, role, visible):
    assert agency_names(agencies[role]) == visible


def test_agency_staff_get_their_own_agency_and_404_for_another(agencies):
    scope = Scope(agencies["agency_staff"])
    assert scope.get_agency(agencies["agency"].id).id == agencies["agency"].id
    with pytest.raises(NotFound):
        scope.get_agency(agencies["other"].id)
    with pytest.raises(NotFound):
        Scope(agencies["grid_worker"]).get_agency(agencies["agency"].id)
    assert Scope(agencies["street_regulator"]).get_agency(agencies["other"].id).id == agencies["other"].id


@pytest.mark.parametrize("role, expected", [
    ("agency_staff", {("agency", "e_a1"), ("agency", "e_a2"), ("agency", "e_b1")}),
    ("other_staff", {("other", "e_a1"), ("other", "e_a2"), ("other", "e_b1")}),
    ("district_regulator", {(a, e) for a in ("agency", "other") for e in ("e_a1", "e_a2", "e_b1")}),
    ("admin", {(a, e) for a in ("agency", "other") for e in ("e_a1", "e_a2", "e_b1")}),
    ("street_regulator", {(a, e) for a in ("agency", "other") for e in ("e_a1", "e_a2")}),  # street A
    ("officer", {("agency", "e_a1"), ("other", "e_a1")}),                                  # own enterprise
    ("grid_worker", {("agency", "e_a1"), ("other", "e_a1")}),                              # grid A1
])
def test_who_sees_which_projects(agencies, projects, role, expected):
    seen = set(db.session.scalars(Scope(agencies[role]).projects().with_only_columns(EvaluationProject.id)))
    assert seen == {projects[key].id for key in expected}


def test_get_project_is_404_for_another_agencys_project(agencies, projects):
    scope = Scope(agencies["agency_staff"])
    assert scope.get_project(projects[("agency", "e_b1")].id).agency_id == agencies["agency"].id
    with pytest.raises(NotFound):
        scope.get_project(projects[("other", "e_a1")].id)
    with pytest.raises(NotFound):
        Scope(agencies["street_regulator"]).get_project(projects[("agency", "e_b1")].id)


def test_agency_staff_see_no_enterprise_but_may_name_any_for_a_project(agencies):
    staff = Scope(agencies["agency_staff"])
    everyone = {agencies[k].id for k in ("e_a1", "e_a2", "e_b1")}
    assert set(db.session.scalars(staff.enterprises().with_only_columns(Enterprise.id))) == set()
    assert set(db.session.scalars(staff.project_enterprises().with_only_columns(Enterprise.id))) == everyone
    street = Scope(agencies["street_regulator"])
    assert set(db.session.scalars(street.project_enterprises().with_only_columns(Enterprise.id))) == \
        {agencies["e_a1"].id, agencies["e_a2"].id}


# --- spot checks --------------------------------------------------------------------------------
@pytest.fixture
def spot_checks(agencies, projects):
    """A draw of every project; the spot checks of ("agency", "e_a1") and ("other", "e_a2") are
    inspected and submitted, the one of ("agency", "e_a2") is started, the rest planned."""
    district = agencies["district_regulator"]
    day = local_today() - timedelta(days=30)
    draw = spotchecks.draw_random(district, day, day, 100, seed="scope")
    by_project = {s.project_id: s for s in draw.spot_checks}
    checks = {key: by_project[project.id] for key, project in projects.items()}
    definition = versions.entry("agency-project-spot-check").definition
    for key in (("agency", "e_a1"), ("other", "e_a2")):
        run = spotchecks.start(district, checks[key])
        runs.submit_run(district, run, answers_for(definition))
    spotchecks.start(district, checks[("agency", "e_a2")])
    return draw, checks


def test_agency_staff_see_only_their_agencys_submitted_spot_checks(agencies, spot_checks):
    _draw, checks = spot_checks
    assert {checks[k].status for k in checks} == {"planned", "in_progress", "done"}
    def seen(role):
        return set(db.session.scalars(Scope(agencies[role]).spot_checks().with_only_columns(SpotCheck.id)))
    assert seen("agency_staff") == {checks[("agency", "e_a1")].id}
    assert seen("other_staff") == {checks[("other", "e_a2")].id}
    assert seen("district_regulator") == seen("admin") == {s.id for s in checks.values()}
    for role in ("street_regulator", "grid_worker", "officer"):
        assert seen(role) == set(), role
    with pytest.raises(NotFound):  # started, not yet submitted: the agency does not learn of it
        Scope(agencies["agency_staff"]).get_spot_check(checks[("agency", "e_a2")].id)
    with pytest.raises(NotFound):
        Scope(agencies["agency_staff"]).get_spot_check(checks[("other", "e_a2")].id)


def test_agency_staff_cannot_reach_the_run_of_a_spot_check_in_progress(agencies, spot_checks):
    _draw, checks = spot_checks
    in_progress = checks[("agency", "e_a2")]
    assert in_progress.status == "in_progress"
    with pytest.raises(NotFound):
        Scope(agencies["agency_staff"]).get_run(in_progress.run_id)


def test_agency_staff_reach_the_runs_of_their_finished_spot_checks(agencies, spot_checks):
    _draw, checks = spot_checks
    done = checks[("agency", "e_a1")]
    assert Scope(agencies["agency_staff"]).get_run(done.run_id).id == done.run_id
    with pytest.raises(NotFound):
        Scope(agencies["agency_staff"]).get_run(checks[("other", "e_a2")].run_id)


@pytest.mark.parametrize("role, sees", [("district_regulator", True), ("admin", True), ("street_regulator", False),
                                        ("agency_staff", False), ("grid_worker", False), ("officer", False)])
def test_only_the_district_sees_the_draws(agencies, spot_checks, role, sees):
    draw, _checks = spot_checks
    scope = Scope(agencies[role])
    seen = set(db.session.scalars(scope.spot_check_draws().with_only_columns(SpotCheckDraw.id)))
    assert seen == ({draw.id} if sees else set())
    if sees:
        assert scope.get_spot_check_draw(draw.id).id == draw.id
    else:
        with pytest.raises(NotFound):
            scope.get_spot_check_draw(draw.id)


# --- hazards ------------------------------------------------------------------------------------
def test_agency_hazards_are_seen_by_their_agency_and_the_district_only(agencies, make_hazard):
    mine = make_hazard(agency=agencies["agency"])
    theirs = make_hazard(agency=agencies["other"])
    enterprise = make_hazard(enterprise=agencies["e_a1"])

    def seen(role):
        return set(db.session.scalars(Scope(agencies[role]).hazards().with_only_columns(Hazard.id)))
    assert seen("agency_staff") == {mine.id}
    assert seen("other_staff") == {theirs.id}
    assert seen("district_regulator") == seen("admin") == {mine.id, theirs.id, enterprise.id}
    assert seen("street_regulator") == seen("officer") == seen("grid_worker") == {enterprise.id}


# --- what each role may do ----------------------------------------------------------------------
@pytest.mark.parametrize("role, manage, spot_check, call, own, other", [
    ("admin", True, False, False, True, True),
    ("district_regulator", True, True, True, True, True),
    ("street_regulator", False, False, False, False, False),
    ("grid_worker", False, False, False, False, False),
    ("officer", False, False, False, False, False),
    ("agency_staff", False, False, False, True, False),
])
def test_permissions_per_role(agencies, role, manage, spot_check, call, own, other):
    scope = Scope(agencies[role])
    assert scope.can_manage_agencies() is manage
    assert scope.can_spot_check() is spot_check
    assert scope.can_call_self_checks() is call
    assert scope.can_record_projects(agencies["agency"]) is own
    assert scope.can_record_projects(agencies["other"]) is other
    assert scope.can_edit_agency_staff(agencies["agency"]) is own
    assert scope.can_see_agencies() is (role != "grid_worker" and role != "officer")

