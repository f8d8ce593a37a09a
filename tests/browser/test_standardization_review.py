"""An evaluation agency scores a standardization application on a phone: the self-assessment beside
each item, a deduction with its points and reason, a saved draft, then the submitted review shown side
by side; the district regulator then decides the grade."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

FULL_MARKS_EVERYWHERE = """() => {
  for (const q of document.querySelectorAll(".q[data-type=score]")) {
    const full = q.querySelector("input[type=radio][value=full]");
    if (!q.querySelector("input[type=radio]:checked")) full.closest("label").click();
  }
}"""


def in_review(live_server) -> int:
    from safetylist.standardization.models import Assessment
    return live_server.query(lambda db: db.session.scalar(
        select(Assessment.id).where(Assessment.status == "in_review").order_by(Assessment.id).limit(1)))


def test_the_agency_reviews_and_the_district_decides(login_as, live_server):
    assessment_id = in_review(live_server)
    page = login_as("agency")
    page.goto("/standardization/")
    page.wait_for_url(re.compile(r"/standardization/applications$"))
    page.locator(f"a[href='/standardization/assessments/{assessment_id}']").click()
    page.get_by_role("link", name="为该申请评分").click()
    page.wait_for_url(re.compile(rf"/standardization/assessments/{assessment_id}/review$"))

    item = page.locator("#q-goals-set")
    expect(item.locator("[data-deduct]")).to_be_hidden()
    item.locator("label.choice", has_text="扣分").click()
    expect(item.locator("[data-deduct]")).to_be_visible()
    item.get_by_label(re.compile(r"^得分（0–2）$")).fill("1")
    item.locator("textarea").fill("安全费用台账缺少第三季度记录")
    page.get_by_role("button", name="保存评分").click()
    expect(page.locator(".flash-success")).to_contain_text("评分已保存")
    item = page.locator("#q-goals-set")
    expect(item.locator("input[value=deduct]")).to_be_checked()
    expect(item.get_by_label(re.compile(r"^得分（0–2）$"))).to_have_value("1")

    page.evaluate(FULL_MARKS_EVERYWHERE)
    page.get_by_role("button", name="提交评审结果").click()
    expect(page.locator(".flash-success")).to_contain_text("评审结果已提交")
    row = page.locator("#compare-goals-responsibilities tr.differs", has_text="是否制定了安全生产总目标")
    expect(row).to_contain_text("评审意见：安全费用台账缺少第三季度记录")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1

    district = login_as("district")
    district.goto(f"/standardization/assessments/{assessment_id}")
    district.locator("summary", has_text="决定定级").click()
    district.get_by_role("button", name="记录定级决定").click()
    expect(district.locator(".flash-success")).to_contain_text("定级决定已记录")
    expect(district.locator("dl.facts")).to_contain_text("深龙应急标")
