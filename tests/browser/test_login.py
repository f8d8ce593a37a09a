"""Every demo role logs in through the form, sees its own home page, and logs out from the menu."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from safetylist.demo_seed import DEMO_LOGINS
from tests.browser.helpers import ROLES, login_through_form


@pytest.mark.parametrize("username", ROLES)
def test_each_role_logs_in_and_out(page: Page, username: str):
    display_name = DEMO_LOGINS[username][1]
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))  # the home page needs a login

    login_through_form(page, username)
    expect(page.locator("h1")).to_contain_text(display_name)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    menu = page.locator("header details.menu")
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    logout = menu.get_by_role("button", name=re.compile(r"^退出登录"))
    expect(logout).to_contain_text(display_name)
    logout.click()

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("main .flash")).to_contain_text("您已退出登录")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))  # the session is really gone


def test_wrong_password_is_refused_on_the_form(page: Page):
    page.goto("/login")
    page.fill("#username", "officer")
    page.fill("#password", "wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
