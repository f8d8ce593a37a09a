"""The district draws agency projects on a phone with a seed, sees that drawing again gives the same
projects, inspects one with the spot-check checklist and records a finding; the agency then sees the
finding on its own page, to rectify."""
from __future__ import annotations

import re

from playwright.sync_api import expect

PASS_EVERYWHERE = """() => {
  for (const q of document.querySelectorAll(".q")) {
    const pass = q.querySelector("input[type=radio][value=pass]");
    if (pass && !q.querySelector("input[type=radio]:checked")) pass.closest("label").click();
  }
}"""


def test_the_district_draws_inspects_and_the_agency_sees_the_finding(login_as, live_server):
    page = login_as("district")
    page.goto("/agencies/spot-checks")
    draw = page.locator("details", has_text="随机抽取项目")
    draw.get_by_label("抽取项目数").fill("3")
    draw.get_by_label("随机种子（留空则随机生成）").fill("browser-2026")
    draw.get_by_role("button", name="抽取").click()
    page.wait_for_url(re.compile(r"/agencies/spot-checks/draws/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text("已选取 3 个项目")
    expect(page.locator("dl.facts")).to_contain_text("重新抽取结果一致")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1

    first = page.locator("li[id^=spot-check-]").first
    report_no = first.locator("a.mono").inner_text()
    first.get_by_role("button", name="检查该项目").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    expect(page.locator(".fill-head")).to_contain_text(f"项目 {report_no}")
    page.evaluate(PASS_EVERYWHERE)
    for _ in range(3):  # to the last section, the archive
        page.locator("fieldset.section.current [data-next]").click()
    item = page.locator("#q-archive-complete")
    item.locator("label.choice", has_text=re.compile("^不合格$")).click()
    page.locator("#n-archive-complete").fill("项目档案缺少内部审核记录")
    page.locator("[data-submit]").click()
    expect(page.locator(".result")).to_be_visible()
    expect(page.locator("ul.hazards")).to_contain_text("项目档案（合同、过程控制和内部审核记录")

    agency_id = live_server.query(lambda db: _agency_of(db, report_no))
    staff_id = live_server.query(lambda db: _staff_of(db, agency_id))
    if staff_id is None:  # the draw picked another agency's project: the district still sees the finding
        page.goto(f"/agencies/{agency_id}")
        expect(page.locator("#findings")).to_contain_text("项目档案")
        return
    agency = login_as("agency")
    agency.goto(f"/agencies/{agency_id}")
    expect(agency.locator("#findings")).to_contain_text("项目档案")


def _agency_of(db, report_no: str) -> int:
    from sqlalchemy import select

    from safetylist.agencies.models import EvaluationProject
    return db.session.scalar(select(EvaluationProject.agency_id).where(EvaluationProject.report_no == report_no))


def _staff_of(db, agency_id: int):
    from sqlalchemy import select

    from safetylist.auth.models import User
    return db.session.scalar(select(User.id).where(User.username == "agency", User.agency_id == agency_id))
