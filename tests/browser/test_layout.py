"""At 360 px nothing scrolls sideways, and every control is big enough for a finger (44 px)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import OVERFLOWING_JS, PAGE_NAMES, SMALL_TAP_TARGETS_JS, TAP_TARGET, WIDTH, \
    open_all_details, scroll_width


def _overflow(page: Page) -> str | None:
    width = scroll_width(page)
    if width <= WIDTH:
        return None
    return f"scrollWidth {width} > {WIDTH}: {page.evaluate(OVERFLOWING_JS, WIDTH)}"


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_no_horizontal_overflow(visit, pages, name):
    page = visit(pages[name])
    assert _overflow(page) is None, f"{name} closed: {_overflow(page)}"
    open_all_details(page)  # the menu, the filters, the column help
    assert _overflow(page) is None, f"{name} with every <details> open: {_overflow(page)}"


SMALL_TARGET_BUGS: dict[str, str] = {}  # known bugs, as strict xfails: fixed ones XPASS and fail, so drop them


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=SMALL_TARGET_BUGS[name]))
    if name in SMALL_TARGET_BUGS else name for name in PAGE_NAMES])
def test_tap_targets_are_44px_high(visit, pages, name):
    page = visit(pages[name])
    small = page.evaluate(SMALL_TAP_TARGETS_JS, TAP_TARGET)
    open_all_details(page)
    small += [f"{s} (opened)" for s in page.evaluate(SMALL_TAP_TARGETS_JS, TAP_TARGET) if s not in small]
    assert not small, f"{name}: tap targets under {TAP_TARGET} px: {small}"
