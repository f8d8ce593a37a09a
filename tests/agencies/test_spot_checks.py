"""Spot checks of agencies' projects (safetylist/agencies/spotchecks.py): the reproducible random draw,
the picks by rule, and inspecting a pick with the spot-check checklist."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from safetylist.agencies import spotchecks
from safetylist.agencies.models import EvaluationProject, SpotCheck, SpotCheckDraw
from safetylist.auth.scope import Scope
from safetylist.checklists import runs, versions
from safetylist.checklists.models import ChecklistRun
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.interviews.models import Accident
from safetylist.remediation.models import Hazard
from safetylist.timeutil import from_local, local_today
from tests.agencies.conftest import answers_for

pytestmark = pytest.mark.usefixtures("english")
NOT_DISTRICT = ["admin", "street_regulator", "agency_staff", "officer", "grid_worker"]


def expected_pick(seed: str, ids, k: int) -> list[int]:
    """The draw as the module's documentation tells anyone to repeat it."""
    return random.Random("safetylist-spot-check:" + seed).sample(sorted(ids), k)


@pytest.fixture
def period():
    today = local_today()
    return today - timedelta(days=90), today - timedelta(days=1)


@pytest.fixture
def thirty(agencies, make_project, period):
    """30 projects reported inside the period (both agencies, all three enterprises) and one just
    before and one just after it; returns the ids inside, ascending."""
    start, end = period
    inside = []
    for n in range(30):
        agency = agencies["agency" if n % 3 else "other"]
        enterprise = agencies[("e_a1", "e_a2", "e_b1")[n % 3]]
        inside.append(make_project(agency, enterprise, start + timedelta(days=n * 3)).id)
    make_project(agencies["agency"], agencies["e_a1"], start - timedelta(days=1))
    make_project(agencies["agency"], agencies["e_a1"], end + timedelta(days=1))
    return sorted(inside)


def spot_check_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SpotCheck))


# --- the random draw ----------------------------------------------------------------------------
def test_a_random_draw_is_the_documented_sample_of_the_recorded_population(agencies, thirty, period):
    district = agencies["district_regulator"]
    draw = spotchecks.draw_random(district, *period, 5, seed="2024年第一季度")
    assert (draw.method, draw.seed, draw.sample_size, draw.rule, draw.agency_id, draw.drawn_by_id) == \
        ("random", "2024年第一季度", 5, None, None, district.id)
    assert (draw.period_start, draw.period_end) == period
    assert draw.population == thirty
    assert draw.picked == expected_pick("2024年第一季度", thirty, 5)
    assert draw.picked == spotchecks.pick("2024年第一季度", thirty, 5)
    assert len(set(draw.picked)) == 5 and spotchecks.verify(draw) is True

    agency_of = dict(db.session.execute(select(EvaluationProject.id, EvaluationProject.agency_id)).all())
    checks = db.session.scalars(select(SpotCheck).where(SpotCheck.draw_id == draw.id)).all()
    assert sorted(s.project_id for s in checks) == sorted(draw.picked)
    for check in checks:
        assert (check.agency_id, check.status, check.run_id, check.inspector_id) == \
            (agency_of[check.project_id], "planned", None, None)
        assert check.reason == {"zh": "随机抽取", "en": "Drawn at random"}


def test_the_same_seed_draws_the_same_projects_and_another_seed_others(agencies, thirty, period):
    district = agencies["district_regulator"]
    first = spotchecks.draw_random(district, *period, 6, seed="alpha")
    again = spotchecks.draw_random(district, *period, 6, seed="alpha")
    other = spotchecks.draw_random(district, *period, 6, seed="beta")
    assert again.id != first.id and again.picked == first.picked == expected_pick("alpha", thirty, 6)
    assert other.picked == expected_pick("beta", thirty, 6)
    assert other.picked != first.picked
    assert spot_check_count() == 18


def test_a_later_project_does_not_change_what_a_draw_picked(agencies, thirty, period, make_project):
    district = agencies["district_regulator"]
    draw = spotchecks.draw_random(district, *period, 5, seed="fixed")
    added = make_project(agencies["agency"], agencies["e_b1"], period[0] + timedelta(days=1))
    db.session.expire_all()
    draw = db.session.get(SpotCheckDraw, draw.id)
    assert draw.population == thirty and added.id not in draw.population
    assert spotchecks.verify(draw) is True
    assert spotchecks.population(*period) == sorted([*thirty, added.id])
    redrawn = spotchecks.draw_random(district, *period, 5, seed="fixed")
    assert redrawn.population == sorted([*thirty, added.id])
    assert redrawn.picked == expected_pick("fixed", [*thirty, added.id], 5)


def test_a_tampered_draw_fails_verification(agencies, thirty, period):
    draw = spotchecks.draw_random(agencies["district_regulator"], *period, 5, seed="fixed")
    outside = next(i for i in thirty if i not in draw.picked)
    draw.picked = [*draw.picked[:-1], outside]
    assert spotchecks.verify(draw) is False
    draw.picked = expected_pick("fixed", thirty, 5)
    assert spotchecks.verify(draw) is True
    draw.picked = list(reversed(draw.picked))  # the order drawn is part of the record
    assert spotchecks.verify(draw) is False
    draw.picked = expected_pick("fixed", thirty, 5)
    draw.seed = "other"
    assert spotchecks.verify(draw) is False
    db.session.rollback()


def test_a_sample_larger_than_the_population_takes_every_project(agencies, thirty, period):
    draw = spotchecks.draw_random(agencies["district_regulator"], *period, 50, seed="all")
    assert sorted(draw.picked) == thirty and len(draw.picked) == 30
    assert draw.picked == expected_pick("all", thirty, 30) and draw.sample_size == 50
    assert spotchecks.verify(draw) is True and spot_check_count() == 30


def test_a_draw_for_one_agency_draws_from_its_projects_only(agencies, thirty, period):
    other = agencies["other"]
    draw = spotchecks.draw_random(agencies["district_regulator"], *period, 3, agency_id=other.id, seed="one")
    own = sorted(db.session.scalars(select(EvaluationProject.id).where(
        EvaluationProject.agency_id == other.id, EvaluationProject.id.in_(thirty))))
    assert len(own) == 10 and draw.population == own
    assert draw.picked == expected_pick("one", own, 3)
    assert {s.agency_id for s in draw.spot_checks} == {other.id}


def test_without_a_seed_one_is_made_and_recorded(agencies, thirty, period):
    draw = spotchecks.draw_random(agencies["district_regulator"], *period, 4, seed="   ")
    assert len(draw.seed) == 16 and int(draw.seed, 16) >= 0
    assert draw.picked == expected_pick(draw.seed, thirty, 4)


def test_an_empty_period_names_period_start(agencies, thirty, period):
    start, _end = period
    long_ago = start - timedelta(days=400)
    with pytest.raises(ValidationFailed) as refused:
        spotchecks.draw_random(agencies["district_regulator"], long_ago, long_ago + timedelta(days=30), 5, seed="x")
    assert refused.value.errors == {
        "period_start": "No project's report was issued in this period: nothing to draw from."}
    assert db.session.scalars(select(SpotCheckDraw)).all() == [] and spot_check_count() == 0


@pytest.mark.parametrize("change, fields", [
    ({"sample_size": 0}, {"sample_size"}),
    ({"sample_size": 101}, {"sample_size"}),
    ({"sample_size": None}, {"sample_size"}),
    ({"swap": True}, {"period_end"}),
    ({"period_start": None}, {"period_start"}),
    ({"agency_id": -1}, {"agency_id"}),
    ({"seed": "s" * 41}, {"seed"}),
])
def test_draw_input_errors_name_the_field(agencies, thirty, period, change, fields):
    args = {"period_start": period[0], "period_end": period[1], "sample_size": 5, "agency_id": None, "seed": "x"}
    if change.pop("swap", False):
        args["period_start"], args["period_end"] = period[1], period[0]
    args.update(change)
    with pytest.raises(ValidationFailed) as refused:
        spotchecks.draw_random(agencies["district_regulator"], **args)
    assert set(refused.value.errors) == fields
    assert spot_check_count() == 0


@pytest.mark.parametrize("role", NOT_DISTRICT)
def test_only_district_regulators_draw(agencies, thirty, period, role):
    with pytest.raises(PermissionDenied):
        spotchecks.draw_random(agencies[role], *period, 5, seed="x")
    with pytest.raises(PermissionDenied):
        spotchecks.pick_by_rule(agencies[role], "busy_evaluator", *period)
    assert db.session.scalars(select(SpotCheckDraw)).all() == []


# --- picks by rule ------------------------------------------------------------------------------
def test_busy_evaluator_picks_exactly_the_projects_they_signed(agencies, make_project):
    district, agency = agencies["district_regulator"], agencies["agency"]
    zhang, li = agencies["zhang"], agencies["li"]
    start = local_today() - timedelta(days=40)
    end = start + timedelta(days=29)  # 30 days: more than 6 is implausible
    zhangs = [make_project(agency, agencies["e_a1"], start + timedelta(days=n * 4),
                           evaluators=[zhang, li] if n == 0 else [zhang]) for n in range(7)]
    lis = [make_project(agency, agencies["e_a2"], start + timedelta(days=n), evaluators=[li]) for n in range(5)]
    make_project(agency, agencies["e_a1"], end + timedelta(days=1), evaluators=[zhang])  # after the period
    assert spotchecks.busy_evaluators(start, end) == {zhang.id: 7}  # 李娜 signed 6: not above the limit

    draw = spotchecks.pick_by_rule(district, "busy_evaluator", start, end)
    assert (draw.method, draw.rule, draw.seed, draw.sample_size) == ("rule", "busy_evaluator", None, None)
    assert draw.picked == sorted(p.id for p in zhangs)
    assert draw.population == sorted(p.id for p in zhangs + lis)
    assert spotchecks.verify(draw) is True
    for check in draw.spot_checks:
        assert check.reason == {
            "zh": "张伟在此期间签署7份报告（每30天超过6份即不合常理）",
            "en": "张伟 signed 7 reports in the period (more than 6 per 30 days is implausible)"}
        assert (check.agency_id, check.status) == (agency.id, "planned")
    assert lis[0].id not in draw.picked


def test_busy_evaluator_scales_the_limit_to_a_longer_period(agencies, make_project):
    district, agency, zhang = agencies["district_regulator"], agencies["agency"], agencies["zhang"]
    start = local_today() - timedelta(days=70)
    end = start + timedelta(days=59)  # 60 days: more than ceil(6 × 60 / 30) = 12
    made = [make_project(agency, agencies["e_a1"], start + timedelta(days=n * 4), evaluators=[zhang])
            for n in range(12)]
    assert spotchecks.busy_evaluators(start, end) == {}
    with pytest.raises(ValidationFailed) as refused:
        spotchecks.pick_by_rule(district, "busy_evaluator", start, end)
    assert refused.value.errors == {"rule": "No project of the period meets this rule: nothing was picked."}
    made.append(make_project(agency, agencies["e_a1"], end, evaluators=[zhang]))
    assert spotchecks.busy_evaluators(start, end) == {zhang.id: 13}
    draw = spotchecks.pick_by_rule(district, "busy_evaluator", start, end)
    assert draw.picked == sorted(p.id for p in made)
    assert "张伟在此期间签署13份报告" in draw.spot_checks[0].reason["zh"]


def test_busy_evaluator_for_one_agency_counts_that_agencys_projects(agencies, make_project):
    """The limit of a period shorter than the rule's days stays the rule's maximum."""
    district, zhang = agencies["district_regulator"], agencies["zhang"]
    start = local_today() - timedelta(days=20)
    end = start + timedelta(days=9)
    made = [make_project(agencies["agency"], agencies["e_a1"], start + timedelta(days=n % 10), evaluators=[zhang])
            for n in range(7)]
    make_project(agencies["other"], agencies["e_a1"], start, evaluators=[agencies["wang"]])
    assert spotchecks.busy_evaluators(start, end, agencies["agency"].id) == {zhang.id: 7}
    assert spotchecks.busy_evaluators(start, end, agencies["other"].id) == {}
    draw = spotchecks.pick_by_rule(district, "busy_evaluator", start, end, agency_id=agencies["agency"].id)
    assert draw.picked == sorted(p.id for p in made) and draw.agency_id == agencies["agency"].id


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute)


def accident(enterprise, when: datetime, category: str = "machinery") -> Accident:
    """An accident at a registered enterprise at a Beijing wall-clock time."""
    row = Accident(occurred_at=from_local(when), enterprise_id=enterprise.id, street_id=enterprise.street_id,
                   category=category, summary="测试事故")
    db.session.add(row)
    db.session.commit()
    return row


def test_later_accident_picks_reports_followed_by_an_accident_within_the_window(agencies, make_project,
                                                                                make_enterprise):
    district, agency = agencies["district_regulator"], agencies["agency"]
    today = local_today()
    report_on = today - timedelta(days=400)
    start, end = report_on - timedelta(days=10), report_on + timedelta(days=10)
    e = {k: make_enterprise() for k in ("soon", "next_day", "last_day", "too_late", "before", "same_day")}
    p = {k: make_project(agency, enterprise, report_on) for k, enterprise in e.items()}
    accident(e["soon"], at(report_on + timedelta(days=10), 14, 30))
    accident(e["next_day"], at(report_on + timedelta(days=1), 0, 30), "fire")  # 00:30 Beijing = the day before in UTC
    accident(e["last_day"], at(report_on + timedelta(days=365), 23, 0))
    accident(e["too_late"], at(report_on + timedelta(days=366), 1, 0))
    accident(e["before"], at(report_on - timedelta(days=5), 10, 0))
    accident(e["same_day"], at(report_on, 23, 30))  # the report's own day: not after it

    draw = spotchecks.pick_by_rule(district, "later_accident", start, end)
    assert draw.picked == sorted([p["soon"].id, p["next_day"].id, p["last_day"].id])
    reasons = {s.project_id: s.reason for s in draw.spot_checks}
    day = (report_on + timedelta(days=10)).isoformat()
    assert reasons[p["soon"].id] == {"zh": f"报告出具后10天（{day}）企业发生机械伤害事故",
                                     "en": f"Machinery injury accident at the enterprise 10 days after the report ({day})"}
    assert reasons[p["next_day"].id]["zh"] == \
        f"报告出具后1天（{(report_on + timedelta(days=1)).isoformat()}）企业发生火灾事故"
    assert reasons[p["last_day"].id]["zh"].startswith("报告出具后365天")


def test_later_accident_takes_the_first_accident_after_the_report(agencies, make_project):
    report_on = local_today() - timedelta(days=100)
    project = make_project(agencies["agency"], agencies["e_a1"], report_on)
    base = datetime.combine(report_on, datetime.min.time())
    accident(agencies["e_a1"], base - timedelta(days=3, hours=-10))
    accident(agencies["e_a1"], base + timedelta(days=40, hours=9), "fire")
    accident(agencies["e_a1"], base + timedelta(days=20, hours=9))
    [match] = spotchecks.rule_matches("later_accident", report_on, report_on)
    assert match.project_id == project.id and match.reason["zh"].startswith("报告出具后20天")


def test_no_accident_after_any_report_picks_nothing(agencies, make_project):
    report_on = local_today() - timedelta(days=100)
    make_project(agencies["agency"], agencies["e_a1"], report_on)
    accident(agencies["e_a1"], datetime.combine(report_on - timedelta(days=1), datetime.min.time()).replace(hour=9))
    with pytest.raises(ValidationFailed) as refused:
        spotchecks.pick_by_rule(agencies["district_regulator"], "later_accident", report_on, report_on)
    assert set(refused.value.errors) == {"rule"}
    assert db.session.scalars(select(SpotCheckDraw)).all() == []


def test_later_major_hazard_picks_reports_that_found_no_problem(agencies, make_project, make_enterprise, make_hazard):
    district, agency = agencies["district_regulator"], agencies["agency"]
    report_on = local_today() - timedelta(days=300)
    cases = {  # key: (conclusion, hazard severity, found days after the report, hazard status)
        "meets": ("meets", "major", 30, "open"),
        "after_fixes": ("meets_after_fixes", "major", 180, "closed"),
        "does_not_meet": ("does_not_meet", "major", 30, "open"),
        "general": ("meets", "general", 30, "open"),
        "too_late": ("meets", "major", 181, "open"),
        "withdrawn": ("meets", "major", 30, "withdrawn"),
        "same_day": ("meets", "major", 0, "open"),
    }
    projects = {}
    for key, (conclusion, severity, after, status) in cases.items():
        enterprise = make_enterprise()
        projects[key] = make_project(agency, enterprise, report_on, conclusion=conclusion)
        make_hazard(enterprise=enterprise, severity=severity, found_on=report_on + timedelta(days=after),
                    status=status, title=f"重大隐患{key}")
    draw = spotchecks.pick_by_rule(district, "later_major_hazard", report_on, report_on)
    assert draw.picked == sorted([projects["meets"].id, projects["after_fixes"].id])
    reasons = {s.project_id: s.reason for s in draw.spot_checks}
    found = (report_on + timedelta(days=30)).isoformat()
    assert reasons[projects["meets"].id] == {
        "zh": f"报告结论为符合，但30天后（{found}）发现重大事故隐患：重大隐患meets",
        "en": f"The report concluded the enterprise met the requirements, but a major hazard was found 30 days later "
              f"({found}): 重大隐患meets"}


def test_an_unknown_rule_is_refused(agencies, thirty, period):
    with pytest.raises(ValidationFailed) as refused:
        spotchecks.pick_by_rule(agencies["district_regulator"], "loudest_complaint", *period)
    assert refused.value.errors == {"rule": "Choose a rule."}


# --- inspecting ---------------------------------------------------------------------------------
@pytest.fixture
def drawn(agencies, make_project):
    """One project of the agency drawn for a spot check."""
    report_on = local_today() - timedelta(days=10)
    project = make_project(agencies["agency"], agencies["e_b1"], report_on, evaluators=[agencies["zhang"]])
    draw = spotchecks.draw_random(agencies["district_regulator"], report_on, report_on, 1, seed="inspect")
    [check] = draw.spot_checks
    assert check.project_id == project.id
    return check


def staff_sees(agencies, check) -> bool:
    return check.id in set(db.session.scalars(Scope(agencies["agency_staff"]).spot_checks()
                                              .with_only_columns(SpotCheck.id)))


def test_an_inspection_runs_the_spot_check_checklist_against_the_agency(agencies, drawn):
    district = agencies["district_regulator"]
    assert drawn.status == "planned" and staff_sees(agencies, drawn) is False
    run = spotchecks.start(district, drawn)
    assert (run.agency_id, run.enterprise_id, run.status, run.version.checklist_key) == \
        (agencies["agency"].id, None, "draft", "agency-project-spot-check")
    assert (drawn.run_id, drawn.inspector_id, drawn.status) == (run.id, district.id, "in_progress")
    assert spotchecks.start(district, drawn).id == run.id
    assert spotchecks.spot_check_of_run(run.id).id == drawn.id
    assert db.session.scalar(select(func.count()).select_from(ChecklistRun)) == 1
    assert staff_sees(agencies, drawn) is False  # being inspected: the agency does not know yet

    definition = versions.entry("agency-project-spot-check").definition
    submission = runs.submit_run(district, run, answers_for(definition, {"images-match-site": "fail"}),
                                 notes={"images-match-site": "影像资料日期与报告不符"})
    [hazard] = submission.hazards
    assert (hazard.agency_id, hazard.enterprise_id, hazard.source, hazard.severity, hazard.checklist_item) == \
        (agencies["agency"].id, None, "spot_check", "major", "images-match-site")
    assert hazard.description == "影像资料日期与报告不符" and hazard.run_id == run.id
    db.session.refresh(drawn)
    assert drawn.status == "done" and staff_sees(agencies, drawn) is True
    assert Scope(agencies["agency_staff"]).get_spot_check(drawn.id).id == drawn.id
    assert spotchecks.findings(agencies["agency_staff"], [drawn]) == {drawn.id: [hazard]}
    assert spotchecks.findings(agencies["other_staff"], [drawn]) == {drawn.id: []}
    assert spotchecks.findings(agencies["street_regulator"], [drawn]) == {drawn.id: []}
    assert db.session.scalars(Scope(agencies["agency_staff"]).hazards()).all() == [hazard]


def test_a_second_district_regulator_starting_gets_the_same_run(agencies, drawn, make_user):
    first = spotchecks.start(agencies["district_regulator"], drawn)
    colleague = make_user("district_regulator")
    assert spotchecks.start(colleague, drawn).id == first.id
    assert drawn.inspector_id == agencies["district_regulator"].id
    assert db.session.scalar(select(func.count()).select_from(ChecklistRun)) == 1


def test_two_inspectors_starting_at_once_share_the_first_run(agencies, drawn, make_user):
    """The second request still holds the spot check as it was before the first one claimed it."""
    from sqlalchemy.orm.attributes import set_committed_value
    first = spotchecks.start(agencies["district_regulator"], drawn)
    set_committed_value(drawn, "run", None)
    set_committed_value(drawn, "run_id", None)
    second = spotchecks.start(make_user("district_regulator"), drawn)
    assert second.id == first.id and drawn.run_id == first.id
    assert drawn.inspector_id == agencies["district_regulator"].id
    assert db.session.scalars(select(ChecklistRun.id)).all() == [first.id]


@pytest.mark.parametrize("role", NOT_DISTRICT)
def test_only_district_regulators_inspect(agencies, drawn, role):
    with pytest.raises(PermissionDenied):
        spotchecks.start(agencies[role], drawn)
    assert drawn.run_id is None and db.session.scalar(select(func.count()).select_from(ChecklistRun)) == 0


def test_a_clean_inspection_opens_nothing(agencies, drawn):
    district = agencies["district_regulator"]
    run = spotchecks.start(district, drawn)
    definition = versions.entry("agency-project-spot-check").definition
    submission = runs.submit_run(district, run, answers_for(definition))
    assert submission.hazards == [] and run.passed is True
    assert db.session.scalars(select(Hazard)).all() == []
    assert spotchecks.findings(district, [drawn]) == {drawn.id: []}


def test_the_spot_check_checklist_is_filled_by_district_regulators_against_an_agency_only(agencies):
    key = "agency-project-spot-check"
    for role in ("street_regulator", "agency_staff", "grid_worker"):
        with pytest.raises(PermissionDenied):
            runs.start_run(agencies[role], key, None, agency_id=agencies["agency"].id)
    with pytest.raises(PermissionDenied):  # against an enterprise it makes no sense
        runs.start_run(agencies["district_regulator"], key, agencies["e_a1"], agency_id=agencies["agency"].id)
    with pytest.raises(PermissionDenied):
        runs.start_run(agencies["district_regulator"], key, None)
    assert db.session.scalars(select(ChecklistRun)).all() == []


def test_a_spot_check_is_no_self_check_of_the_agency(agencies, drawn):
    from safetylist.agencies import selfchecks
    before = selfchecks.due_for_agencies([agencies["agency"].id])[agencies["agency"].id]
    district = agencies["district_regulator"]
    run = spotchecks.start(district, drawn)
    runs.submit_run(district, run, answers_for(versions.entry("agency-project-spot-check").definition))
    [after] = selfchecks.due_for_agencies([agencies["agency"].id])[agencies["agency"].id]
    assert (after.due_on, after.last_submitted_on, after.draft_run_id) == \
        (before[0].due_on, None, None)
    assert selfchecks.self_checks_since(local_today()) == {}
