"""The officer's pages: today's list, filling with autosave, submitting (also from an offline queue),
the result, the history — through HTTP, as the phone uses them."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)
from tests.factories import login


def start(client, world, key="weekly-check"):
    response = client.post("/runs/start", data={"checklist": key, "enterprise_id": world["e_a1"].id})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_today_lists_due_checklists_hazards_and_the_week(world, client, library):
    login(client, world["officer"])
    page = client.get("/").get_data(as_text=True)
    assert "每周测试自查表" in page and "餐饮专用测试表" not in page
    run_id = start(client, world)
    client.post(f"/runs/{run_id}/submit", json={"answers": {"has-gas": "no", "exits": "fail"},
                                               "submission_key": "k1"})
    page = client.get("/").get_data(as_text=True)
    assert "疏散通道是否畅通" in page  # the open hazard
    assert f"/runs/{run_id}" in page  # done this week


def test_fill_page_carries_the_rules_for_the_script(world, client, library):
    login(client, world["officer"])
    run_id = start(client, world)
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert 'id="run-form"' in page and 'name="submission_key"' in page
    condition = re.search(r'id="q-alarm"[^>]*data-show-if="([^"]+)"', page).group(1)
    assert json.loads(condition.replace("&#34;", '"')) == {"cmp": "==", "item": "has-gas", "values": ["yes"]}
    assert re.search(r'id="q-alarm"[^>]*hidden', page)  # hidden until has-gas == yes
    assert "测试条款二" in page  # the basis is shown with the failure block


def test_autosave_and_conflict(world, client, library):
    login(client, world["officer"])
    run_id = start(client, world)
    saved = client.post(f"/runs/{run_id}/answers", json={"answers": {"has-gas": "yes"}, "lock_version": 1})
    assert saved.status_code == 200 and saved.json["answers"] == {"has-gas": "yes"}
    lock = saved.json["lock_version"]
    stale = client.post(f"/runs/{run_id}/answers", json={"answers": {"exits": "pass"}, "lock_version": lock - 1})
    assert stale.status_code == 409 and stale.json["state"]["answers"] == {"has-gas": "yes"}
    bad = client.post(f"/runs/{run_id}/answers", json={"answers": {"exits": "maybe"}})
    assert bad.status_code == 400 and "exits" in bad.json["errors"]


def test_form_submit_marks_missing_items_and_keeps_answers(world, client, library, db):
    login(client, world["officer"])
    run_id = start(client, world)
    response = client.post(f"/runs/{run_id}/submit", data={"a:has-gas": "yes", "submission_key": "x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="q-alarm" [^>]*', page) and 'class="q has-error" id="q-alarm"' in page
    assert 'value="yes"\n      checked' in page or re.search(r'value="yes"\s+checked', page)


def test_submit_twice_counts_once_and_shows_the_result(world, client, library, db):
    from safetylist.checklists.models import ChecklistRun
    from safetylist.remediation.models import Hazard
    login(client, world["officer"])
    run_id = start(client, world)
    payload = {"answers": {"has-gas": "no", "exits": "fail"}, "notes": {"exits": "堆放杂物"},
               "submission_key": "device-abc-1"}
    first = client.post(f"/runs/{run_id}/submit", json=payload)
    again = client.post(f"/runs/{run_id}/submit", json=payload)  # a retry after a timeout
    assert first.status_code == again.status_code == 200 and first.json["url"] == again.json["url"]
    assert db.session.scalar(select(func.count(ChecklistRun.id))) == 1
    assert db.session.scalar(select(func.count(Hazard.id))) == 1
    page = client.get(first.json["url"]).get_data(as_text=True)
    assert "0.0" in page and "一般隐患" in page and "疏散通道是否畅通" in page and "不合格" in page
    double_tap = client.post(f"/runs/{run_id}/submit", data={"a:has-gas": "no", "a:exits": "pass"})
    assert double_tap.status_code == 302  # already submitted: back to the result, nothing changes
    assert db.session.scalar(select(func.count(Hazard.id))) == 1


def test_history_and_read_only_view(world, client, library):
    login(client, world["officer"])
    run_id = start(client, world)
    client.post(f"/runs/{run_id}/submit", json={"answers": {"has-gas": "no", "exits": "pass"}, "submission_key": "h"})
    history = client.get("/runs/").get_data(as_text=True)
    assert f"/runs/{run_id}" in history and "每周测试自查表" in history
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert 'id="run-form"' not in page and "disabled" in page


@pytest.mark.parametrize("role, status", [("officer", 200), ("grid_worker", 200), ("street_regulator", 200),
                                          ("district_regulator", 200), ("admin", 200), ("agency_staff", 404)])
def test_runs_are_seen_only_in_scope(world, client, library, make_user, role, status):
    login(client, world["officer"])
    run_id = start(client, world)
    client.post("/logout")
    login(client, world[role])
    response = client.get(f"/runs/{run_id}")
    assert response.status_code == status
    if status == 200 and role != "officer":
        assert 'id="run-form"' not in response.get_data(as_text=True)  # only its fillers may change it
        assert client.post(f"/runs/{run_id}/answers", json={"answers": {"exits": "pass"}}).status_code == 403


def test_officer_of_another_enterprise_gets_404(world, client, library, make_user):
    login(client, world["officer"])
    run_id = start(client, world)
    other = make_user("officer", enterprise_id=world["e_b1"].id)
    client.post("/logout")
    login(client, other)
    assert client.get(f"/runs/{run_id}").status_code == 404
    assert client.post(f"/runs/{run_id}/answers", json={"answers": {"exits": "pass"}}).status_code == 404
    assert client.post(f"/runs/{run_id}/submit", json={"answers": {}}).status_code == 404


def test_service_worker_is_served_from_the_root(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200 and "javascript" in response.mimetype
    assert response.headers["Cache-Control"] == "no-cache"


def test_pages_travel_compressed(world, client, library):
    login(client, world["officer"])
    run_id = start(client, world)
    for url in (f"/runs/{run_id}", "/static/js/fill.js", "/static/css/app.css"):
        response = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})  # what chromium sends over http
        assert response.headers.get("Content-Encoding") in ("gzip", "deflate"), url


def test_home_lists_stay_short_on_a_busy_week(world, client, library, db):
    from safetylist.checklists import runs
    officer = world["officer"]
    for n in range(12):
        run = runs.start_run(officer, "weekly-check", world["e_a1"])
        runs.submit_run(officer, run, {"has-gas": "no", "exits": "fail"}, submission_key=f"busy-{n}")
    login(client, officer)
    page = client.get("/").get_data(as_text=True)
    assert len(re.findall(r'href="/runs/\d+"', page)) == 10 and "另有 2 项" in page


def test_result_page_links_to_the_pdf(world, client, library):
    login(client, world["officer"])
    run_id = start(client, world)
    client.post(f"/runs/{run_id}/submit", json={"answers": {"has-gas": "no", "exits": "pass"}, "submission_key": "p"})
    assert f'href="/runs/{run_id}.pdf"' in client.get(f"/runs/{run_id}").get_data(as_text=True)
