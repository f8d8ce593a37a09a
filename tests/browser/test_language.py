"""The menu's language switch: English sticks across pages (and for the account), 中文 switches back."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from tests.browser.helpers import login_through_form


def _switch(page: Page, button: str) -> None:
    page.locator("header details.menu summary").click()
    page.locator("header details.menu nav").get_by_role("button", name=button).click()


@pytest.fixture
def reset_locale(live_server):
    """The switch is saved on the account: put the demo users back to the default afterwards."""
    yield
    from safetylist.auth.models import User

    def reset(db):
        db.session.execute(update(User).values(locale=None))
        db.session.commit()
    live_server.query(reset)


def test_english_sticks_and_chinese_comes_back(login_as, reset_locale):
    page = login_as("street")
    page.goto("/enterprises/?risk_level=red")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("企业")

    _switch(page, "English")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/enterprises/\?risk_level=red$"))  # back where the user was
    expect(page.locator("h1")).to_have_text("Enterprises")
    expect(page.get_by_role("button", name="Search")).to_be_visible()

    page.locator("header details.menu summary").click()
    page.locator("header details.menu nav").get_by_role("link", name="Home").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Hello")
    page.reload()
    expect(html).to_have_attribute("lang", "en")

    _switch(page, "中文")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_contain_text("您好")
    page.goto("/enterprises/")
    expect(html).to_have_attribute("lang", "zh-CN")


def test_english_on_the_login_page_sticks(page: Page, reset_locale):
    page.goto("/login")
    _switch(page, "English")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.reload()
    expect(html).to_have_attribute("lang", "en")


def test_language_chosen_before_login_survives_the_login(page: Page, reset_locale):
    page.goto("/login")
    _switch(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    login_through_form(page, "agency")
    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=500)
