"""The printed record of a submitted run: content, photos, the shipped font, scope, no network.

Text and font checks read the PDF with poppler-utils (pdftotext, pdffonts, pdfimages); they are
skipped where poppler is not installed (.ci/run installs it).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from PIL import Image

from safetylist.checklists import runs
from safetylist.checklists.library import load_library
from tests.checklists.test_score_items import score_library  # noqa: F401  (fixture: the scored test checklist)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "checklists" / "fixtures" / "runs"
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdfimages")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdffonts) not installed")


@pytest.fixture
def library(app):
    real = app.extensions["checklist_library"]
    app.extensions["checklist_library"] = load_library(FIXTURES)
    yield
    app.extensions["checklist_library"] = real


def make_photo(app, enterprise, size=(800, 600)):
    """A stored photo of `enterprise`: the Photo row and its JPEG under UPLOAD_FOLDER/photos."""
    from safetylist.extensions import db
    from safetylist.photos.models import Photo
    ref = uuid.uuid4().hex
    folder = Path(app.config["UPLOAD_FOLDER"]) / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 120, 40)).save(folder / f"{ref}.jpg", quality=80)
    photo = Photo(ref=ref, enterprise_id=enterprise.id, original_format="JPEG", content_type="image/jpeg",
                  width=size[0], height=size[1], size=(folder / f"{ref}.jpg").stat().st_size)
    db.session.add(photo)
    db.session.commit()
    return photo


def submitted_run(app, officer, enterprise, photos=2):
    """weekly-check with the gas alarm and the escape routes failed, `photos` photos on the alarm."""
    refs = [make_photo(app, enterprise).ref for _ in range(photos)]
    run = runs.start_run(officer, "weekly-check", enterprise)
    runs.save_answers(officer, run, {"has-gas": "yes", "alarm": "fail"}, notes={"alarm": "报警器无电"},
                      evidence={"alarm": refs})
    runs.submit_run(officer, run, {"exits": "fail", "temperature": 22})
    return run


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_fonts(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in lines.splitlines()[2:]]


def test_pdf_of_a_submitted_run(world, library, client, login_as, db, tmp_path):
    from sqlalchemy import select

    from safetylist.remediation.models import Hazard
    run = submitted_run(client.application, world["officer"], world["e_a1"])
    response = login_as(world["officer"]).get(f"/runs/{run.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and disposition.endswith(f'-{run.id}.pdf"')
    pdf = response.data
    assert pdf.startswith(b"%PDF")
    if not POPPLER:
        pytest.skip("poppler-utils not installed: text not checked")
    text = pdf_text(pdf, tmp_path)
    deadline = db.session.scalars(select(Hazard).where(Hazard.checklist_item == "alarm")).one().deadline
    for expected in ("每周测试自查表", "燃气报警器是否正常？", "33.3 分", "甲一五金有限公司",
                     "报警器无电", "测试条款二", "不合格", "重大隐患", deadline.isoformat(), "22 °C（范围 0–40）"):
        assert expected in text, expected
    fonts = pdf_fonts(pdf, tmp_path)
    assert fonts and all("+SafetyList-Hei" in row[0] and "yes" in row for row in fonts), fonts


@needs_poppler
def test_photos_are_embedded(world, library, app, tmp_path):
    from safetylist.reports.runs import run_pdf
    run = submitted_run(app, world["officer"], world["e_a1"], photos=3)
    path = tmp_path / "photos.pdf"
    path.write_bytes(run_pdf(run))
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    images = [line.split() for line in listing.splitlines()[2:]]
    assert len([row for row in images if row[2] == "image" and row[3:5] == ["800", "600"]]) == 3


def test_photos_of_another_party_are_not_printed(world, library, app, make_user):
    from safetylist.reports.runs import run_record
    other = make_photo(app, world["e_b1"])
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    mine = make_photo(app, world["e_a1"])
    # The runs service refuses another party's photo; the PDF must not trust stored refs either.
    run.evidence = {"alarm": [mine.ref, other.ref]}
    runs.submit_run(officer, run, {"has-gas": "yes", "alarm": "fail", "exits": "pass"})
    alarm = next(item for section in run_record(run)["sections"] for item in section["items"]
                 if item.ask == "燃气报警器是否正常？")
    assert [photo["src"] for photo in alarm.photos] == [
        (Path(app.config["UPLOAD_FOLDER"]) / "photos" / f"{mine.ref}.jpg").resolve().as_uri()]
    assert alarm.missing_photos == 1 and alarm.failed and alarm.note == ""


def test_a_score_prints_as_points_of_points_with_its_reason(world, score_library, tmp_path):
    from safetylist.reports.runs import run_pdf, run_record
    officer = world["officer"]
    run = runs.start_run(officer, "scored-review", world["e_a1"])
    runs.submit_run(officer, run, {"goals-set": 2.5, "signs": "na"}, notes={"goals-set": "目标未分解到岗位"})
    printed = {item.id: item for section in run_record(run)["sections"] for item in section["items"]}
    goals, signs = printed["goals-set"], printed["signs"]
    assert (goals.answer, goals.failed, goals.note) == ("2.5 / 3 分", True, "目标未分解到岗位")
    assert (signs.answer, signs.failed) == ("不适用", False)
    if not POPPLER:
        pytest.skip("poppler-utils not installed: text not checked")
    text = pdf_text(run_pdf(run), tmp_path)
    for expected in ("2.5 / 3 分", "目标未分解到岗位", "不适用", "得分 2.5 / 3 分"):  # the last: the section's
        assert expected in text, expected


@needs_poppler
def test_chinese_renders_with_no_system_fonts(world, library, app, database_url, tmp_path):
    """A fresh machine: fontconfig knows no font at all, so only the shipped font can draw the text."""
    run = submitted_run(app, world["officer"], world["e_a1"], photos=1)
    (tmp_path / "fonts.conf").write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n')
    script = (
        "import json, sys\n"
        "from safetylist import create_app\n"
        "from safetylist.checklists.models import ChecklistRun\n"
        "from safetylist.extensions import db\n"
        "from safetylist.reports.runs import run_pdf\n"
        "app = create_app(json.loads(sys.argv[1]))\n"
        "with app.app_context():\n"
        "    sys.stdout.buffer.write(run_pdf(db.session.get(ChecklistRun, int(sys.argv[2]))))\n")
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"]}
    env = {**os.environ, "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(config), str(run.id)], cwd=ROOT, env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    pdf = done.stdout
    assert pdf.startswith(b"%PDF")
    fonts = pdf_fonts(pdf, tmp_path)
    assert len(fonts) >= 1 and all("+SafetyList-Hei" in row[0] and "yes" in row for row in fonts), fonts
    text = pdf_text(pdf, tmp_path)
    assert "每周测试自查表" in text and "燃气报警器是否正常？" in text and "甲一五金有限公司" in text


ROLES = ("officer", "grid_worker", "street_regulator", "district_regulator", "agency_staff", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_outside_the_scope_is_404(world, library, app, make_user, login_as, role):
    # A run of e_b1 (street B): only district-wide roles see it; for them, an id that is nobody's.
    officer_b = make_user("officer", enterprise_id=world["e_b1"].id)
    run = runs.start_run(officer_b, "weekly-check", world["e_b1"])
    runs.submit_run(officer_b, run, {"has-gas": "no", "exits": "pass"})
    client = login_as(world[role])
    if role in ("district_regulator", "admin"):
        assert client.get(f"/runs/{run.id}.pdf").status_code == 200
        assert client.get(f"/runs/{run.id + 1000}.pdf").status_code == 404
    else:
        assert client.get(f"/runs/{run.id}.pdf").status_code == 404


def test_a_draft_has_no_pdf(world, library, login_as):
    run = runs.start_run(world["officer"], "weekly-check", world["e_a1"])
    runs.save_answers(world["officer"], run, {"exits": "pass"})
    assert login_as(world["officer"]).get(f"/runs/{run.id}.pdf").status_code == 404


def test_login_is_required(client):
    response = client.get("/runs/1.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_renderer_never_fetches_the_network(app, monkeypatch, tmp_path):
    from safetylist.reports.pdf import LocalFilesFetcher, html_to_pdf
    attempts = []

    def no_connection(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network refused by the test")
    monkeypatch.setattr(socket.socket, "connect", no_connection)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: no_connection(None, address))
    html = ('<link rel="stylesheet" href="http://example.com/x.css">'
            '<style>@import url(https://example.com/y.css); @font-face { font-family: X; src: url(http://example.com/z.ttf) }'
            ' body { background: url(ftp://example.com/b.png) }</style>'
            '<p style="font-family: X">中文</p><img src="http://example.com/x.png"><img src="file:///etc/hostname">')
    with app.test_request_context():
        pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF") and attempts == []

    fetcher = LocalFilesFetcher([tmp_path])
    (tmp_path / "ok.txt").write_text("ok")
    assert fetcher((tmp_path / "ok.txt").as_uri()).read() == b"ok"
    for url in ("http://example.com/x.png", "https://example.com/x.png", "ftp://example.com/x",
                "file:///etc/passwd", (tmp_path / ".." / "elsewhere.txt").as_uri()):
        with pytest.raises(ValueError):
            fetcher(url)
