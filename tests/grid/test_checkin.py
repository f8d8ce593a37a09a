"""Site check-in: the QR poster, the check-in page, what a run records, renewing the poster's code."""
from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.grid import checkin
from tests.checklists.test_runs import library  # noqa: F401  (fixture: the small test library)
from tests.factories import PASSWORD, login

HERE = {"latitude": "22.72154", "longitude": "114.24687", "accuracy": "12.5"}


@pytest.fixture
def site_visit(app, library, monkeypatch):  # noqa: F811
    """The test library's site inspection ("site-visit") is the configured one."""
    monkeypatch.setitem(app.config, "SITE_INSPECTION_CHECKLIST", "site-visit")


@pytest.fixture
def english(world, db):
    """Page texts are checked in English (the Chinese catalogue may word them differently)."""
    for role in ("grid_worker", "officer", "street_regulator", "district_regulator", "admin", "agency_staff"):
        world[role].locale = "en"
    db.session.commit()


def checkin_path(enterprise) -> str:
    return f"/grid/checkin/{enterprise.checkin_token}"


def runs_of(db, enterprise):
    from safetylist.checklists.models import ChecklistRun
    return db.session.scalars(select(ChecklistRun).where(ChecklistRun.enterprise_id == enterprise.id)).all()


# --- reading the location from the form ------------------------------------------------------
def test_no_location_is_a_check_in_without_a_position():
    assert checkin.parse_check_in({}) == checkin.CheckIn(on_site=False)
    assert checkin.parse_check_in({"latitude": " ", "longitude": "", "accuracy": ""}, on_site=True) \
        == checkin.CheckIn(on_site=True)


def test_a_full_location_is_read():
    assert checkin.parse_check_in(HERE) == checkin.CheckIn(False, 22.72154, 114.24687, 12.5)
    edge = checkin.parse_check_in({"latitude": "-90", "longitude": "180", "accuracy": "0"})
    assert (edge.latitude, edge.longitude, edge.accuracy_m) == (-90, 180, 0)


def test_on_site_never_comes_from_the_form():
    assert checkin.parse_check_in({**HERE, "on_site": "1"}).on_site is False


@pytest.mark.parametrize("fields, bad", [
    ({"latitude": "90.5"}, {"latitude"}),
    ({"latitude": "north"}, {"latitude"}),
    ({"longitude": "-180.01"}, {"longitude"}),
    ({"longitude": "nan"}, {"longitude"}),
    ({"accuracy": "-1"}, {"accuracy"}),
    ({"accuracy": "inf"}, {"accuracy"}),
    ({"accuracy": str(checkin.MAX_ACCURACY_M + 1)}, {"accuracy"}),
    ({"accuracy": ""}, {"accuracy"}),  # all three or none
    ({"latitude": "", "longitude": ""}, {"latitude", "longitude"}),
])
def test_bad_location_fields_are_named(app, fields, bad):
    with app.test_request_context(), pytest.raises(ValidationFailed) as refused:
        checkin.parse_check_in({**HERE, **fields})
    assert set(refused.value.errors) == bad


# --- starting from the QR code ------------------------------------------------------------------
def test_qr_start_marks_the_run_on_site_with_time_and_location(world, site_visit, client, db):
    from safetylist.audit.models import AuditEntry
    from safetylist.timeutil import utcnow
    enterprise = world["e_a1"]
    login(client, world["grid_worker"])
    page = client.get(checkin_path(enterprise))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert enterprise.name in html and enterprise.address in html and "data-geolocate" in html
    before = utcnow()
    response = client.post(checkin_path(enterprise), data=HERE)
    assert response.status_code == 302
    [run] = runs_of(db, enterprise)
    assert response.headers["Location"].endswith(f"/runs/{run.id}")
    assert run.version.checklist_key == "site-visit" and run.status == "draft"
    assert run.on_site is True
    assert before - timedelta(seconds=1) <= run.checked_in_at <= utcnow()
    assert (run.latitude, run.longitude, run.location_accuracy_m) == (22.72154, 114.24687, 12.5)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "site_checked_in")).one()
    assert entry.object_id == run.id and entry.details["on_site"] is True and entry.actor_id == world["grid_worker"].id


def test_qr_start_without_location(world, site_visit, client, db):
    login(client, world["grid_worker"])
    assert client.post(checkin_path(world["e_a1"])).status_code == 302
    [run] = runs_of(db, world["e_a1"])
    assert run.on_site and run.checked_in_at is not None and run.latitude is None and run.location_accuracy_m is None


def test_invalid_location_gives_a_clear_error_and_no_run(world, site_visit, client, db, english):
    login(client, world["grid_worker"])
    response = client.post(checkin_path(world["e_a1"]), data={**HERE, "latitude": "123"})
    assert response.status_code == 400
    assert "Latitude is a number from -90 to 90." in response.get_data(as_text=True)
    assert runs_of(db, world["e_a1"]) == []


def test_a_token_outside_the_workers_grids_is_not_found(world, site_visit, client, db):
    login(client, world["grid_worker"])
    for enterprise in (world["e_a2"], world["e_b1"]):
        assert client.get(checkin_path(enterprise)).status_code == 404
        assert client.post(checkin_path(enterprise), data=HERE).status_code == 404
        assert runs_of(db, enterprise) == []
    assert client.get("/grid/checkin/no-such-token").status_code == 404


@pytest.mark.parametrize("role", ["officer", "agency_staff"])
def test_the_check_in_page_is_for_inspectors(world, site_visit, client, role):
    login(client, world[role])
    assert client.get(checkin_path(world["e_a1"])).status_code == 404


def test_a_role_that_does_not_fill_site_inspections_gets_no_button(world, site_visit, client, db):
    login(client, world["admin"])  # sees every enterprise, fills no grid checklist
    assert "data-geolocate" not in client.get(checkin_path(world["e_a1"])).get_data(as_text=True)
    assert client.post(checkin_path(world["e_a1"]), data=HERE).status_code == 403
    assert runs_of(db, world["e_a1"]) == []


def test_anonymous_scan_logs_in_and_comes_back(world, site_visit, client):
    path = checkin_path(world["e_a1"])
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={quote(path, safe='')}"
    back = client.post("/login", data={"username": world["grid_worker"].username, "password": PASSWORD,
                                       "next": path})
    assert back.status_code == 302 and back.headers["Location"] == path
    assert client.get(path).status_code == 200


# --- the ordinary start from the list, and resuming a draft ------------------------------------------
def test_a_start_from_the_list_checks_in_not_on_site(world, site_visit, client, db):
    login(client, world["grid_worker"])
    response = client.post("/runs/start", data={"checklist": "site-visit", "enterprise_id": world["e_a1"].id,
                                                **HERE})
    assert response.status_code == 302
    [run] = runs_of(db, world["e_a1"])
    assert run.on_site is False and run.checked_in_at is not None and run.location_accuracy_m == 12.5


def test_a_bad_location_on_the_list_start_starts_nothing(world, site_visit, client, db):
    login(client, world["grid_worker"])
    client.post("/runs/start", data={"checklist": "site-visit", "enterprise_id": world["e_a1"].id,
                                     **HERE, "longitude": "200"})
    assert runs_of(db, world["e_a1"]) == []


def test_a_qr_check_in_upgrades_a_draft_and_an_on_site_check_in_is_kept(world, site_visit, db):
    worker, enterprise = world["grid_worker"], world["e_a1"]
    first = checkin.start_site_inspection(worker, enterprise, checkin.parse_check_in({}))
    assert first.on_site is False and first.latitude is None
    listed_at = first.checked_in_at

    again = checkin.start_site_inspection(worker, enterprise, checkin.parse_check_in(HERE))
    assert again.id == first.id and again.checked_in_at == listed_at and again.latitude is None  # kept

    scanned = checkin.start_site_inspection(worker, enterprise, checkin.parse_check_in(HERE, on_site=True))
    assert scanned.id == first.id and scanned.on_site is True and scanned.latitude == 22.72154
    scanned_at = scanned.checked_in_at
    assert scanned_at >= listed_at

    for later in (checkin.CheckIn(on_site=False), checkin.CheckIn(True, 1.0, 2.0, 3.0)):
        kept = checkin.start_site_inspection(worker, enterprise, later)
        assert kept.id == first.id and kept.on_site is True
        assert (kept.checked_in_at, kept.latitude) == (scanned_at, 22.72154)


def test_a_draft_started_before_check_in_existed_gets_one(world, site_visit, db):
    from safetylist.checklists import runs
    draft = runs.start_run(world["grid_worker"], "site-visit", world["e_a1"])
    assert draft.checked_in_at is None
    run = checkin.start_site_inspection(world["grid_worker"], world["e_a1"], checkin.CheckIn(on_site=False))
    assert run.id == draft.id and run.checked_in_at is not None


def test_the_result_page_shows_the_check_in(world, site_visit, client, db, english):
    from safetylist.checklists import runs
    login(client, world["grid_worker"])
    client.post(checkin_path(world["e_a1"]), data=HERE)
    [run] = runs_of(db, world["e_a1"])
    runs.submit_run(world["grid_worker"], run, {"extinguishers": "pass"})
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "on site (QR)" in page and "location ±12 m" in page and "Checked in at" in page


# --- renewing the code --------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["street_regulator", "district_regulator", "admin"])
def test_renewing_the_code_retires_old_posters(world, site_visit, client, db, login_as, role):
    enterprise = world["e_a1"]
    old_path, version, changed = checkin_path(enterprise), enterprise.version, enterprise.updated_at
    response = login_as(world[role]).post(f"/grid/enterprises/{enterprise.id}/poster/renew")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/enterprises/{enterprise.id}")
    db.session.refresh(enterprise)
    assert checkin_path(enterprise) != old_path
    assert (enterprise.version, enterprise.updated_at) == (version, changed)  # no open edit goes stale
    worker = login_as(world["grid_worker"])
    assert worker.get(old_path).status_code == 404
    assert worker.post(old_path, data=HERE).status_code == 404 and runs_of(db, enterprise) == []
    assert worker.get(checkin_path(enterprise)).status_code == 200


@pytest.mark.parametrize("role, status", [("grid_worker", 403), ("officer", 404), ("agency_staff", 404)])
def test_renewing_is_for_regulators(world, site_visit, login_as, db, role, status):
    enterprise = world["e_a1"]
    token = enterprise.checkin_token
    assert login_as(world[role]).post(f"/grid/enterprises/{enterprise.id}/poster/renew").status_code == status
    db.session.refresh(enterprise)
    assert enterprise.checkin_token == token
    with pytest.raises(PermissionDenied):
        checkin.renew_token(world[role], enterprise)


def test_a_street_regulator_renews_only_in_their_street(world, login_as, db):
    enterprise = world["e_b1"]
    token = enterprise.checkin_token
    assert login_as(world["street_regulator"]).post(f"/grid/enterprises/{enterprise.id}/poster/renew").status_code == 404
    with pytest.raises(PermissionDenied):
        checkin.renew_token(world["street_regulator"], enterprise)
    db.session.refresh(enterprise)
    assert enterprise.checkin_token == token


def test_the_renew_button_is_shown_to_regulators_only(world, login_as, english):
    path = f"/enterprises/{world['e_a1'].id}"
    assert "Renew the check-in code" in login_as(world["street_regulator"]).get(path).get_data(as_text=True)
    for role in ("grid_worker", "officer"):
        page = login_as(world[role]).get(path).get_data(as_text=True)
        assert "Renew the check-in code" not in page and "/poster.pdf" in page


# --- the poster ---------------------------------------------------------------------------------
def test_the_qr_code_opens_the_check_in_page(world, site_visit, app, client):
    enterprise = world["e_a1"]
    with app.test_request_context():
        url = checkin.checkin_url(enterprise)
        record = checkin.poster_record(enterprise)
    assert url == f"http://localhost/grid/checkin/{enterprise.checkin_token}"
    assert record["url"] == url
    assert record["qr"] == checkin.qr_code(url).svg_data_uri(border=4, omitsize=True)
    assert record["qr"].startswith("data:image/svg+xml")
    login(client, world["grid_worker"])
    assert client.get(url).status_code == 200  # what the code holds is the page itself


def test_the_public_base_url_is_printed_even_outside_a_request(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://aq.example.cn/safety")
    token = world["e_a1"].checkin_token
    assert checkin.checkin_url(world["e_a1"]) == f"https://aq.example.cn/safety/grid/checkin/{token}"
    with app.test_request_context(base_url="http://10.0.0.5:8000"):
        assert checkin.checkin_url(world["e_a1"]) == f"https://aq.example.cn/safety/grid/checkin/{token}"


@pytest.mark.parametrize("role", ["grid_worker", "officer", "street_regulator", "district_regulator", "admin"])
def test_the_poster_downloads_for_everyone_whose_scope_holds_the_enterprise(world, login_as, role):
    response = login_as(world[role]).get(f"/grid/enterprises/{world['e_a1'].id}/poster.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("role, enterprise", [("grid_worker", "e_a2"), ("officer", "e_a2"),
                                              ("street_regulator", "e_b1"), ("agency_staff", "e_a1")])
def test_the_poster_is_not_found_outside_the_scope(world, login_as, role, enterprise):
    assert login_as(world[role]).get(f"/grid/enterprises/{world[enterprise].id}/poster.pdf").status_code == 404


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_poster_says_what_and_for_whom(world, login_as, db, tmp_path):
    worker = world["grid_worker"]  # the responsible (primary) worker of grid A1
    worker.display_name, worker.phone = "王网格", "13912345678"
    db.session.commit()
    enterprise = world["e_a1"]
    response = login_as(world["officer"]).get(f"/grid/enterprises/{enterprise.id}/poster.pdf")
    path = tmp_path / "poster.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in pages
    flat = "".join(text.split())  # letter-spaced titles come out with spaces
    for expected in ("安全生产现场检查", "扫码签到", enterprise.name, enterprise.credit_code, enterprise.address,
                     world["grid_a1"].name, "王网格", "13912345678", enterprise.checkin_token):
        assert expected in flat, expected


def test_a_poster_renders_for_an_enterprise_without_grid(world, app, make_enterprise):
    bare = make_enterprise(name="无网格企业", community_id=None, grid_id=None)
    with app.test_request_context():
        assert checkin.poster_pdf(bare).startswith(b"%PDF")
