"""No console errors and no Content-Security-Policy violations on the pages people visit.

Every browser test already fails on a JavaScript error or a CSP violation (see the `phone`
fixture); this walk covers each role's menu and the main pages, and is strict about console
errors of any kind (a 404 for a stylesheet or icon counts too).
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import ROLES

MENU_LINKS_JS = "() => [...document.querySelectorAll('header details.menu nav a')].map((a) => a.getAttribute('href'))"


@pytest.mark.parametrize("username", [None, *ROLES])
def test_pages_log_no_console_errors(login_as, phone, pages, problems, username):
    tab = login_as(username) if username else phone().new_page()
    tab.goto("/")
    paths = ["/", *tab.evaluate(MENU_LINKS_JS)] + [path for who, path in pages.values() if who == username]
    for path in dict.fromkeys(paths):
        response = tab.goto(path)
        assert response.ok, f"{path}: {response.status}"
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, f"{path}: CSP {csp!r}"
        tab.locator("header details.menu summary").click()  # the menu opens without a script error
    assert problems.console_errors == [], f"as {username}: {problems.console_errors}"
    assert problems.csp_violations == [] and problems.page_errors == []


def test_csp_violations_would_be_caught(page: Page, problems):
    """The detector itself: an inline script (what the CSP forbids) is reported."""
    page.goto("/login")
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__inline = 1"; document.body.append(s); }""")
    assert page.evaluate("() => window.__inline") is None  # blocked
    for _ in range(20):  # the report reaches Python asynchronously
        if problems.csp_violations:
            break
        page.wait_for_timeout(50)
    assert any("script-src" in v for v in problems.csp_violations), problems.csp_violations
    assert any("Content Security Policy" in m for m in problems.console_errors), problems.console_errors
    problems.csp_violations.clear()
    problems.console_errors.clear()
