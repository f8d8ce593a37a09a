"""Benchmark: the hazard board (`/hazards/`) with 50,000 hazards over the 865 demo enterprises.

Run: `.venv/bin/python bench/hazard_board.py [--runs N] [--hazards N]`. Throwaway SQLite database
(or DATABASE_URL if set), `flask seed demo`, then hazards bulk-inserted up to the total: two years of
findings, most of them closed, the recent ones still open or submitted, one in twelve major. Flask
test client, so it measures our code (queries, ORM, templates), not the network. Target (board
issue): every line under 150 ms with a constant number of queries. Record the figures in bench/README.md.
On PostgreSQL the tables are analyzed after the bulk insert, as autovacuum soon does on a live database
(SQLite is left as the app leaves it: never analyzed).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SAFETYLIST_INSTANCE", tempfile.mkdtemp(prefix="sl_bench_board_"))

from bench.timing import count_queries, demo_app, log_in, timed  # noqa: E402

TITLES = {  # typical findings, by severity, with the days given to fix them
    "general": [("疏散通道堆放杂物", 3), ("灭火器过期未更换", 7), ("电线私拉乱接", 5), ("燃气报警器未安装", 7),
                ("安全出口指示灯损坏", 5), ("员工未进行安全培训", 30), ("消防设施未定期检测", 15)],
    "major": [("有限空间作业未审批", 15), ("危化品超量存放", 30), ("燃气管道泄漏未处置", 7), ("违规住人", 15)],
}
SOURCES = (["site_inspection", "self_check", "campaign", "interview", "other"], [45, 35, 10, 4, 6])


def _status(rng: random.Random, age: int) -> str:
    """Older findings are mostly closed; the last month's mostly still to be fixed."""
    if age > 120:
        weights = [1, 0.5, 96.5, 2]
    elif age > 30:
        weights = [17, 6, 75, 2]
    else:
        weights = [50, 13, 35, 2]
    return rng.choices(["open", "rectification_submitted", "closed", "withdrawn"], weights=weights)[0]


def generate_hazards(total: int) -> int:
    """Top the demo's hazards up to `total` with bulk inserts; returns how many were added."""
    from sqlalchemy import func, insert, select, text

    from safetylist.extensions import db
    from safetylist.registry.models import Enterprise
    from safetylist.remediation.models import ACTIVE_STATUSES, Hazard
    from safetylist.timeutil import local_today, utcnow

    missing = total - db.session.scalar(select(func.count()).select_from(Hazard))
    rng = random.Random(50000)
    today, now = local_today(), utcnow()
    enterprises = db.session.scalars(select(Enterprise.id)).all()
    weights = [rng.lognormvariate(0, 1) for _ in enterprises]  # some enterprises with many more findings
    rows = []
    for _ in range(max(0, missing)):
        severity = "major" if rng.random() < 1 / 12 else "general"
        title, days = rng.choice(TITLES[severity])
        age = rng.randint(0, 730)
        found_on = today - timedelta(days=age)
        status = _status(rng, age)
        rows.append({
            "enterprise_id": rng.choices(enterprises, weights)[0], "severity": severity, "title": title,
            "found_on": found_on, "deadline": found_on + timedelta(days=days), "status": status,
            "source": rng.choices(*SOURCES)[0], "rectification_evidence": "photo" if severity == "major" else "none",
            "notify": [], "rectification_photos": [], "created_at": now, "lock_version": 1,
            "supervision_level": rng.choice(["street", "district"])
            if severity == "major" and status in ACTIVE_STATUSES and rng.random() < 0.3 else None,
            "rectification_note": "已整改" if status in ("rectification_submitted", "closed") else None,
        })
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Hazard), rows[start:start + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # planner statistics, as autovacuum soon gives a live database
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--hazards", type=int, default=50_000)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from safetylist.extensions import db
    from safetylist.registry.models import Enterprise, Street
    from safetylist.remediation.models import ACTIVE_STATUSES, Hazard
    from safetylist.timeutil import local_today

    app = demo_app()
    with app.app_context():
        start = time.perf_counter()
        added = generate_hazards(args.hazards)
        seconds = time.perf_counter() - start
        today = local_today()
        total = db.session.scalar(select(func.count()).select_from(Hazard))
        active = db.session.scalar(select(func.count()).where(Hazard.status.in_(ACTIVE_STATUSES)))
        overdue = db.session.scalar(select(func.count()).where(Hazard.status.in_(ACTIVE_STATUSES),
                                                               Hazard.deadline < today))
        street_id, street_hazards = db.session.execute(
            select(Enterprise.street_id, func.count()).join(Hazard, Hazard.enterprise_id == Enterprise.id)
            .group_by(Enterprise.street_id).order_by(func.count().desc()).limit(1)).one()
        street = db.session.get(Street, street_id)
        busiest = db.session.execute(select(Hazard.enterprise_id, func.count()).group_by(Hazard.enterprise_id)
                                     .order_by(func.count().desc()).limit(1)).one()
        sector_id = db.session.scalar(select(Enterprise.sector_id).where(Enterprise.id == busiest[0]))
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, requests per line: {args.runs}; "
          f"{total} hazards ({added} bulk-inserted in {seconds:.1f} s), {active} still to be fixed, {overdue} overdue; "
          f"busiest street {street.code} ({street_hazards} hazards), busiest enterprise {busiest[1]} hazards")

    regulator = f"street-{street.code}"
    lines = [
        ("district", "/hazards/", "default: still to fix, overdue first"),
        ("district", "/hazards/?status=all", "every state"),
        ("district", "/hazards/?status=all&page=400", "every state, page 400"),
        ("district", "/hazards/?severity=major&source=site_inspection", "major, grid inspection"),
        ("district", f"/hazards/?sector_id={sector_id}&severity=general&sort=found_on", "sector, general, newest"),
        ("district", "/hazards/?q=有限公司&sort=enterprise", "name contains, by enterprise"),
        ("district", f"/hazards/?street_id={street_id}&overdue=yes", f"street {street.code} + overdue"),
        ("district", "/hazards/?escalated=yes", "escalated to the district"),
        ("district", f"/hazards/?enterprise_id={busiest[0]}", "one enterprise's history"),
        (regulator, "/hazards/", f"street regulator, {street.code}"),
        (regulator, "/hazards/?overdue=yes&sort=severity", "street regulator, overdue, major first"),
        (regulator, "/hazards/?escalated=yes", "street regulator, escalated"),
        (regulator, "/hazards/?status=all", "street regulator, every state"),
        ("grid", "/hazards/?status=all", "grid worker (one community)"),
        ("officer", "/hazards/?status=all", "officer (own enterprise)"),
    ]
    client = app.test_client()
    with app.app_context():
        user = None
        for username, url, label in lines:
            if username != user:
                log_in(client, username)
                user = username
            queries = count_queries(client, url)
            median, p95 = timed(lambda: client.get(url), args.runs)
            print(f"GET {url:52s} {label:40s} median {median:6.1f} ms  p95 {p95:6.1f} ms  SQL queries {queries}")
        exports = [("district", "/hazards/export.xlsx", f"district, still to fix ({active} rows)"),
                   (regulator, "/hazards/export.xlsx?status=all", f"street {street.code}, every state "
                                                                    f"({street_hazards} rows)")]
        for username, url, label in exports:
            log_in(client, username)
            assert client.get(url).status_code == 200
            median, p95 = timed(lambda: client.get(url), max(3, args.runs // 10))
            print(f"GET {url:52s} {label:40s} median {median:6.1f} ms  p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
