"""Benchmark: the enterprise list with the 865 demo enterprises, plus export and a 1,000-row import.

Run: `make bench` or `.venv/bin/python bench/enterprise_list.py [--runs N]`. Uses a throwaway
SQLite database (or DATABASE_URL if set) and the Flask test client, so it measures our code
(queries, ORM, templates), not the network. Record the figures in bench/README.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SAFETYLIST_INSTANCE", tempfile.mkdtemp(prefix="sl_bench_"))

from bench.timing import timed  # noqa: E402




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import event

    from safetylist import create_app
    from safetylist.auth.system import SYSTEM
    from safetylist.demo_seed import DEMO_PASSWORD, seed_demo
    from safetylist.extensions import db
    from safetylist.registry.importer import parse_rows, read_table

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        seed_demo()
    client = app.test_client()
    client.post("/login", data={"username": "district", "password": DEMO_PASSWORD})
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, runs: {args.runs}")

    with app.app_context():
        for size in (25, 100, 200):
            url = f"/enterprises/?per_page={size}"
            client.get(url)  # warm caches (compiled statements, templates) before counting
            statements: list[str] = []
            listener = lambda *a: statements.append(a[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            assert client.get(url).status_code == 200
            event.remove(db.engine, "before_cursor_execute", listener)
            median, p95 = timed(lambda: client.get(url), args.runs)
            print(f"GET {url:32s} median {median:6.1f} ms  p95 {p95:6.1f} ms  SQL queries {len(statements)}")
        filtered = "/enterprises/?risk_level=orange&flag=key_enterprise&q=有限公司"
        median, p95 = timed(lambda: client.get(filtered), args.runs)
        print(f"GET {filtered:32s} median {median:6.1f} ms  p95 {p95:6.1f} ms")
        for user, label in (("district", "all 865"), ("grid", "one community")):
            client.post("/logout")
            client.post("/login", data={"username": user, "password": DEMO_PASSWORD})
            client.get("/grid/inspections")
            statements = []
            event.listen(db.engine, "before_cursor_execute", listener)
            assert client.get("/grid/inspections").status_code == 200
            event.remove(db.engine, "before_cursor_execute", listener)
            median, p95 = timed(lambda: client.get("/grid/inspections"), max(20, args.runs // 4))
            print(f"GET /grid/inspections ({label:13s})    median {median:6.1f} ms  p95 {p95:6.1f} ms  "
                  f"SQL queries {len(statements)}")
        client.post("/logout")
        client.post("/login", data={"username": "district", "password": DEMO_PASSWORD})
        median, p95 = timed(lambda: client.get("/enterprises/export.xlsx"), max(5, args.runs // 20))
        print(f"GET /enterprises/export.xlsx (865 rows) median {median:6.1f} ms  p95 {p95:6.1f} ms")

        sys.path.insert(0, str(ROOT))
        from tests.registry.spreadsheets import rows, xlsx_bytes
        content = xlsx_bytes(rows(1000))
        median, p95 = timed(lambda: parse_rows(SYSTEM, read_table("b.xlsx", content)), 5)
        print(f"import check of 1,000 rows (.xlsx) median {median:6.1f} ms  p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
