"""Full-page screenshots at 360 px for a person to look at (not compared automatically).

Saved under $SCREENSHOT_DIR if set, else in pytest's temporary directory; never in the repository.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.helpers import officer_enterprise_id

SHOTS = [("officer-home", "officer", "/"), ("enterprise-list", "district", "/enterprises/"),
         ("officer-enterprise", "officer", None), ("district-home", "district", "/"),  # None: own file
         ("standardization-overview", "district", "/standardization/"),
         ("standardization-applications", "agency", "/standardization/applications"),
         ("agency-home", "agency", "/"), ("agencies-overview", "district", "/agencies/"),
         ("dashboard", "district", "/dashboard/")]


@pytest.fixture(scope="module")
def shot_dir(tmp_path_factory) -> Path:
    folder = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") \
        else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("name, username, path", SHOTS, ids=[s[0] for s in SHOTS])
def test_screenshot(login_as, live_server, shot_dir, name, username, path):
    page = login_as(username)
    response = page.goto(path or f"/enterprises/{officer_enterprise_id(live_server)}")
    assert response.ok
    page.evaluate("() => document.fonts.ready")
    target = shot_dir / f"{name}-360.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 1000
    print(f"\n{name}: {target}")
