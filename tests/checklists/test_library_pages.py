"""The checklist library pages are for regulators and admins, and show what each file asks."""
from __future__ import annotations

import pytest

from tests.factories import login


@pytest.mark.parametrize("role, status", [("officer", 404), ("grid_worker", 404), ("agency_staff", 404),
                                          ("street_regulator", 200), ("district_regulator", 200), ("admin", 200)])
def test_library_access(world, client, role, status):
    login(client, world[role])
    assert client.get("/checklists/").status_code == status


def test_library_lists_and_shows_checklists(world, client, app):
    login(client, world["admin"])
    page = client.get("/checklists/").get_data(as_text=True)
    library = app.extensions["checklist_library"]
    for key, entry in library.entries.items():
        assert entry.definition.title.zh in page
    key, entry = next(iter(library.entries.items()))
    detail = client.get(f"/checklists/{key}").get_data(as_text=True)
    first_item = entry.definition.sections[0].items[0]
    assert first_item.ask.zh in detail
    assert client.get("/checklists/no-such-list").status_code == 404
