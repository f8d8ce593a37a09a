"""A grid worker checks in on a phone that shares its position: by the site's QR code (on site) and
from the inspection list (not on site); and a phone that refuses still starts."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.helpers import checkin_token

HERE = {"latitude": 22.72154, "longitude": 114.24687, "accuracy": 9}


def located(page: Page) -> Page:
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(HERE)
    return page


def qr_enterprise_name(live_server) -> str:
    from safetylist.registry.models import Enterprise
    token = checkin_token(live_server, "grid")
    return live_server.query(lambda db: db.session.scalar(
        select(Enterprise.name).where(Enterprise.checkin_token == token)))


def run_of(live_server, page: Page):
    from safetylist.checklists.models import ChecklistRun
    run_id = int(re.search(r"/runs/(\d+)$", page.url).group(1))
    return live_server.query(lambda db: db.session.get(ChecklistRun, run_id))


def test_qr_check_in_records_on_site_and_the_position(login_as, live_server):
    page = located(login_as("grid"))
    page.goto(f"/grid/checkin/{checkin_token(live_server, 'grid')}")
    expect(page.locator("[data-geo-status]")).to_have_attribute("data-state", "found")
    expect(page.locator("[data-geo-status]")).to_contain_text("±9")
    page.locator("form[data-geolocate] button").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    run = run_of(live_server, page)
    assert run.on_site is True and run.checked_in_at is not None
    assert (run.latitude, run.longitude, run.location_accuracy_m) == (22.72154, 114.24687, 9)


def test_the_list_start_sends_the_position_but_is_not_on_site(login_as, live_server):
    page = located(login_as("grid"))
    page.goto("/grid/inspections")
    expect(page.locator("[data-geo-status]")).to_have_attribute("data-state", "found")
    # Not the enterprise the QR tests scan: its draft may already be checked in on site.
    card = page.locator("li.task").filter(has_not_text=qr_enterprise_name(live_server)).first
    card.locator("form[data-geolocate] button").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    run = run_of(live_server, page)
    assert run.on_site is False and run.checked_in_at is not None
    assert (run.latitude, run.location_accuracy_m) == (22.72154, 9)


def test_a_phone_that_refuses_its_position_still_starts(login_as, live_server):
    page = login_as("grid")  # no permission granted: the browser answers "denied"
    page.goto(f"/grid/checkin/{checkin_token(live_server, 'grid')}")
    expect(page.locator("[data-geo-status]")).to_have_attribute("data-state", "unavailable")
    page.locator("form[data-geolocate] button").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    assert run_of(live_server, page).checked_in_at is not None
