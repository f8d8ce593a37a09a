"""The enterprise list on a phone: search by part of a name, filter by risk level, page through."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.browser.helpers import count_shown

PAGE_SIZE = 25  # the app's default PAGE_SIZE


def _count(live_server, *conditions) -> int:
    from safetylist.registry.models import Enterprise
    return live_server.query(lambda db: db.session.scalar(
        select(func.count()).select_from(Enterprise).where(*conditions)))


def _names(page: Page) -> list[str]:
    return page.locator("ul.cards li.item strong").all_inner_texts()


def test_search_by_part_of_a_name_narrows_the_list(login_as, live_server):
    from safetylist.registry.models import Enterprise
    fragment = "化工"  # a trade in several demo names, e.g. 深圳市…化工原料有限公司
    expected = _count(live_server, Enterprise.name.contains(fragment))
    total = _count(live_server)

    page = login_as("district")
    page.goto("/enterprises/")
    assert count_shown(page) == total
    assert len(_names(page)) == PAGE_SIZE

    page.get_by_label("企业名称或统一社会信用代码").fill(fragment)
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"[?&]q=%E5%8C%96%E5%B7%A5"))
    assert 0 < count_shown(page) == expected < total
    names = _names(page)
    assert names and all(fragment in name for name in names), names
    expect(page.get_by_label("企业名称或统一社会信用代码")).to_have_value(fragment)  # the box keeps the term

    page.get_by_role("link", name="清空").click()
    assert count_shown(page) == total


def test_filter_by_risk_level_in_the_filters_panel(login_as, live_server):
    from safetylist.registry.models import Enterprise
    expected = _count(live_server, Enterprise.risk_level == "red")

    page = login_as("district")
    page.goto("/enterprises/")
    filters = page.locator("details.more-filters")
    risk = page.get_by_label("风险等级")
    expect(risk).to_be_hidden()  # folded away until asked for
    filters.locator("summary", has_text="筛选").click()
    expect(risk).to_be_visible()
    risk.select_option("red")
    page.get_by_role("button", name="查询").click()

    expect(page).to_have_url(re.compile(r"[?&]risk_level=red"))
    assert count_shown(page) == expected
    badges = page.locator("ul.cards li.item .risk")
    assert badges.count() == min(expected, PAGE_SIZE)
    assert set(badges.evaluate_all("els => els.map(e => e.className)")) == {"risk risk-red"}
    expect(filters).to_have_attribute("open", "")  # an active filter keeps the panel open
    expect(risk).to_have_value("red")


def test_paging_keeps_the_filters(login_as, live_server):
    from safetylist.registry.models import Enterprise
    yellow = _count(live_server, Enterprise.risk_level == "yellow")
    pages = -(-yellow // PAGE_SIZE)
    assert pages >= 3, "the demo register should give several pages of yellow enterprises"

    page = login_as("district")
    page.goto("/enterprises/?risk_level=yellow")
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text(f"第 1 页，共 {pages} 页")
    expect(pager.get_by_role("link", name=re.compile("上一页"))).to_have_count(0)
    first = _names(page)

    pager.get_by_role("link", name=re.compile("下一页")).click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page).to_have_url(re.compile(r"risk_level=yellow"))
    expect(pager).to_contain_text(f"第 2 页，共 {pages} 页")
    second = _names(page)
    assert len(second) == PAGE_SIZE and not set(first) & set(second)
    assert set(page.locator("ul.cards li.item .risk").evaluate_all("els => els.map(e => e.className)")) \
        == {"risk risk-yellow"}

    page.goto(f"/enterprises/?risk_level=yellow&page={pages}")
    expect(pager).to_contain_text(f"第 {pages} 页，共 {pages} 页")
    expect(pager.get_by_role("link", name=re.compile("下一页"))).to_have_count(0)
    assert len(_names(page)) == yellow - (pages - 1) * PAGE_SIZE

    pager.get_by_role("link", name=re.compile("上一页")).click()
    expect(page).to_have_url(re.compile(rf"page={pages - 1}"))
    expect(pager).to_contain_text(f"第 {pages - 1} 页")
