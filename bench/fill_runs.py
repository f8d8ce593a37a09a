"""Benchmark: the officer's fill page against the demo data with a year of history.

Measures the server time to save one answer (autosave) and to submit a 60-item run, the fill
page's time and size, and the officer's home page. Targets (issue 4): save p95 < 50 ms, submit
p95 < 150 ms, fill page under 100 KB transferred. Flask test client, throwaway SQLite database
(or DATABASE_URL). Record the figures in bench/README.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SAFETYLIST_INSTANCE", tempfile.mkdtemp(prefix="sl_bench_fill_"))

from bench.timing import timed  # noqa: E402


def sixty_item_checklist(folder: Path) -> None:
    ask = {"zh": "现场是否符合要求？", "en": "Does the site comply?"}
    sections = []
    for s in range(3):
        items = []
        for i in range(20):
            n = s * 20 + i + 1
            item = {"id": f"item-{n}", "ask": ask, "answer": "pass_fail_na", "basis": "《中华人民共和国安全生产法》第四十一条",
                    "on_fail": {"hazard": "general", "fix_within_days": 7, "notify": ["officer"]}}
            if n % 10 == 0:
                item["show_if"] = f"item-{n - 1} == fail"
            items.append(item)
        sections.append({"id": f"part-{s + 1}", "title": {"zh": f"第{s + 1}部分", "en": f"Part {s + 1}"},
                         "items": items})
    definition = {"id": "bench-sixty", "version": 1, "title": {"zh": "六十项日常检查", "en": "Sixty-item check"},
                  "kind": "self_check", "audience": "enterprise", "frequency": "daily",
                  "scoring": {"method": "percent", "pass_mark": 80}, "sections": sections}
    (folder / "bench-sixty.yaml").write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import select, update

    from safetylist import create_app
    from safetylist.auth.models import User
    from safetylist.checklists import runs
    from safetylist.checklists.models import ChecklistRun
    from safetylist.demo_seed import DEMO_PASSWORD, seed_demo
    from safetylist.extensions import db
    from safetylist.timeutil import utcnow

    library = Path(tempfile.mkdtemp(prefix="sl_bench_library_"))
    for path in (ROOT / "safetylist/checklists/library").glob("*.yaml"):
        (library / path.name).write_bytes(path.read_bytes())
    sixty_item_checklist(library)
    app = create_app({"WTF_CSRF_ENABLED": False, "CHECKLIST_LIBRARY": str(library)})
    all_pass = {f"item-{n}": "pass" for n in range(1, 61) if n % 10}
    with app.app_context():
        upgrade()
        seed_demo()
        officer = db.session.scalars(select(User).where(User.username == "officer")).one()
        enterprise = officer.enterprise
        # A year of daily history, some with failures (and so hazards).
        for day in range(365):
            run = runs.start_run(officer, "bench-sixty", enterprise)
            answers = dict(all_pass, **({"item-3": "fail"} if day % 7 == 0 else {}))
            runs.submit_run(officer, run, answers, submission_key=f"history-{day}")
            db.session.execute(update(ChecklistRun).where(ChecklistRun.id == run.id)
                               .values(submitted_at=utcnow() - timedelta(days=365 - day)))
        db.session.commit()
        history = db.session.query(ChecklistRun).count()
        enterprise_id, officer_id = enterprise.id, officer.id
    client = app.test_client()
    client.post("/login", data={"username": "officer", "password": DEMO_PASSWORD})
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, history: {history} runs, "
          f"requests per line: {args.runs}")

    run_id = int(client.post("/runs/start", data={"checklist": "bench-sixty", "enterprise_id": enterprise_id})
                 .headers["Location"].rsplit("/", 1)[1])
    answers = iter(["pass", "fail", "na"] * (args.runs + 10))

    def save_one():
        response = client.post(f"/runs/{run_id}/answers", json={"answers": {"item-1": next(answers)}})
        assert response.status_code == 200, response.data[:200]
    median, p95 = timed(save_one, args.runs)
    print(f"save one answer (autosave)           median {median:6.1f} ms  p95 {p95:6.1f} ms")

    fresh = []
    for i in range(args.runs):
        with app.app_context():
            run = ChecklistRun(version_id=db.session.get(ChecklistRun, run_id).version_id,
                               enterprise_id=enterprise_id, started_by_id=officer_id, answers={}, notes={},
                               evidence={})
            db.session.add(run)
            db.session.commit()
            fresh.append(run.id)
    ids = iter(fresh)
    payload = {"answers": dict(all_pass, **{"item-9": "fail", "item-10": "fail"}), "notes": {"item-9": "x"}}

    def submit_one():
        run = next(ids)
        response = client.post(f"/runs/{run}/submit", json={**payload, "submission_key": f"bench-{run}"})
        assert response.status_code == 200, response.data[:300]
    median, p95 = timed(submit_one, args.runs)
    print(f"submit a 60-item run (2 hazards)      median {median:6.1f} ms  p95 {p95:6.1f} ms")

    median, p95 = timed(lambda: client.get(f"/runs/{run_id}"), args.runs)
    print(f"GET fill page (60 items)              median {median:6.1f} ms  p95 {p95:6.1f} ms")
    median, p95 = timed(lambda: client.get("/"), args.runs)
    print(f"GET officer home (today)              median {median:6.1f} ms  p95 {p95:6.1f} ms")
    static = ["css/app.css", "js/app.js", "js/fill.js", "js/conditions.js", "js/outbox.js", "js/messages.js"]
    for label, headers in (("uncompressed", {}), ("as chromium gets it over http (gzip/deflate)",
                                                    {"Accept-Encoding": "gzip, deflate"})):
        sizes = {name: len(client.get(f"/static/{name}", headers=headers).data) for name in static}
        html = len(client.get(f"/runs/{run_id}", headers=headers).data)
        print(f"fill page bytes, {label}: HTML {html:,} + CSS/JS {sum(sizes.values()):,} = "
              f"{html + sum(sizes.values()):,}")


if __name__ == "__main__":
    main()
