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

from bench.timing import count_queries, demo_app, log_in, timed  # noqa: E402




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from safetylist.auth.system import SYSTEM
    from safetylist.registry.importer import parse_rows, read_table

    app = demo_app()
    client = app.test_client()
    log_in(client, "district")
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, runs: {args.runs}")

    with app.app_context():
        for size in (25, 100, 200):
            url = f"/enterprises/?per_page={size}"
            queries = count_queries(client, url)
            median, p95 = timed(lambda: client.get(url), args.runs)
            print(f"GET {url:32s} median {median:6.1f} ms  p95 {p95:6.1f} ms  SQL queries {queries}")
        filtered = "/enterprises/?risk_level=orange&flag=key_enterprise&q=有限公司"
        median, p95 = timed(lambda: client.get(filtered), args.runs)
        print(f"GET {filtered:32s} median {median:6.1f} ms  p95 {p95:6.1f} ms")
        for user, label in (("district", "all 865"), ("grid", "one community")):
            log_in(client, user)
            queries = count_queries(client, "/grid/inspections")
            median, p95 = timed(lambda: client.get("/grid/inspections"), max(20, args.runs // 4))
            print(f"GET /grid/inspections ({label:13s})    median {median:6.1f} ms  p95 {p95:6.1f} ms  "
                  f"SQL queries {queries}")
        log_in(client, "district")
        median, p95 = timed(lambda: client.get("/enterprises/export.xlsx"), max(5, args.runs // 20))
        print(f"GET /enterprises/export.xlsx (865 rows) median {median:6.1f} ms  p95 {p95:6.1f} ms")

        sys.path.insert(0, str(ROOT))
        from tests.registry.spreadsheets import rows, xlsx_bytes
        content = xlsx_bytes(rows(1000))
        median, p95 = timed(lambda: parse_rows(SYSTEM, read_table("b.xlsx", content)), 5)
        print(f"import check of 1,000 rows (.xlsx) median {median:6.1f} ms  p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
