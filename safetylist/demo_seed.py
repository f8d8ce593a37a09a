"""Demo data for `make run` and `flask seed demo`: the district, 865 enterprises, staff, one login per role.

Idempotent: rows that already exist (by credit code or username) are left alone.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from safetylist.agencies.demo import seed_agency_work
from safetylist.agencies.models import Agency
from safetylist.auth import roles
from safetylist.auth.models import User
from safetylist.extensions import db
from safetylist.grid.models import Grid, GridAssignment, InspectionOrder
from safetylist.registry import demo
from safetylist.registry.credit_code import complete
from safetylist.registry.models import Community, Enterprise, Sector, Street
from safetylist.registry.reference import district_data, ensure_reference_data, grid_codes
from safetylist.standardization.models import Certificate
from safetylist.timeutil import local_today, utc_start_of

DEMO_PASSWORD = "safety2021"
DEMO_LOGINS = {  # username: (role, display name) — listed in the README
    "admin": (roles.ADMIN, "系统管理员"),
    "district": (roles.DISTRICT_REGULATOR, "区应急管理局 李监管"),
    "street": (roles.STREET_REGULATOR, "平湖街道 王监管"),
    "grid": (roles.GRID_WORKER, "平湖网格员 陈网格"),
    "officer": (roles.OFFICER, "企业安全员 张安全"),
    "agency": (roles.AGENCY_STAFF, "评价机构 刘评价"),
}
# Officers of two more Pinghu enterprises whose standardization applications are under way.
DEMO_APPLICANTS = {"officer2": "企业安全员 赵标准", "officer3": "企业安全员 钱标准"}
DEMO_AGENCIES = ["深圳市安诚安全技术咨询有限公司", "广东中鹏安全评价有限公司", "深圳市龙安职业安全评价中心"]
ASSIGNED_FROM = date(2021, 1, 1)


def seed_demo(count: int = 865) -> list[str]:
    ensure_reference_data()
    summary = [_seed_enterprises(count), _seed_agencies()]
    summary.append(_seed_staff())
    summary.append(_seed_logins())
    summary.append(_seed_orders())
    summary.append(_seed_hazards())
    summary.append(_seed_expiries())
    summary.append(_seed_accidents())
    summary.append(_seed_interviews())
    summary.append(_seed_standardization())
    summary.append(seed_agency_work())
    db.session.commit()
    return summary


def _streets_with_grids() -> list[dict]:
    streets = []
    for street in district_data()["streets"]:
        communities = [{**c, "grid_codes": grid_codes(c)} for c in street["communities"]]
        streets.append({**street, "communities": communities})
    return streets


def _seed_enterprises(count: int) -> str:
    if db.session.scalar(select(Enterprise.id).limit(1)) is not None:
        return "enterprises: already present"
    sectors = {s.code: s.id for s in db.session.scalars(select(Sector))}
    streets = {s.code: s.id for s in db.session.scalars(select(Street))}
    communities = {c.code: c.id for c in db.session.scalars(select(Community))}
    grids = {g.code: g.id for g in db.session.scalars(select(Grid))}
    rows = demo.generate_enterprises(_streets_with_grids(), list(sectors), n=count)
    for row in rows:
        db.session.add(Enterprise(
            name=row["name"], credit_code=row["credit_code"], sector_id=sectors[row["sector"]],
            street_id=streets[row["street"]], community_id=communities[row["community"]],
            grid_id=grids[row["grid"]], address=row["address"], risk_level=row["risk_level"],
            confined_space=row["confined_space"], hazardous_chemicals=row["hazardous_chemicals"],
            gas_user=row["gas_user"], key_enterprise=row["key_enterprise"],
            standardization_required=row.get("standardization_required", row["key_enterprise"]),
            headcount=row["headcount"], legal_representative=row["legal_representative"],
            contact_name=row["contact_name"], contact_phone=row["contact_phone"], filed_on=row["filed_on"],
            status=row["status"]))
    db.session.flush()
    return f"enterprises: created {len(rows)}"


def _seed_agencies() -> str:
    existing = set(db.session.scalars(select(Agency.name)))
    created = 0
    for index, name in enumerate(DEMO_AGENCIES):
        if name not in existing:
            db.session.add(Agency(name=name, credit_code=complete(f"91440300MA5{index:02d}KQ3X"),
                                  qualification_no=f"APJ-（粤）-00{index + 1}"))
            created += 1
    db.session.flush()
    return f"agencies: created {created}"


def _user(username: str, role: str, name: str, **binding) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = User(username=username, display_name=name, role=role, **binding)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    return user


def _seed_staff() -> str:
    """A regulator per street, and a grid worker per community responsible for all its grids."""
    rng = random.Random(440307)
    created = 0
    for street in db.session.scalars(select(Street)):
        _user(f"street-{street.code}", roles.STREET_REGULATOR, f"{street.name_zh} {demo.person_name(rng)}",
              street_id=street.id)
    db.session.flush()
    staffed = set(db.session.scalars(select(GridAssignment.grid_id)))
    for community in db.session.scalars(select(Community).order_by(Community.id)):
        worker = _user(f"gw-{community.code}", roles.GRID_WORKER, f"{community.name_zh} {demo.person_name(rng)}",
                       street_id=community.street_id)
        db.session.flush()
        for grid in community.grids:
            if grid.id not in staffed:
                db.session.add(GridAssignment(grid_id=grid.id, user_id=worker.id, starts_on=ASSIGNED_FROM))
                created += 1
    db.session.flush()
    return f"grid assignments: created {created}"


def _seed_logins() -> str:
    """The six demo logins, bound to Pinghu street so their scopes overlap in a way worth showing."""
    street = db.session.scalars(select(Street).order_by(Street.id)).first()
    community = db.session.scalars(select(Community).where(Community.street_id == street.id)
                                   .order_by(Community.id)).first()
    grid_ids = [g.id for g in community.grids]
    enterprise = db.session.scalars(select(Enterprise).where(Enterprise.grid_id.in_(grid_ids))
                                    .order_by(Enterprise.id)).first()
    agency = db.session.scalars(select(Agency).order_by(Agency.id)).first()
    bindings = {
        "street": {"street_id": street.id},
        "grid": {"street_id": street.id},
        "officer": {"enterprise_id": enterprise.id},
        "agency": {"agency_id": agency.id},
    }
    for username, (role, name) in DEMO_LOGINS.items():
        _user(username, role, name, **bindings.get(username, {}))
    db.session.flush()
    grid_user = db.session.scalars(select(User).where(User.username == "grid")).one()
    if not db.session.scalars(select(GridAssignment).where(GridAssignment.user_id == grid_user.id)).first():
        # The demo grid worker takes over the first community's grids from its seeded worker.
        for assignment in db.session.scalars(select(GridAssignment).where(GridAssignment.grid_id.in_(grid_ids))):
            db.session.delete(assignment)
        db.session.flush()
        for grid_id in grid_ids:
            db.session.add(GridAssignment(grid_id=grid_id, user_id=grid_user.id, starts_on=ASSIGNED_FROM))
    return "demo logins: " + ", ".join(f"{u}/{DEMO_PASSWORD}" for u in DEMO_LOGINS)


def _seed_orders() -> str:
    """A street campaign the demo regulator ordered, so the grid worker's list shows why some are due early."""
    if db.session.scalars(select(InspectionOrder)).first():
        return "inspection orders: kept"
    regulator = db.session.scalars(select(User).where(User.username == "street")).one()
    catering = db.session.scalars(select(Sector).where(Sector.code == "catering")).one()
    db.session.add(InspectionOrder(title="餐饮场所燃气安全专项检查", sector_id=catering.id,
                                   street_id=regulator.street_id, due_on=local_today() + timedelta(days=14),
                                   ordered_by_id=regulator.id))
    return "inspection orders: created 1"


DEMO_HAZARDS = [  # (title, severity, days to fix) — typical findings of grid inspections
    ("疏散通道堆放杂物", "general", 3), ("灭火器过期未更换", "general", 7), ("电线私拉乱接", "general", 5),
    ("燃气报警器未安装", "general", 7), ("有限空间作业未审批", "major", 15), ("危化品超量存放", "major", 30),
    ("安全出口指示灯损坏", "general", 5), ("员工未进行安全培训", "general", 30),
]


def _seed_hazards(count: int = 400) -> str:
    """Hazards in every state across the district, each with its opening on the timeline, so the
    boards and the coverage pages have something to show. Only when there are none yet."""
    from safetylist.remediation.models import ACTIVE_STATUSES, Hazard, HazardEvent
    if db.session.scalars(select(Hazard.id).limit(1)).first():
        return "hazards: kept"
    rng = random.Random(2021)
    today = local_today()
    enterprises = db.session.scalars(select(Enterprise.id).order_by(Enterprise.id)).all()
    workers = {u.street_id: u.id for u in db.session.scalars(select(User).where(User.role == roles.STREET_REGULATOR))}
    streets = dict(db.session.execute(select(Enterprise.id, Enterprise.street_id)).all())
    for n in range(count):
        enterprise_id = rng.choice(enterprises)
        title, severity, days = rng.choice(DEMO_HAZARDS)
        found_on = today - timedelta(days=rng.randint(0, 90))
        status = rng.choices(["open", "rectification_submitted", "closed"], weights=[5, 2, 8])[0]
        hazard = Hazard(enterprise_id=enterprise_id, severity=severity, title=title, found_on=found_on,
                        deadline=found_on + timedelta(days=days), status=status,
                        source=rng.choices(["site_inspection", "self_check", "campaign"], weights=[6, 3, 1])[0],
                        created_by_id=workers.get(streets[enterprise_id]))
        if status != "open":
            hazard.rectification_note = "已整改，请复核"
        if status == "closed":
            hazard.closed_by_id = hazard.created_by_id
            # Closed a few days after it was found (never in the future): what the overview's trend
            # and median days to close read.
            closed_on = min(today, found_on + timedelta(days=rng.randint(1, max(1, days + 3))))
            hazard.closed_at = utc_start_of(closed_on) + timedelta(hours=rng.randint(1, 10))
        db.session.add(hazard)
        db.session.flush()
        db.session.add(HazardEvent(hazard_id=hazard.id, actor_id=hazard.created_by_id, action="opened",
                                   to_status="open", details={"demo": True}))
        if status != "open":
            db.session.add(HazardEvent(hazard_id=hazard.id, action="rectification_submitted", from_status="open",
                                       to_status="rectification_submitted", comment="已整改，请复核"))
        if status == "closed":
            db.session.add(HazardEvent(hazard_id=hazard.id, actor_id=hazard.created_by_id, action="verified",
                                       from_status="rectification_submitted", to_status="closed"))
    active = db.session.scalar(select(func.count()).select_from(Hazard).where(Hazard.status.in_(ACTIVE_STATUSES)))
    return f"hazards: created {count} ({active} still to be fixed)"


def _seed_expiries() -> str:
    """What the expiry reminders count to: agency qualifications and standardization certificates,
    some due within 90 days; and e-mail addresses so the development outbox shows the mails."""
    today = local_today()
    for offset, agency in zip((60, 400, 800), db.session.scalars(select(Agency).order_by(Agency.id))):
        if agency.qualification_expires_on is None:
            agency.qualification_expires_on = today + timedelta(days=offset)
    for username in DEMO_LOGINS:
        user = db.session.scalars(select(User).where(User.username == username)).one()
        user.email = user.email or f"{username}@demo.safetylist.local"
    created = 0
    if not db.session.scalar(select(func.count(Certificate.id))):
        officer = db.session.scalars(select(User).where(User.username == "officer")).one()
        chosen = db.session.scalars(select(Enterprise).where(Enterprise.standardization_required.is_(True),
                                                             Enterprise.id != officer.enterprise_id)
                                    .order_by(Enterprise.id).limit(39)).all()
        for index, enterprise_id in enumerate([officer.enterprise_id] + [e.id for e in chosen]):
            expires = today + timedelta(days=29 + index * 27)  # the officer's own: 30 days to go
            issued = expires.replace(year=expires.year - 3) if not (expires.month == 2 and expires.day == 29) \
                else expires.replace(year=expires.year - 3, day=28)
            db.session.add(Certificate(enterprise_id=enterprise_id, grade="3" if index % 4 else "2",
                                       number=f"深龙应急标〔{issued.year}〕{index + 1:03d}号",
                                       issued_on=issued, expires_on=expires))
            created += 1
    db.session.flush()
    return f"standardization certificates: created {created}"


def _seed_accidents() -> str:
    """Accident records: 2019–2021 as the bureau reported them, then last year and this year so far,
    with a few repeat enterprises (the demo officer's and one of the demo street's) for interviews.
    Only when there are none yet; one bulk insert."""
    from sqlalchemy import insert

    from safetylist.interviews import accident_demo
    from safetylist.interviews.models import Accident
    if db.session.scalars(select(Accident.id).limit(1)).first():
        return "accidents: kept"
    enterprises = [accident_demo.Site(*row) for row in db.session.execute(
        select(Enterprise.id, Enterprise.street_id, Enterprise.sector_id).order_by(Enterprise.id))]
    communities = [accident_demo.Site(None, c.street_id, None, c.street.name_zh, c.name_zh)
                   for c in db.session.scalars(select(Community).order_by(Community.id))]
    officer = db.session.scalars(select(User).where(User.username == "officer")).one()
    street = db.session.scalars(select(User).where(User.username == "street")).one()
    featured = [site for site in enterprises if site.enterprise_id == officer.enterprise_id] + \
        [site for site in enterprises if site.street_id == street.street_id
         and site.enterprise_id != officer.enterprise_id][-1:]
    sectors = dict(db.session.execute(select(Sector.code, Sector.id)).all())
    district = db.session.scalars(select(User).where(User.username == "district")).one()
    rows = accident_demo.generate(enterprises, communities, sectors, local_today(), featured)
    for row in rows:
        row["created_by_id"] = district.id
    db.session.execute(insert(Accident), rows)
    return f"accidents: created {len(rows)}"


def _seed_interviews() -> str:
    """Two interviews the demo street regulator planned: the demo officer's enterprise (notice issued,
    in two days, so both sides get reminders) and another Pinghu enterprise next week."""
    from datetime import datetime, time

    from safetylist.interviews import services as interviews
    from safetylist.interviews.models import Interview
    from safetylist.timeutil import from_local
    if db.session.scalar(select(func.count(Interview.id))):
        return "interviews: created 0"
    regulator = db.session.scalars(select(User).where(User.username == "street")).one()
    officer = db.session.scalars(select(User).where(User.username == "officer")).one()
    other = db.session.scalars(select(Enterprise).where(Enterprise.street_id == regulator.street_id,
                                                        Enterprise.id != officer.enterprise_id)
                               .order_by(Enterprise.id)).first()
    today = local_today()
    planned = []
    for enterprise, days, clock in ((db.session.get(Enterprise, officer.enterprise_id), 2, time(9, 30)),
                                    (other, 7, time(14, 30))):
        planned.append(interviews.plan_interview(
            regulator, party_kind="enterprise", enterprise=enterprise,
            planned_at=from_local(datetime.combine(today + timedelta(days=days), clock)),
            place="平湖街道办事处三楼会议室", officials="街道安全生产监管办 王主任、李科长",
            reasons="近12个月内发生2起生产安全事故，隐患整改多次未通过复查。"))
    interviews.issue_notice(regulator, planned[0])
    return f"interviews: created {len(planned)}"


# Deductions of the demo self-assessments and reviews: (item, points earned, reason).
DEMO_DEDUCTIONS = [("safety-funds", 1, "安全生产费用使用台账缺少第三季度记录"),
                   ("emergency-drills", 1, "年度应急演练计划只完成一次"),
                   ("hazardous-work-permits", 3, "动火作业票两份缺少监护人签字")]


def _seed_standardization() -> str:
    """Standardization under way in Pinghu: an application under review by the demo agency (officer2)
    and one reviewed by the district waiting for the decision (officer3), each on a self-assessment with
    evidence for every element; then the daily pass flags certificates that demo accidents concern."""
    from safetylist.checklists import runs, versions
    from safetylist.standardization import services
    from safetylist.standardization.certificates import check_veto_events
    from safetylist.standardization.models import Assessment
    if db.session.scalars(select(Assessment.id).limit(1)).first():
        return "standardization applications: kept"
    key = services.checklist_key()
    if versions.entry(key) is None:
        return "standardization applications: the checklist is not in the library"
    checklist = versions.entry(key).definition
    district = db.session.scalars(select(User).where(User.username == "district")).one()
    agency_user = db.session.scalars(select(User).where(User.username == "agency")).one()
    officer = db.session.scalars(select(User).where(User.username == "officer")).one()
    street_id = officer.enterprise.street_id
    candidates = [e for e in db.session.scalars(
        select(Enterprise).where(Enterprise.street_id == street_id, Enterprise.standardization_required.is_(True),
                                 Enterprise.status == "active", Enterprise.id != officer.enterprise_id)
        .order_by(Enterprise.id)) if not services.vetoes.findings(services.grading.rules(), [e.id], local_today())[e.id]]
    created = 0
    for (username, name), enterprise, reviewed in zip(DEMO_APPLICANTS.items(), candidates, (False, True)):
        applicant = _user(username, roles.OFFICER, name, enterprise_id=enterprise.id)
        db.session.flush()
        run = runs.start_run(applicant, key, enterprise)
        answers = {item.id: item.points for _, item in checklist.all_items() if item.points}
        notes = {}
        for item_id, earned, reason in DEMO_DEDUCTIONS[:2]:
            answers[item_id], notes[item_id] = earned, reason
        runs.submit_run(applicant, run, answers, notes)
        assessment = services.start_application(applicant, enterprise)
        for element in services.applicable_elements(assessment):
            services.save_evidence(applicant, assessment, element, "制度汇编、台账和记录见企业安全管理档案（2026年度）")
        services.submit_application(applicant, assessment)
        if reviewed:
            services.assign_reviewer(district, assessment, user_id=district.id)
            for item_id, earned, reason in DEMO_DEDUCTIONS:
                answers[item_id], notes[item_id] = earned, reason
            services.submit_review(district, assessment, answers, notes)
        else:
            services.assign_reviewer(district, assessment, agency_id=agency_user.agency_id)
        created += 1
    flagged = check_veto_events()
    return f"standardization applications: created {created}; certificates flagged for review: {len(flagged)}"
