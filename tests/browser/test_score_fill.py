"""Scoring a standardization self-assessment on a phone: full marks, a deduction with the points
earned and its reason, N/A; the draft survives a reload and reaches the server."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_officer_fill import wait_saved

CHECKLIST = "standardization-gbt33000"


@pytest.fixture
def standardization_run(live_server):
    """A fresh draft of the GB/T 33000 review for the demo officer's enterprise (made to need one)."""
    from safetylist.auth.models import User
    from safetylist.checklists import runs
    from safetylist.checklists.models import ChecklistRun, ChecklistVersion
    from sqlalchemy import select

    def start(db):
        officer = db.session.scalars(select(User).where(User.username == "officer")).one()
        enterprise = officer.enterprise
        required = enterprise.standardization_required
        enterprise.standardization_required = True
        ids = select(ChecklistRun.id).join(ChecklistVersion).where(
            ChecklistVersion.checklist_key == CHECKLIST, ChecklistRun.enterprise_id == enterprise.id)
        db.session.execute(ChecklistRun.__table__.delete().where(ChecklistRun.id.in_(ids)))
        db.session.commit()
        return runs.start_run(officer, CHECKLIST, enterprise).id, enterprise.id, required

    run_id, enterprise_id, required = live_server.query(start)
    yield run_id

    def restore(db):
        from safetylist.registry.models import Enterprise
        db.session.execute(ChecklistRun.__table__.delete().where(ChecklistRun.id == run_id))
        db.session.get(Enterprise, enterprise_id).standardization_required = required
        db.session.commit()
    live_server.query(restore)


def choose(page: Page, item: str, label: str) -> None:
    page.locator(f"#q-{item} label.choice", has_text=re.compile(f"^{re.escape(label)}$")).click()


def test_a_deduction_asks_for_points_and_reason_and_survives_a_reload(login_as, live_server, standardization_run):
    page = login_as("officer")
    page.goto(f"/runs/{standardization_run}")
    item = page.locator("#q-goals-set")
    deduction = item.locator("[data-deduct]")
    points = item.get_by_label(re.compile(r"^得分（0–2）$"))
    reason = item.get_by_label(re.compile(r"^扣分理由"))

    # Nothing chosen yet: only the three choices, each a comfortable tap target on a 360 px phone.
    expect(deduction).to_be_hidden()
    for label in ("满分 (2 分)", "扣分", "不适用"):
        box = item.locator("label.choice", has_text=label).bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 360, (label, box)

    choose(page, "goals-set", "扣分")
    expect(deduction).to_be_visible()
    expect(points).to_have_attribute("inputmode", "decimal")
    assert points.bounding_box()["height"] >= 44
    points.fill("1.5")
    reason.fill("目标未分解到岗位")
    choose(page, "goals-monitored", "满分 (2 分)")
    expect(page.locator("#q-goals-monitored [data-deduct]")).to_be_hidden()
    choose(page, "safety-organisation", "不适用")
    wait_saved(page)

    page.reload()
    expect(item.locator("input[value=deduct]")).to_be_checked()
    expect(deduction).to_be_visible()
    expect(points).to_have_value("1.5")
    expect(reason).to_have_value("目标未分解到岗位")
    expect(page.locator("#q-goals-monitored input[value=full]")).to_be_checked()
    expect(page.locator("#q-safety-organisation input[value=na]")).to_be_checked()

    from safetylist.checklists.models import ChecklistRun
    stored = live_server.query(lambda db: (lambda run: (run.answers, run.notes))(
        db.session.get(ChecklistRun, standardization_run)))
    assert stored[0] == {"goals-set": 1.5, "goals-monitored": 2, "safety-organisation": "na"}
    assert stored[1] == {"goals-set": "目标未分解到岗位"}

    # Full marks after all: the points and reason fields go away again.
    choose(page, "goals-set", "满分 (2 分)")
    expect(deduction).to_be_hidden()
