"""Benchmark: the reminder scan (`safetylist.notify.scan.scan`) with 1,000,000 hazards in PostgreSQL.

Run: `.venv/bin/python bench/reminder_scan.py [--hazards N] [--days N] [--runs N] [--officers]
[--history-days N] [--beat] [--keep]`.

Creates a throwaway PostgreSQL database on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), migrates it, seeds the demo (865 enterprises, staff,
logins: one officer), gives every user an e-mail address and the app a NOTIFY_WEBHOOK_URL (so each
notification gets an e-mail and a webhook delivery; nothing is sent: only the scan is measured), then
bulk-loads the hazards with COPY: ~97 % closed over the past five years, the rest still to be fixed
(open or submitted) with deadlines from 60 days overdue to 30 days ahead, one in twelve major (some of
those supervised), oldest first. ANALYZE, then, for each of the last `--days` days:

  first     the first scan of the day at 08:30 local (records the day's reminders: each overdue
            hazard's daily stage, the stages before the deadline, escalations, the grid workers'
            07:30 digests, checklists)
  repeat    the same scan a minute later (nothing new), `--runs` times
  11:00     a scan between stages (nothing new), `--runs` times

--officers gives every active enterprise an officer account, so every hazard reminder has a
recipient (a day's first scan then records ~21,000 notifications and ~42,000 deliveries);
--history-days puts that many past days of notifications in the table first (the key index grows);
--beat scans at 07:30 before 08:30, as the 15-minute beat does, so the digests go out on their own;
--gc-freeze moves the objects loaded at start-up out of the garbage collector's reach first.

Each scan runs in its own app context (a fresh session, as a worker task gets). Reported: wall time,
notifications and deliveries recorded, SQL statements sent, and the time spent in each source (finding
the subjects) against the rest (stages, recipients, inserts, commits). Target (reminders issue): every
scan under 2 s. Then EXPLAIN ANALYZE of the queries a scan sent: the hazard sources and the digests'
look-up of what is already recorded. The database is dropped at the end (unless --keep). Record the
figures in bench/README.md.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, time as clock, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SAFETYLIST_INSTANCE", tempfile.mkdtemp(prefix="sl_bench_reminders_"))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
TITLES = {  # typical findings, by severity, with the days given to fix them
    "general": [("疏散通道堆放杂物", 3), ("灭火器过期未更换", 7), ("电线私拉乱接", 5), ("燃气报警器未安装", 7),
                ("安全出口指示灯损坏", 5), ("员工未进行安全培训", 30), ("消防设施未定期检测", 15)],
    "major": [("有限空间作业未审批", 15), ("危化品超量存放", 30), ("燃气管道泄漏未处置", 7), ("违规住人", 15)],
}
SOURCES = (["site_inspection", "self_check", "campaign", "interview", "other"], [45, 35, 10, 4, 6])
COLUMNS = ("enterprise_id", "severity", "title", "found_on", "deadline", "status", "source",
           "rectification_evidence", "notify", "rectification_photos", "rectification_note", "closed_at",
           "supervision_level", "supervisor_id", "created_at", "lock_version")


# --- the throwaway database --------------------------------------------------------------------
def _connect(url, database: str):
    return psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
                           password=url.password, dbname=database, autocommit=True)


def create_database():
    """A fresh database on DATABASE_URL's server; DATABASE_URL is pointed at it. Returns (server url, name)."""
    url = make_url(os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    if not url.drivername.startswith("postgres"):
        sys.exit(f"reminder_scan.py measures PostgreSQL; DATABASE_URL is {url.drivername}")
    name = f"sl_bench_reminders_{os.getpid()}"
    with _connect(url, url.database or "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)
    return url, name


def drop_database(url, name: str) -> None:
    with _connect(url, url.database or "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- data ------------------------------------------------------------------------------------
def add_recipients(app, officers: bool) -> tuple[int, int]:
    """An e-mail address for every user and (with `officers`) an officer account for every active
    enterprise that has none. Returns (officers added, users)."""
    from sqlalchemy import func, insert, select, text

    from safetylist.auth import roles
    from safetylist.auth.models import User
    from safetylist.demo_seed import DEMO_PASSWORD
    from safetylist.extensions import db
    from safetylist.registry.models import Enterprise
    from safetylist.timeutil import utcnow
    from werkzeug.security import generate_password_hash

    with app.app_context():
        staffed = set(db.session.scalars(select(User.enterprise_id).where(User.role == roles.OFFICER)))
        enterprises = db.session.scalars(select(Enterprise.id).where(Enterprise.status == "active")
                                         .order_by(Enterprise.id)).all()
        password, now = generate_password_hash(DEMO_PASSWORD), utcnow()
        rows = [{"username": f"officer-{eid}", "password_hash": password, "display_name": f"企业安全员 {eid}",
                 "role": roles.OFFICER, "enterprise_id": eid, "active": True, "created_at": now, "version": 1,
                 "notify_email": True, "notify_webhook": True}
                for eid in enterprises if eid not in staffed] if officers else []
        if rows:
            db.session.execute(insert(User), rows)
        db.session.execute(text("""UPDATE "user" SET email = username || '@bench.invalid'"""))
        db.session.commit()
        return len(rows), db.session.scalar(select(func.count()).select_from(User))


def load_hazards(app, total: int, seed: int = 1_000_000) -> dict:
    """Top the hazards up to `total` with COPY, oldest first (ids grow with time, as in real life)."""
    from sqlalchemy import func, select, text

    from safetylist.auth import roles
    from safetylist.auth.models import User
    from safetylist.extensions import db
    from safetylist.registry.models import Enterprise
    from safetylist.remediation.models import Hazard
    from safetylist.timeutil import local_today

    rng = random.Random(seed)
    today = local_today()
    with app.app_context():
        missing = total - db.session.scalar(select(func.count()).select_from(Hazard))
        enterprises = db.session.execute(select(Enterprise.id, Enterprise.status, Enterprise.street_id)).all()
        regulators = {u.street_id: u.id for u in db.session.scalars(
            select(User).where(User.role == roles.STREET_REGULATOR).order_by(User.id))}
        district = db.session.scalar(select(User.id).where(User.role == roles.DISTRICT_REGULATOR).order_by(User.id))
    ids = [e.id for e in enterprises]
    weights = [rng.lognormvariate(0, 1) for _ in ids]  # some enterprises with many more findings
    active_ids = [e.id for e in enterprises if e.status == "active"]
    active_weights = [w for e, w in zip(enterprises, weights) if e.status == "active"]
    streets = {e.id: e.street_id for e in enterprises}
    active_count = round(missing * 0.03)
    closed_enterprises = rng.choices(ids, weights, k=missing - active_count)
    open_enterprises = rng.choices(active_ids, active_weights, k=active_count)

    rows = []  # (found_on, line) — sorted by found_on before COPY
    for n in range(missing):
        severity = "major" if rng.random() < 1 / 12 else "general"
        title, days = rng.choice(TITLES[severity])
        source = rng.choices(*SOURCES)[0]
        if n < active_count:
            enterprise_id = open_enterprises[n]
            deadline = today + timedelta(days=rng.randint(-60, 30))
            found_on = deadline - timedelta(days=days)
            status = "open" if rng.random() < 0.75 else "rectification_submitted"
            note = "已整改，请复核" if status == "rectification_submitted" else None
            closed_at = None
            supervised = severity == "major" and rng.random() < 0.3
            level = rng.choice(["street", "district"]) if supervised else None
            supervisor = (regulators.get(streets[enterprise_id]) if level == "street" else district) \
                if supervised else None
        else:
            enterprise_id = closed_enterprises[n - active_count]
            found_on = today - timedelta(days=rng.randint(31, 5 * 365))
            deadline = found_on + timedelta(days=days)
            status, note, level, supervisor = "closed", "已整改", None, None
            closed_at = f"{deadline - timedelta(days=rng.randint(0, days))} 06:00:00"
        created_at = f"{found_on - timedelta(days=1)} 08:{rng.randint(0, 59):02d}:00"
        values = (enterprise_id, severity, title, found_on, deadline, status, source, "none", "[]", "[]",
                  note, closed_at, level, supervisor, created_at, 1)
        rows.append((found_on, "\t".join(r"\N" if v is None else str(v) for v in values)))
    rows.sort(key=lambda row: row[0])

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()
            with cursor.copy(f"COPY hazard ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for start in range(0, len(rows), 50_000):
                    copy.write("".join(line + "\n" for _, line in rows[start:start + 50_000]))
            raw.driver_connection.commit()
        finally:
            raw.close()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        counts = dict(db.session.execute(select(Hazard.status, func.count()).group_by(Hazard.status)).all())
        overdue = db.session.scalar(select(func.count()).where(
            Hazard.status.in_(["open", "rectification_submitted"]), Hazard.deadline < today))
    return {"added": missing, "by_status": counts, "overdue": overdue}


def load_history(app, days: int, per_day: int, before) -> int:
    """Notifications of `days` past days (ending the day before `before`), as the scans would have
    left them: each grid worker's morning digest and `per_day` hazard reminders a day. Only their
    number matters (the table and its key index grow by them), so the hazard rows are synthetic."""
    from sqlalchemy import func, select, text

    from safetylist.extensions import db
    from safetylist.notify.models import Notification
    with app.app_context():
        db.session.execute(text("""
            INSERT INTO notification (user_id, reminder, subject_type, subject_id, deadline, stage, params, created_at)
            SELECT u.id, 'inspections-due', 'user', u.id, d::date::text, 'morning', '{}',
                   d - interval '30 minutes'
            FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d,
                 "user" AS u WHERE u.role = 'grid_worker'"""),
            {"first": before - timedelta(days=days), "last": before - timedelta(days=1)})
        db.session.execute(text("""
            INSERT INTO notification (user_id, reminder, subject_type, subject_id, deadline, stage, params, created_at)
            SELECT users.ids[1 + n % array_length(users.ids, 1)], 'hazard-deadline', 'hazard', n,
                   (CAST(:first AS date) + n / :per_day - 7)::text,
                   'overdue:' || (CAST(:first AS date) + n / :per_day)::text, '{}',
                   CAST(:first AS date) + n / :per_day
            FROM generate_series(0, :total - 1) AS n,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM "user") AS users"""),
            {"first": before - timedelta(days=days), "per_day": per_day, "total": days * per_day})
        db.session.commit()
        db.session.execute(text("ANALYZE notification"))
        db.session.commit()
        return db.session.scalar(select(func.count()).select_from(Notification))


# --- measuring ---------------------------------------------------------------------------------
class Statements:
    """Every statement sent to the database while active (with its parameters)."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _listen(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append((statement, parameters))

    def __enter__(self):
        from sqlalchemy import event
        self.seen = []
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._listen)


SOURCE_SECONDS: Counter = Counter()  # time spent in each source's items() during one scan


def time_sources() -> None:
    """Wrap every source so a scan's time can be told apart: finding subjects vs. recording them."""
    from safetylist.notify import sources

    def timed_items(name, items):
        def wrapper(window):
            start = time.perf_counter()
            try:
                return items(window)
            finally:
                SOURCE_SECONDS[name] += time.perf_counter() - start
        return wrapper
    for name, source in list(sources.SOURCES.items()):
        sources.SOURCES[name] = sources.Source(source.subject_type, source.fields, timed_items(name, source.items),
                                               source.match_keys, source.timed)


def one_scan(app, now: datetime) -> dict:
    """One scan in a fresh app context: seconds, notifications, deliveries, statements."""
    from safetylist.extensions import db
    from safetylist.notify.scan import scan
    SOURCE_SECONDS.clear()
    with app.app_context():
        with Statements(db.engine) as statements:
            start = time.perf_counter()
            result = scan(now)
            seconds = time.perf_counter() - start
    return {"seconds": seconds, "notifications": result.total, "deliveries": len(result.deliveries),
            "statements": len(statements.seen), "by_reminder": result.recorded, "sql": statements.seen,
            "sources": dict(SOURCE_SECONDS)}


def breakdown(sample: dict) -> str:
    parts = sorted(sample["sources"].items(), key=lambda pair: -pair[1])
    rest = sample["seconds"] - sum(sample["sources"].values())
    return ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in parts if seconds >= 0.005) + \
        f", the rest (stages, recipients, inserts, commits) {rest * 1000:.0f} ms"


def warm_caches(app) -> None:
    """What a long-running worker has loaded before its first scan: the rule files and the library."""
    from safetylist.checklists import versions
    from safetylist.notify import rules
    from safetylist.remediation import escalation
    with app.app_context():
        rules.rules()
        escalation.rules()
        versions.library()


def line(label: str, samples: list[dict]) -> str:
    times = sorted(s["seconds"] * 1000 for s in samples)
    statements = sorted({s["statements"] for s in samples})
    recorded = sorted({(s["notifications"], s["deliveries"]) for s in samples})
    notifications = sorted(n for n, _ in recorded)
    deliveries = sorted(d for _, d in recorded)
    recorded_text = f"{notifications[0]}/{deliveries[0]}" if len(recorded) == 1 else \
        f"{notifications[0]}–{notifications[-1]}/{deliveries[0]}–{deliveries[-1]}"
    statements_text = f"{statements[0]}–{statements[-1]}" if len(statements) > 1 else str(statements[0])
    return (f"{label:44s} median {statistics.median(times):7.1f} ms  max {times[-1]:7.1f} ms  "
            f"({len(samples):2d} scans)  new notifications/deliveries {recorded_text:>17s}  "
            f"SQL statements {statements_text}")


def explain(app, statements: list[tuple]) -> None:
    """EXPLAIN ANALYZE, as a scan sent them: the hazard_deadline source, the first escalation rule's
    query and the digests' lookup of what is already recorded."""
    from safetylist.extensions import db
    hazards = [(sql, params) for sql, params in statements
               if sql.lstrip().startswith("SELECT hazard.id") and "ORDER BY hazard.id" in sql]
    recorded = [(sql, params) for sql, params in statements
                if sql.lstrip().startswith("SELECT notification.subject_id")]
    labels = ["hazard_deadline: still to fix, deadline up to today + 3 days",
              "hazard_escalation: the first rule's deadlines", "inspection digests: already recorded today"]
    with app.app_context():
        conn = db.engine.raw_connection()
        try:
            cursor = conn.driver_connection.cursor()
            for label, (sql, params) in zip(labels, hazards[:2] + recorded[:1]):
                print(f"\nEXPLAIN (ANALYZE, BUFFERS) — {label}:")
                print("  " + " ".join(sql.split()))
                print(f"  parameters: {params}")
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                for (row,) in cursor.fetchall():
                    print("    " + row)
        finally:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=5, help="days scanned, ending today (one first scan each)")
    parser.add_argument("--runs", type=int, default=5, help="repeated and 11:00 scans per day")
    parser.add_argument("--officers", action="store_true",
                        help="give every active enterprise an officer account (the demo has one officer)")
    parser.add_argument("--history-days", type=int, default=0,
                        help="notifications of this many past days in the table before the scans")
    parser.add_argument("--history-per-day", type=int, default=20_000, help="hazard reminders a past day")
    parser.add_argument("--beat", action="store_true",
                        help="scan at 07:30 before 08:30, as the 15-minute beat does: the digests go out then")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() the start-up objects before the scans, as a worker could after loading")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database (prints its URL)")
    args = parser.parse_args()

    server, name = create_database()
    try:
        from bench.timing import demo_app
        from safetylist.timeutil import LOCAL_TZ, local_today

        start = time.perf_counter()
        app = demo_app()
        app.config["NOTIFY_WEBHOOK_URL"] = "http://127.0.0.1:9/bench-never-called"
        officers, users = add_recipients(app, args.officers)
        seeded = time.perf_counter() - start
        start = time.perf_counter()
        loaded = load_hazards(app, args.hazards)
        load_seconds = time.perf_counter() - start
        total = sum(loaded["by_status"].values())
        active = loaded["by_status"].get("open", 0) + loaded["by_status"].get("rectification_submitted", 0)
        print(f"database: PostgreSQL {name} (throwaway); demo seeded + {officers} officer accounts in "
              f"{seeded:.1f} s ({users} users, all with e-mail; webhook configured); "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"hazards: {total:,} ({loaded['added']:,} loaded with COPY + ANALYZE in {load_seconds:.1f} s): "
              f"{active:,} still to be fixed, {loaded['overdue']:,} of them overdue; by status {loaded['by_status']}")

        today = local_today()
        days = [today - timedelta(days=k) for k in range(args.days - 1, -1, -1)]
        if args.history_days:
            start = time.perf_counter()
            rows = load_history(app, args.history_days, args.history_per_day, days[0])
            print(f"notification history: {rows:,} rows ({args.history_days} days before {days[0]}) "
                  f"loaded in {time.perf_counter() - start:.1f} s")
        warm_caches(app)
        time_sources()
        if args.gc_freeze:  # the app's ~200,000 long-lived objects leave the collector's full passes
            gc.collect()
            gc.freeze()
        first, repeat, later, morning = [], [], [], []
        for day in days:
            at = lambda hh, mm: datetime.combine(day, clock(hh, mm), LOCAL_TZ)  # noqa: E731
            if args.beat:
                morning.append(one_scan(app, at(7, 30)))
                m = morning[-1]
                print(f"  {day} 07:30 scan {m['seconds'] * 1000:7.1f} ms: {m['notifications']} notifications, "
                      f"{m['deliveries']} deliveries, {m['statements']} SQL statements")
                print(f"      sources: {breakdown(m)}")
            first.append(one_scan(app, at(8, 30)))
            repeat += [one_scan(app, at(8, 31)) for _ in range(args.runs)]
            later += [one_scan(app, at(11, 0)) for _ in range(args.runs)]
            f = first[-1]
            print(f"  {day} 08:30 first scan {f['seconds'] * 1000:7.1f} ms: {f['notifications']} notifications, "
                  f"{f['deliveries']} deliveries, {f['statements']} SQL statements  {f['by_reminder']}")
            print(f"      sources: {breakdown(f)}")
            print(f"      repeated: {breakdown(repeat[-1])}")
            for sample in repeat[-args.runs:] + later[-args.runs:]:
                assert sample["notifications"] == 0, f"a repeated scan recorded {sample['by_reminder']}"
        print()
        if morning:
            print(line("07:30 scan (the digests; hazards: nothing new)", morning))
        print(line("08:30 scan (records the hazard stages)" if morning else "first scan of the day, 08:30 (records)",
                   first))
        print(line("same scan again a minute later (nothing new)", repeat))
        print(line("scan at 11:00, between stages (nothing new)", later))
        slowest = max(s["seconds"] for s in morning + first + repeat + later)
        print(f"load average {os.getloadavg()[0]:.1f}")
        print(f"slowest scan {slowest * 1000:.1f} ms — target 2000 ms: {'met' if slowest < 2 else 'MISSED'}")
        kinds = Counter(" ".join(sql.split()[:3]) for sql, _ in first[-1]["sql"])
        print(f"statements of the last first scan by kind: {dict(kinds.most_common(8))}")
        explain(app, first[-1]["sql"])
        if args.keep:
            print(f"\nkept: {os.environ['DATABASE_URL']}")
    finally:
        try:
            from safetylist.extensions import db
            if "app" in locals():
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
        finally:
            if not args.keep:
                drop_database(server, name)


if __name__ == "__main__":
    main()
