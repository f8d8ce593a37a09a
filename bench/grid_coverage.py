"""Benchmark: the regulators' inspection coverage page against the demo data with inspection history.

Run: `.venv/bin/python bench/grid_coverage.py [--runs N]`. Throwaway SQLite database (or
DATABASE_URL if set), `flask seed demo` (865 enterprises), plus half a year of site inspections
(most enterprises inspected once or twice, one in six failing with hazards). Flask test client, so
it measures our code (queries, ORM, templates), not the network. Record the figures in bench/README.md.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SAFETYLIST_INSTANCE", tempfile.mkdtemp(prefix="sl_bench_coverage_"))

from bench.timing import count_queries, demo_app, log_in, timed  # noqa: E402


def inspection_history(app) -> tuple[int, int]:
    """Submitted site inspections over the last ~200 days and the hazards they found: (runs, hazards)."""
    from sqlalchemy import select

    from safetylist.auth.models import User
    from safetylist.checklists.models import ChecklistRun
    from safetylist.checklists.versions import entry, stored_version
    from safetylist.extensions import db
    from safetylist.registry.models import Enterprise
    from safetylist.remediation.models import Hazard
    from safetylist.timeutil import to_local, utcnow

    rng = random.Random(20211)
    version = stored_version(entry(app.config["SITE_INSPECTION_CHECKLIST"]))
    inspectors = {u.street_id: u.id for u in db.session.scalars(select(User).where(User.role == "street_regulator"))}
    now, runs, hazards = utcnow(), 0, 0
    for enterprise in db.session.scalars(select(Enterprise).where(Enterprise.status == "active")):
        if rng.random() < 0.12:
            continue  # never inspected
        for days_ago in sorted({rng.randint(0, 200), rng.randint(30, 200)}):
            at = now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
            passed = rng.random() > 1 / 6
            run = ChecklistRun(version_id=version.id, enterprise_id=enterprise.id, status="submitted",
                               answers={}, notes={}, evidence={}, result={}, score=100.0 if passed else 70.0,
                               passed=passed, started_by_id=inspectors[enterprise.street_id],
                               submitted_by_id=inspectors[enterprise.street_id], started_at=at, submitted_at=at)
            db.session.add(run)
            runs += 1
            if not passed:
                db.session.flush()
                found_on = to_local(at).date()
                for n in range(rng.randint(1, 2)):
                    db.session.add(Hazard(enterprise_id=enterprise.id, run_id=run.id, severity="general",
                                          title=f"现场检查发现隐患{n + 1}", found_on=found_on,
                                          deadline=found_on + timedelta(days=7), status="open"))
                    hazards += 1
    db.session.commit()
    return runs, hazards


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from safetylist.extensions import db
    from safetylist.registry.models import Enterprise, Street

    app = demo_app()
    with app.app_context():
        runs, hazards = inspection_history(app)
        street_id, size = db.session.execute(
            select(Enterprise.street_id, func.count()).where(Enterprise.status == "active")
            .group_by(Enterprise.street_id).order_by(func.count().desc()).limit(1)).one()
        street = db.session.get(Street, street_id)
        biggest = f"street-{street.code}"
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, requests per line: {args.runs}, "
          f"history: {runs} site inspections, {hazards} hazards; biggest street {street.code} "
          f"({size} active enterprises)")

    client = app.test_client()
    lines = [
        (biggest, "/grid/coverage", f"street regulator, {street.code}"),
        (biggest, "/grid/coverage?month=" + _last_month(), "street regulator, last month"),
        (biggest, "/", "street regulator home (with summary)"),
        ("district", "/grid/coverage", "district, by street (all 865)"),
        ("district", f"/grid/coverage?street_id={street_id}", f"district, {street.code} chosen"),
    ]
    with app.app_context():
        for user, url, label in lines:
            log_in(client, user)
            queries = count_queries(client, url)
            median, p95 = timed(lambda: client.get(url), args.runs)
            print(f"GET {url:38s} {label:38s} median {median:6.1f} ms  p95 {p95:6.1f} ms  SQL queries {queries}")


def _last_month() -> str:
    from safetylist.timeutil import local_today
    return (local_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


if __name__ == "__main__":
    main()
