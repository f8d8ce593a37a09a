"""The regulator's agency overview and its flags (safetylist/agencies/overview.py), and the registry
service behind it (safetylist/agencies/registry.py)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safetylist.agencies import overview, registry
from safetylist.agencies.models import Agency, Evaluator, SelfCheckCall
from safetylist.audit.models import AuditEntry
from safetylist.checklists import runs, versions
from safetylist.errors import PermissionDenied, StaleObject, ValidationFailed
from safetylist.extensions import db
from safetylist.registry.credit_code import ALPHABET, check_character
from safetylist.timeutil import local_today
from tests.agencies.conftest import answers_for
from tests.factories import new_credit_code

pytestmark = pytest.mark.usefixtures("english")


def agency(name: str, expires: date | None, active: bool = True) -> Agency:
    row = Agency(name=name, credit_code=new_credit_code(), qualification_expires_on=expires, active=active,
                 qualification_no="APJ-X" if expires else None)
    db.session.add(row)
    db.session.commit()
    return row


def flags(row) -> list[tuple[str, str, str]]:
    return [(f.kind, f.level, f.text) for f in row.flags]


def rows_by_name(actor, **kwargs) -> dict[str, overview.AgencyRow]:
    return {r.agency.name: r for r in overview.agency_rows(actor, **kwargs)}


# --- flags --------------------------------------------------------------------------------------
def test_qualification_flags(agencies):
    today = local_today()
    agency("过期机构", today - timedelta(days=1))
    agency("今天到期机构", today)
    agency("九十天到期机构", today + timedelta(days=90))
    agency("九十一天到期机构", today + timedelta(days=91))
    agency("无资质机构", None)
    rows = rows_by_name(agencies["district_regulator"])
    assert flags(rows["过期机构"]) == [("qualification_expired", "danger",
                                     f"Qualification expired on {(today - timedelta(days=1)).isoformat()}")]
    assert flags(rows["今天到期机构"]) == [("qualification_expiring", "warn",
                                       f"Qualification expires on {today.isoformat()} (in 0 days)")]
    assert flags(rows["九十天到期机构"]) == [
        ("qualification_expiring", "warn",
         f"Qualification expires on {(today + timedelta(days=90)).isoformat()} (in 90 days)")]
    assert flags(rows["九十一天到期机构"]) == []
    assert flags(rows["无资质机构"]) == [("qualification_missing", "warn", "No qualification certificate on record")]
    assert flags(rows["测试评价机构"]) == flags(rows["乙方安全技术咨询有限公司"]) == []


def test_an_overdue_self_check_is_a_danger_until_one_is_filed(agencies):
    yesterday = local_today() - timedelta(days=1)
    db.session.add(SelfCheckCall(title="专项整治", due_on=yesterday))  # stored directly: a call from before
    db.session.commit()
    rows = rows_by_name(agencies["district_regulator"])
    overdue = ("self_check_overdue", "danger", f"Self-check overdue since {yesterday.isoformat()}")
    assert flags(rows["测试评价机构"]) == flags(rows["乙方安全技术咨询有限公司"]) == [overdue]
    assert rows["测试评价机构"].next_self_check.overdue is True

    staff = agencies["agency_staff"]
    run = runs.start_run(staff, "agency-practice", None, agency_id=agencies["agency"].id)
    runs.submit_run(staff, run, answers_for(versions.entry("agency-practice").definition))
    rows = rows_by_name(agencies["district_regulator"])
    assert flags(rows["测试评价机构"]) == []
    assert rows["测试评价机构"].next_self_check.overdue is False
    assert flags(rows["乙方安全技术咨询有限公司"]) == [overdue]


def test_open_findings_are_the_agencys_active_hazards(agencies, make_hazard):
    mine, theirs = agencies["agency"], agencies["other"]
    for status in ("open", "open", "rectification_submitted", "closed", "withdrawn"):
        make_hazard(agency=mine, status=status)
    make_hazard(agency=theirs, status="closed")
    make_hazard(enterprise=agencies["e_a1"])  # an enterprise's hazard is no agency's finding
    rows = rows_by_name(agencies["district_regulator"])
    assert rows["测试评价机构"].open_findings == 3
    assert flags(rows["测试评价机构"]) == [("findings_open", "warn", "3 findings not yet rectified")]
    assert (rows["乙方安全技术咨询有限公司"].open_findings, flags(rows["乙方安全技术咨询有限公司"])) == (0, [])
    [own] = overview.agency_rows(agencies["agency_staff"])  # the agency sees its own row only
    assert (own.agency.id, own.open_findings) == (mine.id, 3)


def test_busy_evaluators_in_the_rolling_window(agencies, make_project):
    today = local_today()
    zhang, li, ours = agencies["zhang"], agencies["li"], agencies["agency"]
    for n in range(7):  # 张伟: 7 reports in the last 30 days (today - 29 … today)
        make_project(ours, agencies["e_a1"], today - timedelta(days=29 if n == 0 else n), evaluators=[zhang])
    for n in range(6):  # 李娜: 6 in the window, one more the day before it began
        make_project(ours, agencies["e_a2"], today - timedelta(days=n), evaluators=[li])
    make_project(ours, agencies["e_a2"], today - timedelta(days=30), evaluators=[li])
    row = rows_by_name(agencies["district_regulator"])["测试评价机构"]
    assert [(e.id, n) for e, n in row.busy] == [(zhang.id, 7)]
    assert flags(row) == [("busy_evaluator", "warn", "张伟 signed 7 reports in 30 days (more than 6 is implausible)")]


def test_the_busy_window_moves_with_the_day(agencies, make_project):
    today = local_today()
    zhang, ours = agencies["zhang"], agencies["agency"]
    for n in range(7):
        make_project(ours, agencies["e_a1"], today - timedelta(days=29 if n == 0 else n), evaluators=[zhang])
    assert [(e.id, n) for e, n in overview.busy_in_window([ours.id], today)[ours.id]] == [(zhang.id, 7)]
    # a day later the report of 29 days ago has left the window: 6, not above the maximum
    assert overview.busy_in_window([ours.id], today + timedelta(days=1)) == {}
    assert overview.busy_in_window([agencies["other"].id], today) == {}


def test_counts_of_evaluators_and_this_years_projects(agencies, make_project):
    today = local_today()
    ours = agencies["agency"]
    make_project(ours, agencies["e_a1"], today, evaluators=[agencies["zhang"]])
    make_project(ours, agencies["e_a1"], date(today.year - 1, 12, 31), evaluators=[agencies["zhang"]])
    registry.set_evaluator_active(agencies["district_regulator"], agencies["li"], False)
    row = rows_by_name(agencies["district_regulator"])["测试评价机构"]
    assert (row.evaluators, row.projects_this_year) == (1, 1)
    other = rows_by_name(agencies["district_regulator"])["乙方安全技术咨询有限公司"]
    assert (other.evaluators, other.projects_this_year) == (1, 0)


def test_an_inactive_agency_gets_no_flags_and_comes_last(agencies, make_hazard):
    today = local_today()
    gone = agency("已注销机构", today - timedelta(days=400), active=False)
    make_hazard(agency=gone)
    row = rows_by_name(agencies["district_regulator"])["已注销机构"]
    assert (row.flags, row.open_findings) == ([], 1)
    assert overview.agency_rows(agencies["district_regulator"])[-1].agency.id == gone.id


def test_agencies_with_a_danger_come_first_then_warnings_then_the_rest(agencies, make_hazard):
    today = local_today()
    agency("A 过期", today - timedelta(days=3))
    agency("B 即将到期", today + timedelta(days=10))
    agency("C 正常", today + timedelta(days=500))
    agency("D 过期", today - timedelta(days=30))
    agency("E 注销", today - timedelta(days=30), active=False)
    make_hazard(agency=agencies["other"])  # 乙方: a warning
    order = [r.agency.name for r in overview.agency_rows(agencies["district_regulator"])]
    assert order == ["A 过期", "D 过期", "B 即将到期", "乙方安全技术咨询有限公司", "C 正常", "测试评价机构", "E 注销"]


def test_rows_follow_the_scope_and_take_a_given_day(agencies):
    assert [r.agency.id for r in overview.agency_rows(agencies["other_staff"])] == [agencies["other"].id]
    assert overview.agency_rows(agencies["grid_worker"]) == []
    assert len(overview.agency_rows(agencies["street_regulator"])) == 2
    far = agencies["agency"].qualification_expires_on + timedelta(days=1)
    row = rows_by_name(agencies["district_regulator"], today=far)["测试评价机构"]
    assert ("qualification_expired", "danger") in [(f.kind, f.level) for f in row.flags]


# --- the registry -------------------------------------------------------------------------------
def agency_data(**overrides) -> dict:
    today = local_today()
    data = {"name": "  深圳市某某安全技术有限公司 ", "credit_code": "", "qualification_no": "APJ-(粤)-100",
            "qualification_issued_on": today - timedelta(days=100), "qualification_expires_on": today + timedelta(days=900),
            "business_scope": "金属冶炼；危险化学品生产和储存", "address": "深圳市龙岗区测试路8号",
            "contact_name": "陈经理", "contact_phone": "0755-12345678"}
    data.update(overrides)
    return data


def wrong_check(code: str) -> str:
    good = check_character(code[:17])
    return code[:17] + next(ch for ch in ALPHABET if ch != good)


def test_create_agency_cleans_and_audits(agencies):
    code = new_credit_code()
    district = agencies["district_regulator"]
    made = registry.create_agency(district, **agency_data(credit_code=f" {code[:9].lower()} {code[9:]} "))
    assert (made.name, made.credit_code, made.active, made.lock_version) == \
        ("深圳市某某安全技术有限公司", code, True, 1)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "agency_created")).one()
    assert (entry.actor_id, entry.object_id, entry.details) == \
        (district.id, made.id, {"name": "深圳市某某安全技术有限公司", "credit_code": code})


@pytest.mark.parametrize("overrides, errors", [
    ({"name": " "}, {"name": "The agency's name is required."}),
    ({"credit_code": "91440307MA000"}, {"credit_code": "A credit code has 18 characters; this one has 13."}),
    ({"credit_code": "91440307MA000000IO"},
     {"credit_code": "A credit code cannot contain IO (allowed: digits and letters except I, O, S, V, Z)."}),
    ({"qualification_no": None, "qualification_expires_on": "next year"}, {"qualification_expires_on": "Not a date."}),
    ({"qualification_issued_on": "2024-01-01"}, {"qualification_issued_on": "Not a date."}),
    ({"qualification_expires_on": None}, {"qualification_expires_on": "Give the day the qualification expires."}),
    ({"contact_phone": "1" * 31}, {"contact_phone": "At most 30 characters."}),
])
def test_create_agency_field_errors(agencies, overrides, errors):
    data = agency_data(credit_code=new_credit_code())
    data.update(overrides)
    with pytest.raises(ValidationFailed) as refused:
        registry.create_agency(agencies["district_regulator"], **data)
    assert refused.value.errors == errors
    assert db.session.scalar(select(Agency.id).where(Agency.name == "深圳市某某安全技术有限公司")) is None


def test_a_credit_code_with_a_wrong_check_character_is_refused(agencies):
    code = new_credit_code()
    bad = wrong_check(code)
    with pytest.raises(ValidationFailed) as refused:
        registry.create_agency(agencies["district_regulator"], **agency_data(credit_code=bad))
    assert refused.value.errors == {
        "credit_code": f"Wrong check character: the 18th character is {bad[17]} but should be {code[17]}."}


def test_a_credit_code_is_one_agencys(agencies):
    with pytest.raises(ValidationFailed) as refused:
        registry.create_agency(agencies["district_regulator"],
                               **agency_data(credit_code=agencies["other"].credit_code.lower()))
    assert refused.value.errors == {"credit_code": "Another agency is registered with this credit code."}


@pytest.mark.parametrize("days", [0, -1])
def test_the_qualification_expires_after_it_was_issued(agencies, days):
    issued = local_today() - timedelta(days=10)
    with pytest.raises(ValidationFailed) as refused:
        registry.create_agency(agencies["district_regulator"], **agency_data(
            credit_code=new_credit_code(), qualification_issued_on=issued,
            qualification_expires_on=issued + timedelta(days=days)))
    assert refused.value.errors == {
        "qualification_expires_on": "The qualification must expire after the day it was issued."}


@pytest.mark.parametrize("role", ["street_regulator", "agency_staff", "officer", "grid_worker"])
def test_only_the_district_and_admins_register_agencies(agencies, role):
    with pytest.raises(PermissionDenied):
        registry.create_agency(agencies[role], **agency_data(credit_code=new_credit_code()))
    with pytest.raises(PermissionDenied):
        registry.update_agency(agencies[role], agencies["agency"], agencies["agency"].lock_version,
                               **agency_data(credit_code=agencies["agency"].credit_code))
    assert registry.create_agency(agencies["admin"], **agency_data(credit_code=new_credit_code())).id


def test_update_agency_and_a_stale_form(agencies):
    district, ours = agencies["district_regulator"], agencies["agency"]
    seen = ours.lock_version
    data = agency_data(name=ours.name, credit_code=ours.credit_code, contact_phone="0755-87654321")
    registry.update_agency(district, ours, seen, **data)  # its own credit code is no duplicate
    assert (ours.contact_phone, ours.lock_version) == ("0755-87654321", seen + 1)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "agency_updated")).one()
    assert entry.details["changes"]["contact_phone"] == [None, "0755-87654321"]
    with pytest.raises(StaleObject):
        registry.update_agency(district, ours, seen, **{**data, "contact_phone": "110"})
    db.session.expire_all()
    ours = db.session.get(Agency, ours.id)
    assert (ours.contact_phone, ours.lock_version) == ("0755-87654321", seen + 1)
    with pytest.raises(ValidationFailed) as refused:
        registry.update_agency(district, ours, ours.lock_version,
                               **{**data, "credit_code": agencies["other"].credit_code})
    assert refused.value.errors == {"credit_code": "Another agency is registered with this credit code."}


def test_a_certificate_number_is_registered_once_across_agencies(agencies):
    with pytest.raises(ValidationFailed) as refused:
        registry.add_evaluator(agencies["other_staff"], agencies["other"], name="孙七", certificate_no=" pj-a-001 ")
    assert refused.value.errors == {"certificate_no": "This certificate number is already registered for 张伟."}
    assert db.session.scalars(select(Evaluator.name).where(Evaluator.agency_id == agencies["other"].id)).all() == \
        ["王强"]
    added = registry.add_evaluator(agencies["other_staff"], agencies["other"], name=" 孙七 ", certificate_no="PJ-B-002",
                                   specialty="")
    assert (added.agency_id, added.name, added.certificate_no, added.specialty, added.active) == \
        (agencies["other"].id, "孙七", "PJ-B-002", None, True)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "evaluator_added")).one()
    assert entry.details == {"agency_id": agencies["other"].id, "name": "孙七", "certificate_no": "PJ-B-002"}


def test_evaluator_field_errors_and_who_may_add(agencies):
    with pytest.raises(ValidationFailed) as refused:
        registry.add_evaluator(agencies["agency_staff"], agencies["agency"], name="", certificate_no="  ")
    assert refused.value.errors == {"name": "The evaluator's name is required.",
                                    "certificate_no": "The evaluator's certificate number is required."}
    for role in ("other_staff", "street_regulator"):
        with pytest.raises(PermissionDenied):
            registry.add_evaluator(agencies[role], agencies["agency"], name="周八", certificate_no="PJ-A-010")
    assert registry.add_evaluator(agencies["admin"], agencies["agency"], name="周八", certificate_no="PJ-A-010").id


def test_set_evaluator_active(agencies):
    staff, li = agencies["agency_staff"], agencies["li"]
    registry.set_evaluator_active(staff, li, False)
    assert db.session.get(Evaluator, li.id).active is False
    registry.set_evaluator_active(staff, li, False)  # already inactive: nothing to record
    registry.set_evaluator_active(agencies["district_regulator"], li, True)
    assert li.active is True
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Evaluator",
                                                                 AuditEntry.object_id == li.id)
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["evaluator_deactivated", "evaluator_activated"]
    with pytest.raises(PermissionDenied):
        registry.set_evaluator_active(agencies["other_staff"], li, False)
    assert li.active is True
