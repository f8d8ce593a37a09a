"""Shared timing for the benchmark scripts: median and p95 in milliseconds."""
from __future__ import annotations

import statistics
import time


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def demo_app():
    """A fresh app on the throwaway database, migrated and seeded with the demo (865 enterprises)."""
    from flask_migrate import upgrade

    from safetylist import create_app
    from safetylist.demo_seed import seed_demo
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        seed_demo()
    return app


def log_in(client, username: str) -> None:
    from safetylist.demo_seed import DEMO_PASSWORD
    client.post("/logout")
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD})


def count_queries(client, url: str) -> int:
    """SQL statements one GET of `url` runs, after a first GET has warmed the caches."""
    from sqlalchemy import event

    from safetylist.extensions import db
    assert client.get(url).status_code == 200
    statements: list[str] = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)
