"""Fixtures and builders of the agency service tests: two agencies with staff and evaluators on top of
`world`, projects, hazards and complete checklist answers derived from the checklist files.

Nothing here is autouse: the page tests in this folder build their own data and speak the default
language; the service tests opt into English with `pytestmark = pytest.mark.usefixtures("english")`."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from safetylist.timeutil import local_today
from tests.factories import new_credit_code

_numbers = itertools.count(1)


@pytest.fixture
def english(app, monkeypatch):
    """Reasons are asserted in English; the UI default (Chinese) is tested elsewhere. These tests
    call services and never log in, so the users `world` makes get a cheap password hash (real
    hashing of its eight users would be most of each test's time); check_password_hash reads it."""
    from flask_babel import force_locale
    from werkzeug.security import generate_password_hash

    from safetylist.auth import models
    monkeypatch.setattr(models, "generate_password_hash",
                        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"))
    with app.app_context(), force_locale("en"):
        yield


def answers_for(definition, fail: dict | None = None, projects: int = 3) -> dict:
    """An answer for every item of a checklist that passes it (numbers inside their range, yes_no
    away from its failing answer, the first non-failing option), except the items in `fail`
    (item id → the failing answer). `projects` answers the agency self-check's count of reports,
    which shows the per-project questions when above 0."""
    fail = fail or {}
    answers: dict = {}
    for _section, item in definition.all_items():
        if item.id in fail:
            answers[item.id] = fail[item.id]
        elif item.answer == "pass_fail_na":
            answers[item.id] = "pass"
        elif item.answer == "yes_no":
            answers[item.id] = "no" if item.fail_on == "yes" else "yes"
        elif item.answer == "number":
            value = projects if item.id == "projects-this-quarter" else (item.min or 0)
            answers[item.id] = value
        elif item.answer == "score":
            answers[item.id] = item.points
        elif item.answer == "single_choice":
            answers[item.id] = next(o.id for o in item.options if not o.fails)
        elif item.answer == "multi_choice":
            answers[item.id] = []
        elif item.answer == "signature":
            answers[item.id] = "技术负责人张工"
        elif item.answer == "text":
            answers[item.id] = "本季度自查未发现其他问题。"
        else:  # photo items would need stored photos: none of the agency checklists has one
            raise AssertionError(f"no answer for {item.id} ({item.answer})")
    return {k: v for k, v in answers.items() if v != []}


@pytest.fixture
def agencies(world, make_user, db):
    """world + a second agency ("other") with its own staff, and evaluators for both:
    world["agency"]: 张伟 (PJ-A-001), 李娜 (PJ-A-002); other: 王强 (PJ-B-001)."""
    from safetylist.agencies.models import Agency, Evaluator
    today = local_today()
    agency = world["agency"]
    agency.qualification_no = "APJ-(粤)-001"
    agency.qualification_issued_on = today - timedelta(days=700)
    agency.qualification_expires_on = today + timedelta(days=1000)
    other = Agency(name="乙方安全技术咨询有限公司", credit_code=new_credit_code(), qualification_no="APJ-(粤)-002",
                   qualification_issued_on=today - timedelta(days=300),
                   qualification_expires_on=today + timedelta(days=1500))
    db.session.add(other)
    db.session.flush()
    evaluators = {
        "zhang": Evaluator(agency_id=agency.id, name="张伟", certificate_no="PJ-A-001", specialty="机械"),
        "li": Evaluator(agency_id=agency.id, name="李娜", certificate_no="PJ-A-002", specialty="化工"),
        "wang": Evaluator(agency_id=other.id, name="王强", certificate_no="PJ-B-001", specialty="电气"),
    }
    db.session.add_all(evaluators.values())
    db.session.commit()
    world["other"] = other
    world["other_staff"] = make_user("agency_staff", agency_id=other.id)
    world.update(evaluators)
    return world


@pytest.fixture
def make_project(db):
    """A project stored directly (no service checks): make_project(agency, enterprise, report_on, …)."""
    from safetylist.agencies.models import EvaluationProject

    def make(agency, enterprise, report_on: date, evaluators=(), conclusion: str = "meets",
             evaluation_type: str = "current", started_on: date | None = None, report_no: str | None = None):
        project = EvaluationProject(
            agency_id=agency.id, enterprise_id=enterprise.id,
            report_no=report_no or f"PJ-{next(_numbers):05d}", evaluation_type=evaluation_type,
            started_on=started_on or report_on - timedelta(days=20), report_on=report_on,
            conclusion=conclusion, evaluators=list(evaluators))
        db.session.add(project)
        db.session.commit()
        return project
    return make


@pytest.fixture
def make_hazard(db):
    """An open hazard stored directly, of an enterprise or of an agency."""
    from safetylist.remediation.models import Hazard

    def make(enterprise=None, agency=None, severity: str = "general", found_on: date | None = None,
             status: str = "open", title: str = "测试隐患"):
        found_on = found_on or local_today()
        hazard = Hazard(enterprise_id=getattr(enterprise, "id", None), agency_id=getattr(agency, "id", None),
                        severity=severity, title=title, found_on=found_on, deadline=found_on + timedelta(days=10),
                        status=status, source="other")
        db.session.add(hazard)
        db.session.commit()
        return hazard
    return make
