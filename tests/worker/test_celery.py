"""Celery bound to Flask: tasks run in an app context, on the embedded broker and on Redis."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_task_runs_inside_the_app_context(app, make_enterprise):
    celery = app.extensions["celery"]  # this app's Celery (other tests create other apps)
    celery.loader.import_default_modules()
    make_enterprise()
    assert celery.tasks["worker.tasks.heartbeat"].delay().get(timeout=10)["enterprises"] == 1


def test_beat_schedule_names_registered_tasks(app):
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    for entry in celery.conf.beat_schedule.values():
        assert entry["task"] in celery.tasks


def _round_trip(broker: str, backend: str, tmp_path: Path, database_url: str):
    """Start a real worker process on the broker and get a task's answer back through it."""
    env = {**os.environ, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": backend,
           "DATABASE_URL": database_url, "SAFETYLIST_INSTANCE": str(tmp_path)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--pool=solo", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        code = ("from worker.app import celery; r = celery.send_task('worker.tasks.heartbeat'); "
                "print(r.get(timeout=60)['enterprises'])")
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=90)
        assert result.returncode == 0, result.stderr[-2000:]
        return int(result.stdout.strip().splitlines()[-1])
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_real_worker_on_the_embedded_filesystem_broker(app, tmp_path, database_url, make_enterprise):
    make_enterprise()
    started = time.monotonic()
    assert _round_trip("filesystem://", "", tmp_path, database_url) == 1
    assert time.monotonic() - started < 120


@pytest.mark.redis
def test_real_worker_on_redis(app, tmp_path, database_url, make_enterprise):
    broker = os.environ.get("CELERY_TEST_BROKER")
    if not broker:
        pytest.skip("set CELERY_TEST_BROKER=redis://… to run against Redis (CI does)")
    make_enterprise()
    assert _round_trip(broker, broker, tmp_path, database_url) == 1
