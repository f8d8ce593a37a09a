"""Constants and helpers shared by the browser tests (imported by their conftest too)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select

# See /work/shared/TOOLING.md: Playwright cannot fetch its own browser here.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

WIDTH = 360
PHONE = {
    "viewport": {"width": WIDTH, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
PASSWORD = "safety2021"  # safetylist.demo_seed.DEMO_PASSWORD
ROLES = ["admin", "district", "street", "grid", "officer", "agency"]  # the demo logins

# Reported to Python from every page: CSP violations (the app forbids inline scripts and styles).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__slReportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`);
}, true);
"""


@dataclass
class LiveServer:
    url: str
    app: Flask

    def query(self, fn: Callable):
        """fn(db) in an app context of the live app (same database as the browser sees); returns its result."""
        from safetylist.extensions import db
        with self.app.app_context():
            try:
                return fn(db)
            finally:
                db.session.remove()


@dataclass
class Problems:
    """What went wrong in the browser while a test ran."""
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    failed_documents: set[str] = field(default_factory=set)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """A console error the test provokes on purpose (e.g. a 400 answer to a refused submission)."""
        self.allowed.append(re.compile(pattern))

    def unexpected_console_errors(self) -> list[str]:
        """Console errors, leaving out chromium's note on a page answered with 4xx on purpose (form errors)."""
        return [m for m in self.console_errors
                if not (m.startswith("Failed to load resource: the server responded with a status of 4")
                        and m.rsplit(" @ ", 1)[-1] in self.failed_documents)
                and not any(p.search(m) for p in self.allowed)]


def login_through_form(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name=re.compile("^(登录|Log in)$")).click()
    page.wait_for_url(re.compile(r"/$"))


def user_id(live_server: LiveServer, username: str) -> int:
    from safetylist.auth.models import User
    return live_server.query(lambda db: db.session.scalar(select(User.id).where(User.username == username)))


def scroll_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def count_shown(page: Page) -> int:
    """The '共 N 家企业' total above the enterprise list."""
    text = page.locator(".titlebar.small p.muted").inner_text()
    return int(re.search(r"\d+", text.replace(",", "")).group())


# --- data from the demo register ------------------------------------------------------------
def enterprise_ids(live_server: LiveServer) -> dict[str, int]:
    """Enterprises worth opening: the one with the longest name (hardest to fit at 360 px), and one
    in the first street (平湖) that no demo login is bound to, for editing."""
    from sqlalchemy import func

    from safetylist.auth.models import User
    from safetylist.registry.models import Enterprise, Street

    def find(db):
        longest = db.session.scalar(select(Enterprise.id)
                                    .order_by(func.length(Enterprise.name).desc(), Enterprise.id).limit(1))
        first_street = db.session.scalar(select(Street.id).order_by(Street.id).limit(1))
        bound = select(User.enterprise_id).where(User.enterprise_id.is_not(None))
        editable = db.session.scalar(select(Enterprise.id)
                                     .where(Enterprise.street_id == first_street, Enterprise.grid_id.is_not(None),
                                            Enterprise.id.not_in(bound))
                                     .order_by(Enterprise.id.desc()).limit(1))
        return {"longest": longest, "editable": editable}
    return live_server.query(find)


PAGE_NAMES = ["login", *[f"home-{role}" for role in ROLES], "enterprise-list", "enterprise-list-filtered",
              "enterprise-detail", "enterprise-edit", "enterprise-edit-officer", "enterprise-new", "import",
              "admin-users", "grid-assignment", "run-fill", "run-result", "run-history", "checklist-library",
              "checklist-detail", "my-inspections", "inspections-street", "grid-checkin",
              "inspection-orders", "coverage-street", "coverage-district", "hazard-board", "hazard-detail",
              "notices", "interview-suggestions", "interview-counts", "interviews", "interview-new",
              "interview-detail", "interview-follow-up",
              "notifications", "notification-settings", "deliveries", "outbox",
              "accidents", "accident-detail", "accident-edit", "accident-new", "accident-import", "accident-stats",
              "standardization", "standardization-sectors", "standardization-without-grade",
              "standardization-enterprise", "standardization-applications", "standardization-application",
              "standardization-review", "standardization-decision", "standardization-certificate",
              "agencies", "agency-home", "agency-detail", "agency-projects", "agency-project", "agency-project-new",
              "agency-project-import", "agency-call", "agency-spot-checks", "agency-draw",
              "dashboard-district", "dashboard-street"]


def passing_answers(definition) -> dict:
    """Answers that pass every visible item: answer what is missing until nothing is."""
    from safetylist.checklists.engine import evaluate
    items = {item.id: item for _, item in definition.all_items()}
    answers: dict = {}
    while missing := evaluate(definition, answers).missing:
        for item_id in missing:
            item = items[item_id]
            answers[item_id] = {"pass_fail_na": "pass", "number": item.min if item.min is not None else 0,
                                "score": item.points,
                                "yes_no": "no" if item.fail_on == "yes" else "yes"}.get(item.answer, "ok")
    return answers


def site_inspection_runs(live_server: LiveServer) -> dict[str, int]:
    """A draft and a submitted grid site inspection by the demo grid worker (layout pages for runs)."""
    from safetylist.auth.models import User
    from safetylist.checklists import runs
    from safetylist.registry.models import Enterprise

    def make(db):
        worker = db.session.scalars(select(User).where(User.username == "grid")).one()
        from safetylist.auth.scope import Scope
        enterprise = db.session.scalars(Scope(worker).enterprises().order_by(Enterprise.id)).first()
        done = runs.start_run(worker, "grid-site-inspection", enterprise)
        runs.submit_run(worker, done, passing_answers(runs.definition(done)))
        draft = runs.start_run(worker, "grid-site-inspection", enterprise)
        return {"draft": draft.id, "submitted": done.id}
    return live_server.query(make)


def pages_to_check(live_server: LiveServer) -> dict[str, tuple[str | None, str]]:
    """name -> (demo login or None for anonymous, path), for every name in PAGE_NAMES."""
    ids = enterprise_ids(live_server)
    pages: dict[str, tuple[str | None, str]] = {"login": (None, "/login")}
    pages.update({f"home-{role}": (role, "/") for role in ROLES})
    pages.update({
        "enterprise-list": ("district", "/enterprises/"),
        "enterprise-list-filtered": ("district", "/enterprises/?risk_level=red&flag=gas_user&page=1"),
        "enterprise-detail": ("district", f"/enterprises/{ids['longest']}"),
        "enterprise-edit": ("district", f"/enterprises/{ids['longest']}/edit"),
        "enterprise-edit-officer": ("officer", f"/enterprises/{officer_enterprise_id(live_server)}/edit"),
        "enterprise-new": ("street", "/enterprises/new"),
        "import": ("district", "/enterprises/import"),
        "admin-users": ("admin", "/admin/users"),
        "grid-assignment": ("admin", f"/admin/users/{user_id(live_server, 'grid')}/grids"),
    })
    runs = site_inspection_runs(live_server)
    pages.update({
        "run-fill": ("grid", f"/runs/{runs['draft']}"),
        "run-result": ("grid", f"/runs/{runs['submitted']}"),
        "run-history": ("grid", "/runs/"),
        "checklist-library": ("district", "/checklists/"),
        "checklist-detail": ("district", "/checklists/standardization-gbt33000"),
        "my-inspections": ("grid", "/grid/inspections"),
        "inspections-street": ("street", "/grid/inspections"),
        "grid-checkin": ("grid", f"/grid/checkin/{checkin_token(live_server, 'grid')}"),
        "inspection-orders": ("street", "/grid/orders"),
        "coverage-street": ("street", "/grid/coverage"),
        "coverage-district": ("district", "/grid/coverage"),
        "hazard-board": ("district", "/hazards/"),
        "hazard-detail": ("officer", f"/hazards/{officer_hazard_id(live_server)}"),
        "notices": ("street", "/hazards/notices/"),
        "interview-suggestions": ("street", "/interviews/suggestions"),
        "interview-counts": ("district", "/interviews/counts"),
    })
    interviews = interview_samples(live_server)
    pages.update({
        "interviews": ("district", "/interviews/?view=all"),
        "interview-new": ("street", f"/interviews/new?enterprise_id={interviews['enterprise']}"),
        "interview-detail": ("street", f"/interviews/{interviews['due']}"),
        "interview-follow-up": ("street", f"/interviews/{interviews['follow_up']}"),
    })
    notification_samples(live_server)
    pages.update({
        "notifications": ("officer", "/notifications/"),
        "notification-settings": ("grid", "/notifications/settings"),
        "deliveries": ("admin", "/notifications/deliveries?status=all"),
        "outbox": ("admin", "/notifications/outbox"),
    })
    accident = accident_id(live_server)
    pages.update({
        "accidents": ("district", "/accidents/"),
        "accident-detail": ("street", f"/accidents/{accident}"),
        "accident-edit": ("street", f"/accidents/{accident}/edit"),
        "accident-new": ("street", "/accidents/new"),
        "accident-import": ("district", "/accidents/import"),
        "accident-stats": ("district", "/accidents/stats?year=2021&until=2021-11-30"),
    })
    applications = standardization_samples(live_server)
    pages.update({
        "standardization": ("district", "/standardization/"),
        "standardization-sectors": ("street", "/standardization/?by=sector"),
        "standardization-without-grade": ("street", "/standardization/without-grade"),
        "standardization-enterprise": ("officer", f"/standardization/enterprises/{officer_enterprise_id(live_server)}"),
        "standardization-applications": ("agency", "/standardization/applications"),
        "standardization-application": ("agency", f"/standardization/assessments/{applications['in_review']}"),
        "standardization-review": ("agency", f"/standardization/assessments/{applications['in_review']}/review"),
        "standardization-decision": ("district", f"/standardization/assessments/{applications['reviewed']}"),
        "standardization-certificate": ("district", f"/standardization/certificates/{applications['certificate']}"),
    })
    agency = agency_samples(live_server)
    pages.update({
        "agencies": ("district", "/agencies/"),
        "agency-home": ("agency", "/"),
        "agency-detail": ("district", f"/agencies/{agency['agency']}"),
        "agency-projects": ("district", f"/agencies/projects?agency_id={agency['agency']}"),
        "agency-project": ("agency", f"/agencies/projects/{agency['project']}"),
        "agency-project-new": ("agency", f"/agencies/{agency['agency']}/projects/new"),
        "agency-project-import": ("agency", f"/agencies/{agency['agency']}/projects/import"),
        "agency-call": ("district", "/agencies/self-check-calls/new"),
        "agency-spot-checks": ("district", "/agencies/spot-checks"),
        "agency-draw": ("district", f"/agencies/spot-checks/draws/{agency['draw']}"),
        "dashboard-district": ("district", "/dashboard/"),
        "dashboard-street": ("street", "/dashboard/"),
    })
    assert list(pages) == PAGE_NAMES
    return pages


def agency_samples(live_server: LiveServer) -> dict[str, int]:
    """The demo agency, its project with the longest conclusion, and the demo spot-check draw."""
    from sqlalchemy import func

    from safetylist.agencies.models import EvaluationProject, SpotCheckDraw
    from safetylist.auth.models import User

    def find(db):
        agency_id = db.session.scalar(select(User.agency_id).where(User.username == "agency"))
        project = db.session.scalar(select(EvaluationProject.id).where(EvaluationProject.agency_id == agency_id)
                                    .order_by(func.length(EvaluationProject.report_no).desc(), EvaluationProject.id)
                                    .limit(1))
        return {"agency": agency_id, "project": project,
                "draw": db.session.scalar(select(func.min(SpotCheckDraw.id)))}
    return live_server.query(find)


def checkin_token(live_server: LiveServer, username: str) -> str:
    """The poster secret of the longest-named enterprise (hardest to fit at 360 px) the user inspects."""
    from sqlalchemy import func

    from safetylist.auth.models import User
    from safetylist.auth.scope import Scope
    from safetylist.registry.models import Enterprise

    def find(db):
        user = db.session.scalars(select(User).where(User.username == username)).one()
        return db.session.scalar(Scope(user).enterprises().with_only_columns(Enterprise.checkin_token)
                                 .order_by(func.length(Enterprise.name).desc(), Enterprise.id).limit(1))
    return live_server.query(find)


def officer_hazard_id(live_server: LiveServer) -> int:
    """A hazard of the officer's enterprise still to be fixed (the demo has some in every state)."""
    from safetylist.remediation.models import Hazard

    def find(db):
        enterprise_id = officer_enterprise_id(live_server)
        hazard = db.session.scalars(select(Hazard).where(Hazard.enterprise_id == enterprise_id,
                                                         Hazard.status == "open")).first()
        if hazard is None:  # make one, as a grid inspection would have
            from safetylist.timeutil import local_today
            hazard = Hazard(enterprise_id=enterprise_id, severity="general", title="疏散通道堆放杂物",
                            found_on=local_today(), deadline=local_today(), source="site_inspection")
            db.session.add(hazard)
            db.session.commit()
        return hazard.id
    return live_server.query(find)


def notification_samples(live_server: LiveServer) -> None:
    """Reminders for the officer as the scan records them (read and unread, about the longest-named
    enterprise), one failed delivery with a long error and one e-mail in the development outbox."""
    from safetylist.auth.models import User
    from safetylist.notify.models import Delivery, Notification, OutboxMessage
    from safetylist.registry.models import Enterprise
    from safetylist.timeutil import utcnow

    hazard_id = officer_hazard_id(live_server)
    longest = enterprise_ids(live_server)["longest"]

    def make(db):
        officer = db.session.scalars(select(User).where(User.username == "officer")).one()
        party = db.session.get(Enterprise, longest).name
        params = {"title": {"zh": "疏散通道堆放杂物，安全出口指示标志损坏", "en": "Goods stored in the escape route"},
                  "party": party, "deadline": "2026-12-01", "days_left": 1, "days_overdue": 12,
                  "severity": "general"}
        made = []
        for stage, link, read in (("before-3d", f"/hazards/{hazard_id}", True), ("before-1d", None, False),
                                  ("overdue:2026-12-13", f"/hazards/{hazard_id}", False)):
            notification = Notification(user_id=officer.id, reminder="hazard-deadline", stage=stage,
                                        params=params, subject_type="hazard", subject_id=hazard_id,
                                        deadline="2026-12-01", link=link, read_at=utcnow() if read else None)
            db.session.add(notification)
            made.append(notification)
        db.session.flush()
        failed = Delivery(notification_id=made[1].id, channel="email", status="failed", attempts=6,
                          last_error="SMTP 550 5.1.1 <officer@demo.safetylist.local>: Recipient address rejected: "
                                     "User unknown in virtual mailbox table (after 6 attempts)")
        sent = Delivery(notification_id=made[2].id, channel="email", status="sent", attempts=1, sent_at=utcnow())
        db.session.add_all([failed, sent])
        db.session.flush()
        db.session.add(OutboxMessage(delivery_id=sent.id, to_address="officer@demo.safetylist.local",
                                     subject="隐患整改期限：疏散通道堆放杂物，安全出口指示标志损坏",
                                     body=f"{party}的隐患已逾期12天（期限2026-12-01），请尽快整改。\n\n"
                                          f"http://127.0.0.1:5000/hazards/{hazard_id}?from=reminder-email-long-link"))
        db.session.commit()
    live_server.query(make)


def accident_id(live_server: LiveServer) -> int:
    """A demo accident in the demo street regulator's street, at the enterprise with the longest name."""
    from sqlalchemy import func

    from safetylist.auth.models import User
    from safetylist.interviews.models import Accident
    from safetylist.registry.models import Enterprise

    def find(db):
        street = db.session.scalar(select(User.street_id).where(User.username == "street"))
        return db.session.scalar(select(Accident.id).join(Enterprise, Accident.enterprise_id == Enterprise.id)
                                 .where(Accident.street_id == street)
                                 .order_by(func.length(Enterprise.name).desc(), Accident.id).limit(1))
    return live_server.query(find)


def interview_samples(live_server: LiveServer) -> dict[str, int]:
    """Two interviews of the longest-named enterprise in the demo street regulator's street, made through
    the service: one whose notice was issued and whose time has come (the form to record it as held),
    one being followed up with long commitments (the commitment, supplement and closing forms)."""
    from datetime import timedelta

    from sqlalchemy import func, update

    from safetylist.auth.models import User
    from safetylist.auth.scope import Scope
    from safetylist.interviews import services
    from safetylist.interviews.models import Interview
    from safetylist.registry.models import Enterprise
    from safetylist.timeutil import local_today, utcnow

    def make(db):
        regulator = db.session.scalars(select(User).where(User.username == "street")).one()
        enterprise = db.session.scalars(Scope(regulator).enterprises()
                                        .order_by(func.length(Enterprise.name).desc(), Enterprise.id)).first()

        def due_now() -> Interview:
            interview = services.plan_interview(
                regulator, party_kind="enterprise", enterprise=enterprise,
                planned_at=utcnow().replace(second=0, microsecond=0) + timedelta(days=1),
                place="平湖街道办事处三楼第二会议室（平湖街道平新北路1号）", officials="王监管、街道安监办李主任",
                reasons="近一年内发生两起机械伤害事故，且多项隐患整改逾期未完成，安全生产主体责任落实不到位。")
            services.issue_notice(regulator, interview)
            # Its time has come: moved back as the calendar would, without another timeline step.
            db.session.execute(update(Interview).where(Interview.id == interview.id)
                               .values(planned_at=utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)))
            db.session.commit()
            db.session.refresh(interview)
            return interview

        due, follow_up = due_now(), due_now()
        services.record_held(regulator, follow_up, follow_up.planned_at, "法定代表人、安全生产管理负责人",
                             "通报事故情况，指出隐患整改逾期问题；企业负责人表态限期整改，并落实全员安全培训。")
        deadline = local_today() + timedelta(days=30)
        services.record_commitments(regulator, follow_up, [
            services.Commitment("对全部冲压设备加装光电保护装置并建立日常点检记录，整改完成后报街道复查", "法定代表人张某某",
                                deadline, "major"),
            services.Commitment("组织全体一线员工开展机械伤害专项安全培训", "安全主任李某", deadline)])
        return {"enterprise": enterprise.id, "due": due.id, "follow_up": follow_up.id}
    return live_server.query(make)


def standardization_samples(live_server: LiveServer) -> dict[str, int]:
    """The demo's applications (one under review by the demo agency, one waiting for the decision) and
    the officer's certificate."""
    from safetylist.standardization.models import Assessment, Certificate

    def find(db):
        ids = {status: db.session.scalar(select(Assessment.id).where(Assessment.status == status).limit(1))
               for status in ("in_review", "reviewed")}
        ids["certificate"] = db.session.scalar(select(Certificate.id).where(
            Certificate.enterprise_id == officer_enterprise_id(live_server)).limit(1))
        assert all(ids.values()), ids
        return ids
    return live_server.query(find)


def officer_enterprise_id(live_server: LiveServer) -> int:
    from safetylist.auth.models import User
    return live_server.query(lambda db: db.session.scalar(
        select(User.enterprise_id).where(User.username == "officer")))


# --- what a 360 px phone needs --------------------------------------------------------------------
TAP_TARGET = 44  # px, WCAG 2.5.5 / Apple HIG

# Small tap targets among a.button, button, input, select, summary in <main> and the top bar.
# A checkbox or radio counts by its label, which is what a finger hits.
SMALL_TAP_TARGETS_JS = """
(minimum) => {
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\\s+/g, " ");
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.name ? "[name=" + el.name + "]" : ""}`
      + `${cls} "${text.slice(0, 30)}"`;
  };
  const small = [];
  const selector = "a.button, button, input, select, summary";
  for (const root of document.querySelectorAll("main, header.topbar")) {
    for (const el of root.querySelectorAll(selector)) {
      if (el.type === "hidden") continue;
      let box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;  // not rendered, e.g. inside a closed <details>
      if (getComputedStyle(el).visibility === "hidden") continue;
      if (el.type === "checkbox" || el.type === "radio") {
        const label = el.closest("label")
          || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`));
        if (!label) { small.push(`${describe(el)}: no label to tap`); continue; }
        box = label.getBoundingClientRect();
      }
      if (box.height + 0.01 < minimum) small.push(`${describe(el)}: ${box.height.toFixed(1)} px high`);
    }
  }
  return small;
}
"""

# Elements sticking out past the right edge of the viewport (to explain an overflow).
OVERFLOWING_JS = """
(width) => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && box.width > 0) {
      const cls = typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().replace(/\\s+/g, ".") : "";
      out.push(`${el.tagName.toLowerCase()}${cls} right=${box.right.toFixed(0)}`);
    }
  }
  return out.slice(0, 10);
}
"""


def open_all_details(page: Page) -> None:
    """Open the menu and every other <details> (filters, column help) as a user could."""
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
