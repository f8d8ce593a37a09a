"""Importing a spreadsheet from the phone: one bad row rejects the file and the table says where."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.helpers import WIDTH, scroll_width
from tests.registry.spreadsheets import row_for, xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _enterprises(live_server, name=None) -> int:
    from safetylist.registry.models import Enterprise
    query = select(func.count()).select_from(Enterprise)
    if name:
        query = query.where(Enterprise.name == name)
    return live_server.query(lambda db: db.session.scalar(query))


def test_a_bad_row_is_named_and_nothing_is_imported(login_as, live_server):
    good = row_for(name="深圳市浏览器测试五金有限公司")
    bad = row_for(name="深圳市浏览器测试塑胶有限公司", risk="紫")  # no such risk colour
    content = xlsx_bytes([good, bad])  # header = row 1, good = row 2, bad = row 3
    before = _enterprises(live_server)

    page = login_as("district")
    page.goto("/enterprises/import")
    page.locator("#file").set_input_files(files=[{"name": "登记表.xlsx", "mimeType": XLSX, "buffer": content}])
    page.get_by_role("button", name="校验并导入").click()

    expect(page).to_have_url(re.compile(r"/enterprises/import$"))
    report = page.locator("section.card.warn")
    expect(report.get_by_role("heading")).to_have_text("未导入任何数据")
    expect(report).to_contain_text("登记表.xlsx")
    rows = report.locator("table tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_have_text("3")
    expect(cells.nth(1)).to_have_text("风险等级")
    expect(cells.nth(2)).not_to_be_empty()
    expect(report.locator("table thead")).to_contain_text("行号")

    assert _enterprises(live_server) == before
    assert _enterprises(live_server, good["企业名称"]) == 0  # the good row was not imported either
    assert scroll_width(page) <= WIDTH  # the error table scrolls inside its card, not the page

    # Corrected, the same file goes in whole.
    bad["风险等级"] = "黄"
    page.locator("#file").set_input_files(files=[{"name": "登记表.xlsx", "mimeType": XLSX,
                                                  "buffer": xlsx_bytes([good, bad])}])
    page.get_by_role("button", name="校验并导入").click()
    expect(page).to_have_url(re.compile(r"/enterprises/$"))
    expect(page.locator(".flash-success")).to_contain_text("2")
    assert _enterprises(live_server) == before + 2
    assert _enterprises(live_server, good["企业名称"]) == 1
