"""Demo data for the agencies: registry details, evaluators, a year and a half of projects (one
evaluator implausibly busy, one report followed by an accident), the demo agency's self-check with a
finding, two calls for self-checks (one overdue for the other agencies) and a recorded random draw
with one project inspected. Made through the services, so the demo shows what the product does.
Idempotent: nothing is added once an evaluator exists."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from safetylist.agencies import projects, registry, selfchecks, spotchecks, supervision
from safetylist.agencies.models import Agency, Evaluator, SelfCheckCall
from safetylist.auth.models import User
from safetylist.checklists import runs, versions
from safetylist.extensions import db
from safetylist.registry import demo
from safetylist.registry.models import Enterprise
from safetylist.timeutil import local_today, utc_start_of

SPECIALTIES = ["化工工艺", "安全", "机械", "电气", "消防", "危险化学品储存", "建筑施工"]
SCOPES = ["危险化学品生产、储存，化工，石油加工业；金属、非金属矿及其他矿采选业",
          "金属冶炼；陆地石油和天然气开采业；烟花爆竹制造业",
          "危险化学品经营、使用；工贸行业（有限空间、粉尘涉爆、涉氨制冷）"]
DEFAULT_PASS = {"pass_fail_na": "pass", "yes_no": "no", "number": 3, "text": "", "signature": "刘评价"}


def answers_for(checklist_key: str, failing: dict | None = None) -> dict:
    """Answers to every item of a checklist that pass, except those in `failing`."""
    definition = versions.entry(checklist_key).definition
    answers = {item.id: DEFAULT_PASS.get(item.answer) for _, item in definition.all_items()}
    return {k: v for k, v in {**answers, **(failing or {})}.items() if v not in (None, "")}


def seed_agency_work() -> str:
    if db.session.scalar(select(func.count(Evaluator.id))):
        return "agency projects: kept"
    today = local_today()
    rng = random.Random(440307 + 10)
    district = db.session.scalars(select(User).where(User.username == "district")).one()
    staff = db.session.scalars(select(User).where(User.username == "agency")).one()
    agencies = db.session.scalars(select(Agency).order_by(Agency.id)).all()
    for index, agency in enumerate(agencies):
        expires = agency.qualification_expires_on or today + timedelta(days=400)
        registry.update_agency(district, agency, agency.lock_version, **{
            **{name: getattr(agency, name) for name in registry.AGENCY_FIELDS},
            "qualification_expires_on": expires, "qualification_issued_on": expires - timedelta(days=5 * 365),
            "business_scope": SCOPES[index % len(SCOPES)], "address": f"深圳市龙岗区龙城街道龙福路{10 + index * 7}号",
            "contact_name": demo.person_name(rng), "contact_phone": f"0755-8{rng.randrange(10**6, 10**7)}"})
        for number in range(4):
            registry.add_evaluator(district, agency, name=demo.person_name(rng),
                                   certificate_no=f"S0110440001101920{index}{number:02d}",
                                   specialty=SPECIALTIES[(index + number) % len(SPECIALTIES)])
    enterprises = db.session.scalars(select(Enterprise).where(Enterprise.status == "active")
                                     .order_by(Enterprise.id)).all()
    count = 0
    for index, agency in enumerate(agencies):
        evaluators = list(agency.evaluators)
        for number in range(14):
            report_on = today - timedelta(days=rng.randrange(35, 540))
            projects.record_project(staff if agency.id == staff.agency_id else district, agency, **_project(
                agency, index, number, rng.choice(enterprises), report_on, rng.sample(evaluators, 2), rng))
            count += 1
        if index == 0:  # one evaluator signs eight reports within the last month: implausible
            busy = evaluators[0]
            for number in range(8):
                report_on = today - timedelta(days=2 + number * 3)
                projects.record_project(staff, agency, **_project(agency, index, 100 + number, rng.choice(enterprises),
                                                                  report_on, [busy, evaluators[1 + number % 3]], rng))
                count += 1
    _after_accident(agencies[1], rng)
    calls = _self_checks(staff, district, today)
    draw = spotchecks.draw_random(district, today.replace(month=1, day=1) - timedelta(days=365), today, 5,
                                  seed="longgang-2021")
    first = draw.spot_checks[0]
    run = spotchecks.start(district, first)
    runs.submit_run(district, run, answers_for(supervision.rules().spot_check_checklist,
                                               {"site-work-notified": "fail"}),
                    notes={"site-work-notified": "项目档案中无现场技术服务书面告知记录。"})
    return f"agency projects: created {count + 1}, {calls}, 1 spot-check draw of {len(draw.picked)}"


def _project(agency: Agency, index: int, number: int, enterprise: Enterprise, report_on: date, signers, rng) -> dict:
    return {"report_no": f"AP{index + 1}-{report_on.year}-{number + 1:03d}", "enterprise": enterprise,
            "evaluation_type": rng.choice(["current", "current", "pre", "acceptance", "special"]),
            "started_on": report_on - timedelta(days=rng.randrange(10, 40)), "report_on": report_on,
            "conclusion": rng.choice(["meets", "meets", "meets_after_fixes", "does_not_meet"]),
            "conclusion_text": "主要危险有害因素已辨识，提出的安全对策措施已落实。", "evaluators": signers}


def _after_accident(agency: Agency, rng) -> None:
    """A report that found the enterprise in order, two months before an accident there."""
    from safetylist.interviews.models import Accident
    accident = db.session.scalars(select(Accident).where(Accident.enterprise_id.is_not(None),
                                                         Accident.occurred_at >= utc_start_of(local_today() - timedelta(days=300)))
                                  .order_by(Accident.occurred_at)).first()
    if accident is None:
        return
    district = db.session.scalars(select(User).where(User.username == "district")).one()
    occurred = accident.occurred_at.date()
    report_on = occurred - timedelta(days=60)
    projects.record_project(district, agency, **{**_project(agency, 1, 200, accident.enterprise, report_on,
                                                            list(agency.evaluators)[:2], rng), "conclusion": "meets"})


def _self_checks(staff: User, district: User, today: date) -> str:
    """Last quarter's call (overdue for agencies that did not answer), the demo agency's self-check with
    one finding, and this campaign's call, still open for everyone."""
    db.session.add(SelfCheckCall(title="第三季度安全评价机构执业行为自查", due_on=today - timedelta(days=5),
                                 created_at=utc_start_of(today - timedelta(days=30)), called_by_id=district.id,
                                 reason="对照《安全评价检测检验机构管理办法》逐项自查，发现问题立即整改。"))
    db.session.commit()
    key = supervision.rules().self_check_checklist
    run = runs.start_run(staff, key, None, agency_id=staff.agency_id)
    runs.submit_run(staff, run, answers_for(key, {"site-images-kept": "fail"}),
                    notes={"site-images-kept": "两个项目的现场勘验影像未随项目归档。"})
    selfchecks.call_self_checks(district, "安全评价机构执业行为专项整治自查", today + timedelta(days=14),
                                "专项整治期间各机构再次全面自查，重点检查报告签字和现场勘验。")
    return "self-checks: 1 filed, 2 calls"
