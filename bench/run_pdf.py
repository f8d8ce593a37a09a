"""Benchmark: the PDF of a submitted 60-item checklist run with 5 photos (target: under 2 s).

Run: `.venv/bin/python bench/run_pdf.py [--runs N] [--out run.pdf]`. Builds a
throwaway SQLite database with one enterprise and a 60-item checklist whose questions and bases
are taken from the real library (so the Chinese text is of real length), submits a run with
8 failed items (5 of them with a 1600×1200 JPEG photo), then times `run_pdf(run)` and the whole
GET /runs/<id>.pdf through the Flask test client. Record the figures in bench/README.md.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INSTANCE = Path(tempfile.mkdtemp(prefix="sl_bench_pdf_"))
os.environ["SAFETYLIST_INSTANCE"] = str(INSTANCE)
os.environ.pop("DATABASE_URL", None)

import yaml  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from bench.timing import timed  # noqa: E402

SECTIONS, PER_SECTION, PHOTOS, FAILS = 6, 10, 5, 8


def bench_checklist(folder: Path) -> None:
    """A 60-item checklist file made of real questions and bases from the library."""
    from safetylist.checklists.library import load_library
    real = [item for definition in load_library().definitions.values()
            for _, item in definition.all_items() if item.answer == "pass_fail_na"]
    assert len(real) >= SECTIONS * PER_SECTION, len(real)
    sections, n = [], 0
    for s in range(SECTIONS):
        items = []
        for _ in range(PER_SECTION):
            source = real[n]
            item = {"id": f"item-{n}", "ask": source.ask.model_dump(), "answer": "pass_fail_na",
                    "basis": source.basis or "《中华人民共和国安全生产法》第四十一条",
                    "on_fail": {"hazard": "major" if n % 7 == 0 else "general", "fix_within_days": 7}}
            if n % 10 == 9:  # a number with a range and a choice in every section
                item = {**item, "answer": "number", "unit": "%", "min": 19.5, "max": 23.5}
            if n % 10 == 8:
                item = {**item, "answer": "single_choice", "options": [
                    {"id": "ok", "zh": "完好有效", "en": "In order"},
                    {"id": "poor", "zh": "损坏或过期", "en": "Damaged or expired", "fails": True}]}
            items.append(item)
            n += 1
        sections.append({"id": f"section-{s}", "title": {"zh": f"第{s + 1}部分 现场检查", "en": f"Part {s + 1}"},
                         "items": items})
    data = {"id": "bench-pdf", "version": 1, "title": {"zh": "燃气与消防安全综合检查表", "en": "Bench PDF"},
            "kind": "self_check", "audience": "enterprise", "frequency": "daily",
            "scoring": {"method": "percent", "pass_mark": 80}, "sections": sections}
    (folder / "bench-pdf.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def camera_like_jpeg(path: Path, seed: int) -> None:
    """1600×1200, shapes and grain, so it compresses like a phone photo (a few hundred KB)."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(1600), rng.randrange(1200)
        draw.rectangle((x, y, x + rng.randrange(40, 400), y + rng.randrange(40, 300)),
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    grain = Image.effect_noise((1600, 1200), 18).convert("RGB")
    Image.blend(image.filter(ImageFilter.GaussianBlur(2)), grain, 0.15).save(path, quality=85)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", help="also write one PDF here, to look at")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from safetylist import create_app
    from safetylist.auth.models import User
    from safetylist.checklists import runs
    from safetylist.extensions import db
    from safetylist.photos.models import Photo
    from safetylist.registry.models import Enterprise
    from safetylist.registry.reference import ensure_reference_data
    from safetylist.reports.runs import run_pdf
    from tests.factories import enterprise_data

    library = INSTANCE / "library"
    library.mkdir()
    bench_checklist(library)
    app = create_app({"CHECKLIST_LIBRARY": str(library), "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        ensure_reference_data()
        enterprise = Enterprise(**enterprise_data(name="深圳市龙岗区鑫垚餐饮管理有限公司"))
        officer = User(username="officer", display_name="王安全", role="officer", enterprise=enterprise)
        officer.set_password("bench-password")
        db.session.add_all([enterprise, officer])
        db.session.commit()

        folder = Path(app.config["UPLOAD_FOLDER"]) / "photos"
        folder.mkdir(parents=True, exist_ok=True)
        refs = []
        for n in range(PHOTOS):
            ref = uuid.uuid4().hex
            camera_like_jpeg(folder / f"{ref}.jpg", n)
            db.session.add(Photo(ref=ref, enterprise_id=enterprise.id, original_format="JPEG",
                                 content_type="image/jpeg", width=1600, height=1200,
                                 size=(folder / f"{ref}.jpg").stat().st_size))
            refs.append(ref)
        db.session.commit()

        run = runs.start_run(officer, "bench-pdf", enterprise)
        checklist = runs.definition(run)
        items = [item for _, item in checklist.all_items()]
        failing = [item for item in items if item.answer == "pass_fail_na"][:FAILS]
        answers = {item.id: {"pass_fail_na": "pass", "number": 21.3, "single_choice": "ok"}[item.answer]
                   for item in items}
        answers.update({item.id: "fail" for item in failing})
        notes = {item.id: "现场发现该项不符合要求，已要求立即整改并拍照留存。" for item in failing}
        evidence = {item.id: [ref] for item, ref in zip(failing, refs)}
        runs.submit_run(officer, run, answers, notes, evidence)
        photo_bytes = sum((folder / f"{ref}.jpg").stat().st_size for ref in refs)

        pdf = run_pdf(run)  # warm-up: templates compiled, definition parsed
        if args.out:
            Path(args.out).write_bytes(pdf)
        print(f"run: {len(items)} items, {len(failing)} failed, {PHOTOS} photos 1600x1200 "
              f"({photo_bytes / 1024:.0f} KB); PDF {len(pdf) / 1024:.0f} KB")
        median, p95 = timed(lambda: run_pdf(run), args.runs)
        print(f"run_pdf(run)                    median {median:7.1f} ms  p95 {p95:7.1f} ms  ({args.runs} renders)")

        client = app.test_client()
        client.post("/login", data={"username": "officer", "password": "bench-password"})
        url = f"/runs/{run.id}.pdf"
        assert client.get(url).status_code == 200
        median, p95 = timed(lambda: client.get(url), args.runs)
        print(f"GET {url:28s} median {median:7.1f} ms  p95 {p95:7.1f} ms  ({args.runs} requests)")


if __name__ == "__main__":
    main()
