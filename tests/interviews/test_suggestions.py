"""Who should be interviewed (data/suggestions.yaml) and the interview counts per street and month."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import event

from safetylist.errors import PermissionDenied
from safetylist.interviews.models import Accident, Interview
from safetylist.interviews.suggestions import SUGGESTIONS_FILE, interview_counts, load_rules, suggest
from safetylist.remediation.models import Hazard, HazardEvent
from safetylist.timeutil import LOCAL_TZ

TODAY = date(2026, 12, 10)


def utc(text: str) -> datetime:
    """A local (Asia/Shanghai) time as stored: naive UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ).astimezone(timezone.utc).replace(tzinfo=None)


def accident(db, enterprise, when: str, deaths=0, injuries=0) -> Accident:
    row = Accident(occurred_at=utc(when), enterprise_id=enterprise.id, street_id=enterprise.street_id,
                   category="machinery", deaths=deaths, injuries=injuries, summary="机械伤害")
    db.session.add(row)
    db.session.commit()
    return row


def hazard(db, enterprise, deadline=date(2026, 12, 1), severity="major", status="open") -> Hazard:
    row = Hazard(enterprise_id=enterprise.id, severity=severity, status=status, title="未设置有限空间警示标志",
                 title_en="No confined space warning sign", found_on=date(2026, 1, 5), deadline=deadline,
                 source="site_inspection")
    db.session.add(row)
    db.session.commit()
    return row


def rejection(db, row: Hazard, when: str) -> None:
    db.session.add(HazardEvent(hazard_id=row.id, action="rejected", from_status="rectification_submitted",
                               to_status="open", at=utc(when), comment="照片不清楚"))
    db.session.commit()


def interview(db, enterprise=None, planned="2026-12-20 09:30", status="planned", held=None, street_id=None,
              authority=None, created_by=None) -> Interview:
    row = Interview(party_kind="authority" if authority else "enterprise", authority_name=authority,
                    enterprise_id=getattr(enterprise, "id", None),
                    street_id=street_id if street_id is not None else getattr(enterprise, "street_id", None),
                    planned_at=utc(planned), held_at=utc(held) if held else None, place="街道办三楼会议室",
                    interviewing_unit="龙岗区应急管理局", officials="王科长", attendees_required="法定代表人",
                    reasons="事故多发", status=status, created_by_id=getattr(created_by, "id", None))
    db.session.add(row)
    db.session.commit()
    return row


def reasons(found) -> dict[str, list[str]]:
    """enterprise name -> ids of the rules that matched."""
    return {s.enterprise.name: [r.rule.id for r in s.reasons] for s in found}


# --- the rules ---------------------------------------------------------------------------------------
def test_the_bundled_file_is_valid():
    document, errors = load_rules(SUGGESTIONS_FILE)
    assert errors == []
    assert [(r.id, r.kind, r.at_least, r.months) for r in document.rules] == [
        ("repeated-accidents", "accidents", 2, 12), ("fatal-accident", "deaths", 1, 12),
        ("major-hazard-overdue", "escalated_hazards", 1, None),
        ("repeated-rejections", "rejected_rectifications", 3, 12)]
    assert document.recent_interview_days == 90


def test_two_accidents_in_twelve_months_counting_from_the_same_day_a_year_ago(world, db):
    e_a1, e_a2 = world["e_a1"], world["e_a2"]
    first = accident(db, e_a1, "2025-12-10 00:00")  # exactly 12 months back, local midnight: in
    second = accident(db, e_a1, "2026-06-01 14:00")
    accident(db, e_a2, "2025-12-09 23:59")  # a minute earlier: out
    accident(db, e_a2, "2026-11-30 10:00")
    found = suggest(world["district_regulator"], today=TODAY)
    assert reasons(found) == {e_a1.name: ["repeated-accidents"]}
    reason = found[0].reasons[0]
    assert (reason.count, reason.accident_ids) == (2, [second.id, first.id])  # latest first
    assert reason.text(chinese=True) == "近12个月发生事故2起"
    assert reason.text(chinese=False) == "2 accidents in the last 12 months"


def test_any_death_in_twelve_months_with_the_fatal_accidents_behind_it(world, db):
    e_a1, e_b1 = world["e_a1"], world["e_b1"]
    fatal = accident(db, e_b1, "2026-03-02 08:00", deaths=2)
    accident(db, e_a1, "2025-12-01 08:00", deaths=1)  # 13 months ago
    found = suggest(world["district_regulator"], today=TODAY)
    assert reasons(found) == {e_b1.name: ["fatal-accident"]}
    assert (found[0].reasons[0].count, found[0].reasons[0].accident_ids) == (2, [fatal.id])
    accident(db, e_b1, "2026-04-02 08:00", injuries=1)  # both rules now; only the fatal one is behind the deaths
    found = suggest(world["district_regulator"], today=TODAY)
    assert reasons(found) == {e_b1.name: ["repeated-accidents", "fatal-accident"]}
    assert found[0].reasons[1].accident_ids == [fatal.id]


def test_a_major_hazard_overdue_as_the_escalation_rules_say(world, db):
    e_a1, e_a2, e_b1 = world["e_a1"], world["e_a2"], world["e_b1"]
    overdue = hazard(db, e_a1, deadline=date(2026, 12, 9))          # overdue by a day: major-overdue
    hazard(db, e_a2, deadline=TODAY)                                # due today: not yet overdue
    hazard(db, e_a2, deadline=date(2026, 10, 1), severity="general")  # escalated, but no interview suggested
    hazard(db, e_b1, deadline=date(2026, 10, 1), status="closed")
    found = suggest(world["district_regulator"], today=TODAY)
    assert reasons(found) == {e_a1.name: ["major-hazard-overdue"]}
    assert found[0].reasons[0].hazard_ids == [overdue.id]
    assert found[0].reasons[0].text(chinese=True) == "1项重大事故隐患逾期未整改"


def test_three_rejected_rectifications_in_twelve_months(world, db):
    e_a1, e_a2 = world["e_a1"], world["e_a2"]
    one, two = (hazard(db, e_a1, severity="general", deadline=TODAY) for _ in range(2))
    rejection(db, one, "2025-12-10 00:00")
    rejection(db, one, "2026-05-01 10:00")
    rejection(db, two, "2026-11-01 10:00")
    other = hazard(db, e_a2, severity="general", deadline=TODAY)
    rejection(db, other, "2025-12-09 23:59")  # out of the period: only two count
    rejection(db, other, "2026-02-01 10:00")
    rejection(db, other, "2026-03-01 10:00")
    db.session.add(HazardEvent(hazard_id=other.id, action="verified", at=utc("2026-04-01 10:00")))
    db.session.commit()
    found = suggest(world["district_regulator"], today=TODAY)
    assert reasons(found) == {e_a1.name: ["repeated-rejections"]}
    assert (found[0].reasons[0].count, found[0].reasons[0].hazard_ids) == (3, [one.id, two.id])


def test_a_street_regulator_sees_their_streets_suggestions_only(world, db):
    for enterprise in (world["e_a1"], world["e_b1"]):
        accident(db, enterprise, "2026-01-01 10:00", deaths=1)
    assert set(reasons(suggest(world["street_regulator"], today=TODAY))) == {world["e_a1"].name}
    assert set(reasons(suggest(world["district_regulator"], today=TODAY))) == {world["e_a1"].name, world["e_b1"].name}
    assert set(reasons(suggest(world["district_regulator"], today=TODAY, street_id=world["e_b1"].street_id))) == {
        world["e_b1"].name}


def test_enterprises_interviewed_lately_are_listed_last_and_marked(world, db):
    e_a1, e_a2, e_b1 = world["e_a1"], world["e_a2"], world["e_b1"]
    for enterprise in (e_a1, e_a2, e_b1):
        accident(db, enterprise, "2026-01-01 10:00", deaths=1)
    held = interview(db, e_a1, planned="2026-10-01 09:00", held="2026-10-01 09:30", status="closed")  # 70 days ago
    interview(db, e_a2, planned="2026-12-01 09:00", status="cancelled")
    interview(db, e_b1, planned="2026-09-01 09:00", held="2026-09-01 09:00", status="held")  # 100 days ago
    ahead = interview(db, e_b1, planned="2026-12-20 09:00", status="notice_issued")
    found = suggest(world["district_regulator"], today=TODAY)
    assert [(s.enterprise.name, s.recent_interview.id if s.interviewed else None) for s in found] == [
        (e_a2.name, None), (e_a1.name, held.id), (e_b1.name, ahead.id)]


def test_suggestions_take_the_same_number_of_queries_whatever_the_size(world, db, app, make_enterprise):
    def statements():
        db.session.expire_all()
        assert world["district_regulator"].role  # loaded before counting, as a request's user is
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            suggest(world["district_regulator"], today=TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def candidate(i):
        enterprise = make_enterprise(name=f"候选企业{i:02d}")
        accident(db, enterprise, "2026-01-01 10:00", deaths=1)
        accident(db, enterprise, "2026-02-01 10:00")
        row = hazard(db, enterprise, deadline=date(2026, 11, 1))
        for month in (3, 4, 5):
            rejection(db, row, f"2026-{month:02d}-01 10:00")
        interview(db, enterprise, planned="2026-11-01 09:00", held="2026-11-01 09:00", status="held")
    candidate(0)
    small = statements()
    for i in range(1, 12):
        candidate(i)
    assert statements() == small == 6  # four rules, the enterprises, their interviews
    assert len(suggest(world["district_regulator"], today=TODAY)) == 12


# --- the page ---------------------------------------------------------------------------------------
def test_the_page_links_the_accidents_hazards_and_planning(world, db, login_as):
    e_a1 = world["e_a1"]
    first, second = accident(db, e_a1, "2026-01-01 10:00"), accident(db, e_a1, "2026-02-01 10:00", deaths=1)
    overdue = hazard(db, e_a1, deadline=date(2026, 11, 1))
    page = login_as(world["street_regulator"]).get("/interviews/suggestions").get_data(as_text=True)
    assert e_a1.name in page and world["e_b1"].name not in page
    for path in (f"/accidents/{first.id}", f"/accidents/{second.id}", f"/hazards/{overdue.id}",
                 f"/interviews/new?enterprise_id={e_a1.id}"):
        assert f'href="{path}"' in page
    assert "近12个月发生事故2起" in page and "近12个月事故造成1人死亡" in page


def test_the_page_marks_an_interview_already_planned(world, db, login_as):
    accident(db, world["e_a1"], "2026-01-01 10:00", deaths=1)
    planned = interview(db, world["e_a1"], planned="2099-01-05 09:30")
    page = login_as(world["district_regulator"]).get("/interviews/suggestions").get_data(as_text=True)
    assert 'class="card item done"' in page and f'href="/interviews/{planned.id}"' in page


@pytest.mark.parametrize("role", ["officer", "grid_worker", "agency_staff", "admin"])
def test_only_regulators_see_the_suggestions_and_counts(world, login_as, role):
    client = login_as(world[role])
    assert client.get("/interviews/suggestions").status_code == 404
    assert client.get("/interviews/counts").status_code == 404
    with pytest.raises(PermissionDenied):
        suggest(world[role], today=TODAY)
    with pytest.raises(PermissionDenied):
        interview_counts(world[role], 2026)


def test_nothing_to_suggest(world, login_as):
    client = login_as(world["street_regulator"])
    response = client.get("/interviews/suggestions")
    assert response.status_code == 200
    assert '<ul class="cards suggestions">\n  \n  <li class="card">' in response.get_data(as_text=True)


# --- broken rules files -----------------------------------------------------------------------------
VALID = """recent_interview_days: 90
rules:
  - id: repeated-accidents
    kind: accidents
    at_least: 2
    months: 12
    zh: "近{months}个月发生事故{count}起"
    en: "{count} accidents in the last {months} months"
  - id: major-hazard-overdue
    kind: escalated_hazards
    at_least: 1
    zh: "{count}项重大事故隐患逾期"
    en: "{count} major hazard(s) overdue"
"""


@pytest.mark.parametrize("change, line, field, message", [
    (("kind: accidents", "kind: accident"), 4, "rules[0].kind", "accidents"),
    (("at_least: 2", "at_least: 0"), 5, "rules[0].at_least", "must be ≥ 1, got 0"),
    (("    months: 12\n", ""), 4, "rules[0].kind", "accidents are counted over a period: give months"),
    (("at_least: 1\n", "at_least: 1\n    months: 6\n"), 12, "rules[1].months", "remove months"),
    (("{count} accidents in", "{n} accidents in"), 8, "rules[0].en", "unknown placeholder(s) n"),
    (("id: major-hazard-overdue", "id: repeated-accidents"), 9, "rules[1].id",
     "duplicate rule id 'repeated-accidents' (first on line 3)"),
    (("recent_interview_days: 90", "recent_interview_days: -1"), 1, "recent_interview_days", "must be ≥ 0, got -1"),
    (("{count}项重大", "{months}个月{count}项重大"), 12, "rules[1].zh", "escalated_hazards have no period"),
    (("    zh: \"{count}项", "    colour: red\n    zh: \"{count}项"), 12, "rules[1].colour", ""),
])
def test_a_broken_file_names_the_line_the_field_and_why(tmp_path: Path, change, line, field, message):
    path = tmp_path / "suggestions.yaml"
    assert change[0] in VALID
    path.write_text(VALID.replace(*change), encoding="utf-8")
    document, errors = load_rules(path)
    assert document is None
    assert [(e.line, e.field) for e in errors] == [(line, field)], errors
    assert message in errors[0].message
    assert str(errors[0]).endswith(f"suggestions.yaml:{line}: {field}: {errors[0].message}")


def test_the_valid_example_loads(tmp_path: Path):
    path = tmp_path / "suggestions.yaml"
    path.write_text(VALID, encoding="utf-8")
    document, errors = load_rules(path)
    assert errors == [] and [r.id for r in document.rules] == ["repeated-accidents", "major-hazard-overdue"]


# --- counts per street and month --------------------------------------------------------------------
def test_counts_per_street_and_month_in_local_time(world, db, make_user):
    e_a1, e_a2, e_b1 = world["e_a1"], world["e_a2"], world["e_b1"]
    interview(db, e_a1, planned="2026-03-02 09:00", held="2026-03-02 09:10", status="closed")
    interview(db, e_a2, planned="2026-03-20 09:00", held="2026-04-01 07:00", status="follow_up")  # held in April
    interview(db, e_a1, planned="2026-12-31 20:00", held="2026-12-31 20:00", status="held")  # 12:00 UTC: December
    interview(db, e_a1, planned="2027-01-01 07:00", held="2027-01-01 07:00", status="held")  # 2026-12-31 23:00 UTC
    interview(db, e_a1, planned="2026-12-20 09:00", status="notice_issued")
    interview(db, e_b1, planned="2026-12-21 09:00", status="planned")
    interview(db, e_b1, planned="2026-06-01 09:00", status="cancelled")
    interview(db, authority="区住房和建设局", planned="2026-06-05 15:00", held="2026-06-05 15:00", status="held")
    counts = interview_counts(world["district_regulator"], 2026)
    rows = {row.street.id if row.street else None: row for row in counts.rows}
    street_a, street_b = e_a1.street_id, e_b1.street_id
    assert len(rows) == 12  # 11 streets and the district-wide row
    assert rows[street_a].held == (0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1)
    assert rows[street_a].planned == (0,) * 11 + (1,)
    assert (rows[street_b].held_total, rows[street_b].planned) == (0, (0,) * 11 + (1,))
    assert rows[None].held == (0,) * 5 + (1,) + (0,) * 6
    assert (counts.held_total, counts.planned_total) == (4, 2)
    assert counts.held == (0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1)
    next_year = interview_counts(world["district_regulator"], 2027)
    assert next_year.held_total == 1 and next_year.held[0] == 1

    street = interview_counts(world["street_regulator"], 2026)
    assert [row.street.id for row in street.rows] == [street_a]
    assert (street.held_total, street.planned_total) == (3, 1)


def test_the_counts_page_shows_the_table(world, db, login_as):
    interview(db, world["e_a1"], planned="2026-03-02 09:00", held="2026-03-02 09:10", status="closed")
    interview(db, world["e_a1"], planned="2026-03-20 09:00", status="planned")
    client = login_as(world["street_regulator"])
    page = client.get("/interviews/counts?year=2026").get_data(as_text=True)
    assert "<strong>2026</strong>" in page
    assert '<td class="num">1 <span class="muted">+1</span></td>' in page  # March: one held, one planned
    assert page.count("<tr>") == 2 and "District-wide" not in page  # header and street A; no district-wide row
    assert client.get("/interviews/counts?year=abc").status_code == 200


def test_the_interview_list_links_regulators_to_suggestions_and_counts(world, login_as):
    for role, shown in (("street_regulator", True), ("district_regulator", True), ("officer", False)):
        page = login_as(world[role]).get("/interviews/").get_data(as_text=True)
        assert ('href="/interviews/suggestions"' in page) is shown, role
        assert ('href="/interviews/counts"' in page) is shown, role
