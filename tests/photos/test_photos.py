"""Photos as evidence: what is accepted (by content), what is kept of it, all-or-nothing, and who sees it.

Every image is made in memory with Pillow (HEIC with pillow-heif), so no binary fixture is committed.
"""
from __future__ import annotations

import io
import re
import shutil
import struct
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from safetylist.checklists import runs
from safetylist.checklists.library import load_library
from tests.factories import login

FIXTURES = Path(__file__).resolve().parents[1] / "checklists" / "fixtures" / "runs"
NOT_A_PHOTO = "This file is not a photo (JPEG, PNG or HEIC)."
TOO_MANY_PIXELS = "The photo has too many pixels (over 40 megapixels)."


@pytest.fixture
def library(app, tmp_path):
    """The small test library of tests/checklists (plus an agency checklist) instead of the real one."""
    for path in FIXTURES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(FIXTURES.parent / "agency" / "agency-check.yaml", tmp_path / "agency-check.yaml")
    real = app.extensions["checklist_library"]
    app.extensions["checklist_library"] = load_library(tmp_path)
    yield app.extensions["checklist_library"]
    app.extensions["checklist_library"] = real


@pytest.fixture
def draft(world, library):
    """The officer's draft weekly self-check of their enterprise (e_a1)."""
    return runs.start_run(world["officer"], "weekly-check", world["e_a1"])


@pytest.fixture
def officer(client, world):
    login(client, world["officer"])
    return client


# --- making images ---------------------------------------------------------------------------
def image_bytes(fmt: str = "JPEG", size=(640, 480), color=(200, 60, 40), mode="RGB", image=None, **options) -> bytes:
    out = io.BytesIO()
    (image or Image.new(mode, size, color)).save(out, fmt, **options)
    return out.getvalue()


def camera_exif(orientation: int | None = None, taken: str | None = "2024:05:01 10:20:30",
                offset: str | None = None, gps: bool = True) -> Image.Exif:
    """EXIF as a phone writes it: make and model, capture time, GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Model] = "TP-1000"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        details[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    details[ExifTags.Base.LensModel] = "TestLens 4mm"
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update({
            ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (22.0, 43.0, 12.5),
            ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (114.0, 14.0, 51.0)})
    return exif


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG: `width`×`height` pixels when decoded, a few KB on disk."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


# --- helpers ---------------------------------------------------------------------------------
def post_photo(client, run, data: bytes, item="alarm", name="photo.jpg"):
    return client.post(f"/runs/{run.id}/photos?lang=en",
                       data={"item": item, "photo": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers={"Accept": "application/json"})


def stored(app, ref: str) -> Image.Image:
    path = Path(app.config["UPLOAD_FOLDER"]) / "photos" / f"{ref}.jpg"
    with Image.open(path) as image:
        image.load()
        return image


def photo_row(db, ref):
    from safetylist.photos.models import Photo
    return db.session.scalars(select(Photo).where(Photo.ref == ref)).one()


def photo_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "photos"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def count_photos(db) -> int:
    from safetylist.photos.models import Photo
    return db.session.scalar(select(func.count()).select_from(Photo))


# --- accepted --------------------------------------------------------------------------------
def test_a_jpeg_is_stored_recorded_audited_and_served(officer, draft, app, db, world):
    from safetylist.audit.models import AuditEntry
    response = post_photo(officer, draft, image_bytes("JPEG", (640, 480)))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["url"] == f"/photos/{body['ref']}" and len(body["ref"]) == 32
    assert (body["width"], body["height"], body["taken_at"]) == (640, 480, None)
    photo = photo_row(db, body["ref"])
    assert (photo.enterprise_id, photo.agency_id, photo.run_id, photo.item_id) == (world["e_a1"].id, None, draft.id, "alarm")
    assert (photo.original_format, photo.content_type, photo.uploaded_by_id) == ("JPEG", "image/jpeg", world["officer"].id)
    assert photo.size == (Path(app.config["UPLOAD_FOLDER"]) / "photos" / f"{photo.ref}.jpg").stat().st_size
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "photo_stored")).one()
    assert (audit.object_id, audit.details["item"], audit.details["filename"]) == (photo.id, "alarm", "photo.jpg")
    assert draft.evidence == {}  # the page adds the ref with its next save; the draft's version is untouched

    shown = officer.get(body["url"])
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert shown.headers["Cache-Control"] == "private, max-age=86400"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(shown.data)).size == (640, 480)


def test_a_png_is_accepted_and_transparency_becomes_white(officer, draft, app, db):
    data = image_bytes("PNG", (300, 200), (0, 0, 0, 0), mode="RGBA")
    response = post_photo(officer, draft, data, name="screenshot.png")
    assert response.status_code == 201, response.get_json()
    ref = response.get_json()["ref"]
    assert photo_row(db, ref).original_format == "PNG"
    image = stored(app, ref)
    assert image.format == "JPEG" and image.mode == "RGB" and image.getpixel((150, 100)) >= (250, 250, 250)


def test_a_heic_from_a_phone_is_accepted(officer, draft, app, db):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    try:
        data = image_bytes("HEIF", (640, 480), exif=camera_exif().tobytes())
    except (OSError, KeyError, ValueError, RuntimeError) as exc:  # no HEVC encoder in this build
        pytest.skip(f"cannot encode HEIC here: {exc}")
    response = post_photo(officer, draft, data, name="IMG_0001.HEIC")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert photo_row(db, body["ref"]).original_format == "HEIF"
    assert body["taken_at"] == "2024-05-01T10:20:30+08:00"
    assert stored(app, body["ref"]).format == "JPEG"


def test_a_phone_jpeg_with_a_second_picture_counts_as_jpeg(officer, draft, db):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "green").save(out, "MPO", save_all=True,
                                                append_images=[Image.new("RGB", (320, 240), "blue")])
    response = post_photo(officer, draft, out.getvalue())
    assert response.status_code == 201, response.get_json()
    assert photo_row(db, response.get_json()["ref"]).original_format == "JPEG"


# --- refused ---------------------------------------------------------------------------------
@pytest.mark.parametrize("data, name", [
    (b"this is a text file, not a photo\n" * 20, "photo.jpg"),
    (image_bytes("GIF", (64, 64), mode="P", color=1), "animation.gif"),
    (image_bytes("GIF", (64, 64), mode="P", color=1), "renamed.jpg"),
    (image_bytes("BMP", (64, 64)), "photo.png"),
    (image_bytes("WEBP", (64, 64)), "photo.jpg"),
    (b"", "empty.jpg"),
], ids=["text", "gif", "gif-renamed", "bmp", "webp", "empty"])
def test_files_that_are_not_jpeg_png_or_heic_are_refused(officer, draft, app, db, data, name):
    files = photo_files(app)
    response = post_photo(officer, draft, data, name=name)
    assert (response.status_code, response.get_json()) == (400, {"error": NOT_A_PHOTO})
    assert count_photos(db) == 0 and photo_files(app) == files


def test_a_truncated_photo_is_refused_as_damaged(officer, draft, app, db):
    data = image_bytes("JPEG", (800, 600), quality=95)
    response = post_photo(officer, draft, data[: len(data) // 2])
    assert response.status_code == 400
    assert response.get_json()["error"] == "The photo could not be read; it may be damaged. Please take it again."
    assert count_photos(db) == 0


def test_more_bytes_than_the_cap_are_refused(officer, draft, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 2 * 1024 * 1024)
    data = image_bytes("PNG", (1200, 900), compress_level=0)  # 3.2 MB
    assert len(data) > 2 * 1024 * 1024
    response = post_photo(officer, draft, data, name="big.png")
    assert (response.status_code, response.get_json()) == (413, {"error": "The photo is larger than 2 MB."})
    assert count_photos(db) == 0


def test_a_body_over_the_request_limit_answers_json(officer, draft, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    response = post_photo(officer, draft, b"\xff\xd8" + b"0" * 100_000)
    assert (response.status_code, response.get_json()) == (413, {"error": "The photo is larger than 15 MB."})
    assert count_photos(db) == 0


def test_more_pixels_than_the_cap_are_refused(officer, draft, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_PIXELS", 100_000)
    response = post_photo(officer, draft, image_bytes("JPEG", (400, 300)))
    assert (response.status_code, response.get_json()) == (
        400, {"error": "The photo has too many pixels (over 0.1 megapixels)."})
    assert count_photos(db) == 0


@pytest.mark.parametrize("width, height", [
    (20_000, 20_000),  # 400 MP: Pillow raises a DecompressionBombError while opening
    (7_000, 7_000),    # 49 MP: over the cap but under twice it, where Pillow only warns
])
def test_a_decompression_bomb_is_refused_without_decoding_it(officer, draft, app, db, width, height):
    data = png_bomb(width, height)
    assert len(data) < 200_000
    files = photo_files(app)
    response = post_photo(officer, draft, data, name="small.png")
    assert (response.status_code, response.get_json()) == (400, {"error": TOO_MANY_PIXELS})
    assert count_photos(db) == 0 and photo_files(app) == files


def test_a_refusal_after_the_file_is_written_leaves_neither_row_nor_file(officer, draft, app, db, monkeypatch):
    from safetylist.photos import services

    def failing_record(*args, **kwargs):
        raise RuntimeError("audit store unavailable")
    monkeypatch.setattr(services, "record", failing_record)
    files = photo_files(app)
    with pytest.raises(RuntimeError):
        services.store_photo(draft.started_by, draft, "alarm", "p.jpg", io.BytesIO(image_bytes("JPEG")))
    assert count_photos(db) == 0 and photo_files(app) == files


def test_a_submitted_run_takes_no_more_photos(officer, draft, world, db):
    runs.submit_run(world["officer"], draft, {"has-gas": "no", "exits": "pass"})
    response = post_photo(officer, draft, image_bytes("JPEG"), item="exits")
    assert response.status_code == 409
    assert response.get_json()["error"] == "This checklist was submitted and can no longer be changed."
    assert count_photos(db) == 0


def test_an_item_that_is_not_in_the_checklist_is_refused(officer, draft, db):
    response = post_photo(officer, draft, image_bytes("JPEG"), item="no-such-item")
    assert response.status_code == 400 and response.get_json()["error"] == "No such item in this checklist."
    assert count_photos(db) == 0


def test_the_page_token_is_required_and_a_too_large_body_still_answers_json(officer, draft, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = officer.get(f"/runs/{draft.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"item": "alarm", "photo": (io.BytesIO(image_bytes("JPEG")), "p.jpg")}
    assert officer.post(f"/runs/{draft.id}/photos", data=data).status_code == 400  # no token
    data = {"item": "alarm", "photo": (io.BytesIO(image_bytes("JPEG")), "p.jpg")}
    assert officer.post(f"/runs/{draft.id}/photos", data=data, headers={"X-CSRFToken": token}).status_code == 201
    # The token check reads the form, so an oversized body is refused there, before the view.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    data = {"item": "alarm", "photo": (io.BytesIO(b"0" * 100_000), "p.jpg")}
    response = officer.post(f"/runs/{draft.id}/photos?lang=en", data=data, headers={"X-CSRFToken": token})
    assert (response.status_code, response.get_json()) == (413, {"error": "The photo is larger than 15 MB."})
    assert count_photos(db) == 1


def test_an_upload_without_a_file_is_refused(officer, draft):
    response = officer.post(f"/runs/{draft.id}/photos", data={"item": "alarm"})
    assert response.status_code == 400 and response.get_json()["error"]


# --- what is kept of a photo -----------------------------------------------------------------
def test_a_large_photo_is_downscaled_to_1600_on_the_long_side(officer, draft, app):
    wide = post_photo(officer, draft, image_bytes("JPEG", (4000, 3000))).get_json()
    tall = post_photo(officer, draft, image_bytes("PNG", (1800, 2700)), name="tall.png").get_json()
    assert (wide["width"], wide["height"]) == (1600, 1200) and stored(app, wide["ref"]).size == (1600, 1200)
    assert (tall["width"], tall["height"]) == (1067, 1600) and stored(app, tall["ref"]).size == (1067, 1600)


def test_the_exif_orientation_is_applied(officer, draft, app):
    # Stored sideways as phones do: the left half (red) is the top of the scene (orientation 6).
    sideways = Image.new("RGB", (400, 200), "blue")
    sideways.paste((255, 0, 0), (0, 0, 200, 200))
    body = post_photo(officer, draft, image_bytes("JPEG", image=sideways, exif=camera_exif(orientation=6))).get_json()
    image = stored(app, body["ref"])
    assert (body["width"], body["height"]) == image.size == (200, 400)
    top, bottom = image.getpixel((100, 50)), image.getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60
    assert ExifTags.Base.Orientation not in image.getexif()  # not applied a second time by viewers


def test_the_capture_time_is_kept_in_utc(officer, draft, db):
    shanghai = post_photo(officer, draft, image_bytes("JPEG", exif=camera_exif())).get_json()
    assert photo_row(db, shanghai["ref"]).taken_at == datetime(2024, 5, 1, 2, 20, 30)
    assert shanghai["taken_at"] == "2024-05-01T10:20:30+08:00"
    # A camera that says its own offset is believed (a photo taken while travelling).
    tokyo = post_photo(officer, draft, image_bytes("JPEG", exif=camera_exif(offset="+09:00"))).get_json()
    assert photo_row(db, tokyo["ref"]).taken_at == datetime(2024, 5, 1, 1, 20, 30)
    unknown = post_photo(officer, draft, image_bytes("JPEG", exif=camera_exif(taken="0000:00:00 00:00:00")))
    assert photo_row(db, unknown.get_json()["ref"]).taken_at is None


def test_gps_and_every_other_tag_are_dropped_by_default(officer, draft, app):
    data = image_bytes("JPEG", exif=camera_exif(), comment=b"Zhang San's phone", xmp=b"<x:xmpmeta/>")
    image = stored(app, post_photo(officer, draft, data).get_json()["ref"])
    assert dict(image.getexif()) == {}
    assert "comment" not in image.info and "xmp" not in image.info and "exif" not in image.info


def test_gps_alone_is_kept_when_the_enterprise_opted_in(officer, draft, app, world, db):
    world["e_a1"].photo_location_opt_in = True
    db.session.commit()
    image = stored(app, post_photo(officer, draft, image_bytes("JPEG", exif=camera_exif())).get_json()["ref"])
    exif = image.getexif()
    assert set(exif) == {ExifTags.IFD.GPSInfo}  # no make, model, capture time or lens
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N" and tuple(gps[ExifTags.GPS.GPSLatitude]) == (22.0, 43.0, 12.5)
    assert gps[ExifTags.GPS.GPSLongitudeRef] == "E" and tuple(gps[ExifTags.GPS.GPSLongitude]) == (114.0, 14.0, 51.0)


# --- who may upload and see ------------------------------------------------------------------
def _upload(app, actor, run, item) -> str:
    from safetylist.photos import services
    with app.test_request_context():
        return services.store_photo(actor, run, item, "p.jpg", io.BytesIO(image_bytes("JPEG"))).ref


@pytest.fixture
def photos(world, library, app):
    """A photo of each kind of party: e_a1 (officer's self-check), e_b1 (district inspection), the agency."""
    officer_run = runs.start_run(world["officer"], "weekly-check", world["e_a1"])
    street_b_run = runs.start_run(world["district_regulator"], "site-visit", world["e_b1"])
    agency_run = runs.start_run(world["agency_staff"], "agency-check", agency_id=world["agency"].id)
    return {
        "e_a1": _upload(app, world["officer"], officer_run, "alarm"),
        "e_b1": _upload(app, world["district_regulator"], street_b_run, "extinguishers"),
        "agency": _upload(app, world["agency_staff"], agency_run, "licence"),
    }


@pytest.mark.parametrize("role, visible", [
    ("officer", {"e_a1"}),
    ("grid_worker", {"e_a1"}),           # e_a1 is in the worker's grid
    ("street_regulator", {"e_a1"}),      # street A only
    ("district_regulator", {"e_a1", "e_b1", "agency"}),
    ("admin", {"e_a1", "e_b1", "agency"}),
    ("agency_staff", {"agency"}),
])
def test_a_photo_is_shown_only_to_users_whose_scope_includes_its_run(client, world, photos, role, visible):
    login(client, world[role])
    seen = {party for party, ref in photos.items() if client.get(f"/photos/{ref}").status_code == 200}
    assert seen == visible
    for party in set(photos) - visible:
        assert client.get(f"/photos/{photos[party]}").status_code == 404
    assert client.get("/photos/no-such-ref").status_code == 404


def test_a_visitor_who_is_not_logged_in_sees_no_photo(client, photos):
    response = client.get(f"/photos/{photos['e_a1']}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_uploads_to_a_run_outside_the_scope_answer_404(client, world, library, db):
    other = runs.start_run(world["street_regulator"], "site-visit", world["e_a2"])
    login(client, world["officer"])
    assert post_photo(client, other, image_bytes("JPEG"), item="extinguishers").status_code == 404
    assert count_photos(db) == 0


def test_someone_who_sees_a_run_but_does_not_fill_it_cannot_add_photos(client, world, draft, db):
    login(client, world["street_regulator"])  # sees the officer's self-check, does not fill it
    response = post_photo(client, draft, image_bytes("JPEG"))
    assert response.status_code == 403 and response.get_json()["error"]
    assert count_photos(db) == 0
