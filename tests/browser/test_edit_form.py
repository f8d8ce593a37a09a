"""The filing form's place selects: community follows street, grid follows community (static/js/app.js)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.helpers import enterprise_ids

# Each option of a dependent select: its value, data-parent, and whether it can be chosen.
OPTIONS_JS = """(select) => [...select.options].map((o) => ({
  value: o.value, parent: o.dataset.parent ?? null, hidden: o.hidden, disabled: o.disabled }))"""


def _check_narrowed(page: Page, selector: str, parent_id: int) -> list[str]:
    """Only options of that parent (and the blank one) can be chosen; returns their values."""
    options = page.locator(selector).evaluate(OPTIONS_JS)
    mine, others = [], []
    for option in options:
        if option["parent"] is None:
            assert option["value"] == "" and not option["hidden"] and not option["disabled"], option
        elif option["parent"] == str(parent_id):
            mine.append(option)
        else:
            others.append(option)
    assert mine, f"{selector}: no option for parent {parent_id}"
    assert others, f"{selector}: nothing to hide, the check would be empty"
    assert all(not o["hidden"] and not o["disabled"] for o in mine), mine
    assert all(o["hidden"] and o["disabled"] for o in others), [o for o in others if not o["hidden"]][:5]
    return [o["value"] for o in mine]


def test_street_narrows_communities_and_community_narrows_grids(login_as, live_server):
    from safetylist.grid.models import Grid
    from safetylist.registry.models import Community, Enterprise, Street

    enterprise_id = enterprise_ids(live_server)["editable"]

    def places(db):
        enterprise = db.session.get(Enterprise, enterprise_id)
        other = db.session.scalars(select(Street).where(Street.id != enterprise.street_id)
                                   .order_by(Street.id)).first()
        return enterprise.street_id, enterprise.community_id, other.id, other.name_zh
    street_id, community_id, new_street_id, new_street_name = live_server.query(places)

    page = login_as("district")
    page.goto(f"/enterprises/{enterprise_id}/edit")
    street, community, grid = page.locator("#street_id"), page.locator("#community_id"), page.locator("#grid_id")
    # On load the choices already follow the saved street and community, which stay selected.
    expect(street).to_have_value(str(street_id))
    expect(community).to_have_value(str(community_id))
    _check_narrowed(page, "#community_id", street_id)
    _check_narrowed(page, "#grid_id", community_id)

    street.select_option(str(new_street_id))
    expect(community).to_have_value("")  # the old community belongs to another street
    expect(grid).to_have_value("")
    communities = _check_narrowed(page, "#community_id", new_street_id)

    new_community_id = int(communities[-1])
    community.select_option(str(new_community_id))
    grids = _check_narrowed(page, "#grid_id", new_community_id)
    new_grid_id = int(grids[0])
    grid.select_option(str(new_grid_id))

    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{enterprise_id}$"))
    expect(page.locator(".flash-success")).to_contain_text("修改已保存")
    community_name, grid_name = live_server.query(lambda db: (
        db.session.get(Community, new_community_id).name_zh, db.session.get(Grid, new_grid_id).name))
    street_row = page.locator("dl.facts dt", has_text="街道").locator("xpath=following-sibling::dd[1]")
    expect(street_row).to_have_text(f"{new_street_name} · {community_name}")
    expect(page.locator("dl.facts dt", has_text="网格").locator("xpath=following-sibling::dd[1]")) \
        .to_contain_text(grid_name)

    saved = live_server.query(lambda db: (lambda e: (e.street_id, e.community_id, e.grid_id))(
        db.session.get(Enterprise, enterprise_id)))
    assert saved == (new_street_id, new_community_id, new_grid_id)
