"""Acceptance test for reminders (issue 7): a real Celery worker on Redis records a hazard's
reminder once and POSTs it to the webhook once, and still exactly once when the worker is
killed with SIGKILL in the middle of the POST and started again.

Why at-least-once transport plus an idempotency key is the only way to get exactly-once
effects across a crash in the middle of a request: the worker is killed after the gateway has
read the POST but before its answer came back. The sender's own records cannot tell whether the
gateway acted: its "sent" mark can only be written after the answer, and the answer died with
the process; the send and the mark live in two systems with no transaction in common, so no
ordering of database writes around the network call closes that window. What follows a crash
is then a choice: never send again (at-most-once), which loses the message whenever the crash
came before the gateway got it, or send again (at-least-once), which repeats it whenever the
crash came after. Only the second never loses a message, and its repeats can be made harmless
only by the receiver, which alone knows what it has acted on: every attempt of one delivery
carries the same Idempotency-Key and the same body, and the gateway drops a key it has already
seen. At-least-once on the wire (lease runs out, sweep queues it again, another worker claims
it), de-duplicated at the receiver, is exactly-once in effect. The inbox message needs no such
help: it is a database row whose unique key makes a repeated scan record nothing.

The local HTTP server below plays such a gateway: it checks the HMAC signature, counts each
Idempotency-Key once as a message, answers a repeat 200 without counting it, and can hold a
request (block before answering) so the test can kill the worker while it waits for the answer.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, time as clock, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-webhook-secret"
CLAIM_SECONDS = 3   # the lease of a claimed delivery: short, so a killed worker's claim runs out soon
WAIT = 30           # seconds any single step may take before the test fails


# --- a gateway that honours Idempotency-Key ------------------------------------------------

class Gateway:
    """Records every POST; counts a message once per Idempotency-Key; can hold the next request."""

    def __init__(self, secret: str):
        self.secret = secret
        self.posts: list[dict] = []          # every POST: key, notification, headers, body, signature_ok
        self.messages: dict[str, dict] = {}  # Idempotency-Key -> the first accepted POST
        self.lock = threading.Lock()
        self._hold_next = False
        self.holding = threading.Event()     # set when a held request has been read
        self.release = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.handle(self, body)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def signature_ok(self, headers, body: bytes) -> bool:
        timestamp = headers.get("X-SafetyList-Timestamp", "")
        given = headers.get("X-SafetyList-Signature", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300  # no old replays
        return fresh and hmac.compare_digest(given, expected)

    def hold_next(self) -> None:
        with self.lock:
            self._hold_next = True
            self.holding.clear()
            self.release.clear()

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        key = handler.headers.get("Idempotency-Key")
        ok = self.signature_ok(handler.headers, body)
        with self.lock:
            try:
                named = json.loads(body).get("key")
            except ValueError:
                named = None
            self.posts.append({"key": key, "notification": named, "headers": dict(handler.headers),
                               "body": body, "signature_ok": ok})
            if ok and key and key not in self.messages:
                self.messages[key] = {"body": body, "payload": json.loads(body)}  # acted on: sent on
            hold, self._hold_next = self._hold_next, False
        if hold:  # the message is taken; the answer is what the killed worker never gets
            self.holding.set()
            self.release.wait(WAIT * 2)
        try:
            handler.send_response(200 if ok else 401)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except OSError:  # the worker was killed while we held its request
            pass

    def snapshot(self) -> tuple[list[dict], dict[str, dict]]:
        with self.lock:
            return list(self.posts), dict(self.messages)


# --- a worker process, killed for sure ---------------------------------------------------

class Worker:
    def __init__(self, env: dict, log: Path, name: str):
        self.log = log
        self.handle = open(log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"],
            cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: SIGKILL reaches everything it started

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=10)
        finally:
            self.handle.close()

    def output(self) -> str:
        text = self.log.read_text(errors="replace")
        return f"--- {self.log.name} (last 4000 characters) ---\n{text[-4000:]}"


def _wait_for(what: str, predicate, workers: list[Worker], timeout: float = WAIT, state=None):
    """Poll until predicate() is truthy; fail naming what we waited for, the state (a callable's
    answer: the rows concerned) and the workers' output."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        dead = [w for w in workers if not w.alive()]
        if dead or time.monotonic() > deadline:
            reason = "a worker exited" if dead else f"timed out after {timeout:.0f} s"
            pytest.fail(f"waiting for {what}: {reason}\n" + (f"state: {state()}\n" if state else "")
                        + "\n".join(w.output() for w in workers))
        time.sleep(0.1)


def _run(client, name: str, worker: Worker, **kwargs):
    """Send a task by name and wait for its result (the task must keep its result)."""
    result = client.send_task(name, kwargs=kwargs)
    _wait_for(f"the result of {name}({kwargs})", result.ready, [worker])
    try:
        return result.get(timeout=5)
    except Exception as exc:  # noqa: BLE001 - show the task's error with the worker's log
        pytest.fail(f"{name} failed: {exc!r}\n{worker.output()}")


def _barrier(client, worker: Worker) -> None:
    """A solo worker runs its queue in order: once a heartbeat answers, the tasks before it are done."""
    _run(client, "worker.tasks.heartbeat", worker)


@pytest.mark.redis
def test_one_reminder_one_webhook_message_even_when_the_worker_is_killed_mid_post(
        app, tmp_path, database_url, make_enterprise, make_user):
    broker = os.environ.get("CELERY_TEST_BROKER")
    if not broker:
        pytest.skip("set CELERY_TEST_BROKER=redis://… to run against Redis (CI does)")
    import redis
    from celery import Celery
    from sqlalchemy import select

    from safetylist.extensions import db
    from safetylist.notify.models import Delivery, Notification
    from safetylist.remediation.models import Hazard
    from safetylist.timeutil import LOCAL_TZ, local_today, utcnow

    redis.Redis.from_url(broker).flushdb()  # no messages left over from another run

    today = local_today()
    enterprise = make_enterprise()
    officer_id = make_user("officer", enterprise_id=enterprise.id).id  # the one responsible party
    hazard = Hazard(enterprise_id=enterprise.id, severity="general", title="消防通道堵塞",
                    title_en="Fire exit blocked", found_on=today, deadline=today + timedelta(days=1))
    db.session.add(hazard)
    db.session.commit()
    hazard_id = hazard.id

    # Scans at a fixed local time: at 10:00 the day before the deadline the current stage is
    # before-1d, at 10:00 on the deadline due-today; other reminders (a checklist due at 16:00)
    # cannot fire at those times, whatever time of day the test runs.
    day_before = datetime.combine(today, clock(10, 0), LOCAL_TZ).isoformat()
    deadline_day = datetime.combine(today + timedelta(days=1), clock(10, 0), LOCAL_TZ).isoformat()

    def notifications() -> list[tuple]:
        rows = db.session.execute(select(Notification.id, Notification.user_id, Notification.reminder,
                                         Notification.subject_id, Notification.stage)
                                  .order_by(Notification.id)).all()
        db.session.rollback()  # end the read: the next one sees the worker's commits
        return [tuple(row) for row in rows]

    def deliveries() -> dict[int, tuple]:
        rows = db.session.execute(select(Delivery.notification_id, Delivery.channel, Delivery.status,
                                         Delivery.attempts, Delivery.claimed_until, Delivery.last_error)).all()
        db.session.rollback()
        return {row[0]: tuple(row[1:]) for row in rows}

    def key_of(notification_id: int) -> str:
        """The notification's key, which the webhook's body names it by."""
        key = db.session.get(Notification, notification_id).key
        db.session.rollback()
        return key

    def posts_for(notification_key: str) -> list[dict]:
        """Every POST the gateway got for one notification, whatever its Idempotency-Key."""
        return [post for post in gateway.snapshot()[0] if post["notification"] == notification_key]

    env = {**os.environ, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker,
           "DATABASE_URL": database_url, "SAFETYLIST_INSTANCE": str(tmp_path / "instance"),
           "NOTIFY_WEBHOOK_SECRET": SECRET, "NOTIFY_CLAIM_SECONDS": str(CLAIM_SECONDS),
           "NOTIFY_SWEEP_GRACE_SECONDS": "60", "NOTIFY_REMINDERS_FILE": "", "MAIL_SERVER": "",
           "PUBLIC_BASE_URL": "", "PYTHONUNBUFFERED": "1"}
    client = Celery("reminders-test-client", broker=broker, backend=broker, set_as_current=False)
    workers: list[Worker] = []
    with Gateway(SECRET) as gateway:
        env["NOTIFY_WEBHOOK_URL"] = gateway.url
        try:
            # --- phase 1: one inbox message, one webhook message --------------------------
            first = Worker(env, tmp_path / "worker-1.log", "reminders-1")
            workers.append(first)
            result = _run(client, "worker.tasks.scan_reminders", first, at=day_before)
            assert result["recorded"]["hazard-deadline"] == 1 and sum(result["recorded"].values()) == 1, result
            assert result["queued"] == 1, result

            recorded = notifications()
            assert recorded == [(recorded[0][0], officer_id, "hazard-deadline", hazard_id, "before-1d")]
            before_1d = recorded[0][0]
            _wait_for("the before-1d webhook delivery to be sent",
                      lambda: deliveries().get(before_1d, (None, None))[1] == "sent", workers, state=deliveries)
            channel, status, attempts, _, error = deliveries()[before_1d]
            assert (channel, status, attempts, error) == ("webhook", "sent", 1, None)
            posts, messages = gateway.snapshot()
            assert len(posts) == 1 and posts[0]["signature_ok"], posts
            assert posts[0]["key"] == f"safetylist-{key_of(before_1d)}-webhook"  # the documented key
            assert list(messages) == [posts[0]["key"]]
            payload = messages[posts[0]["key"]]["payload"]
            assert (payload["recipient"]["id"], payload["subject"], payload["stage"]) == \
                (officer_id, {"type": "hazard", "id": hazard_id}, "before-1d")

            # The scan again (a second beat, a redelivered task): nothing recorded, nothing sent.
            again = _run(client, "worker.tasks.scan_reminders", first, at=day_before)
            assert sum(again["recorded"].values()) == 0 and again["queued"] == 0 and again["requeued"] == 0, again
            _barrier(client, first)
            assert len(notifications()) == 1
            assert len(gateway.snapshot()[0]) == 1

            # --- phase 2: the next stage; the worker is killed while the gateway holds its POST
            gateway.hold_next()
            result = _run(client, "worker.tasks.scan_reminders", first, at=deadline_day)
            assert result["recorded"]["hazard-deadline"] == 1 and result["queued"] == 1, result
            due_today = [row for row in notifications() if row[4] == "due-today"]
            assert len(due_today) == 1, due_today
            due_today = due_today[0][0]
            _wait_for("the gateway to hold the due-today POST", gateway.holding.is_set, workers, state=deliveries)
            _, status, attempts, claimed_until, _ = deliveries()[due_today]
            assert (status, attempts) == ("sending", 1)  # claimed, mid-POST
            first.kill()  # SIGKILL: no clean-up, no answer read, no "sent" written, no ack to Redis
            assert first.process.returncode == -signal.SIGKILL
            gateway.release.set()

            killed = posts_for(key_of(due_today))
            assert len(killed) == 1 and killed[0]["key"] in gateway.snapshot()[1]  # the gateway acted on it,
            assert deliveries()[due_today][1] == "sending"  # but SafetyList cannot know: not marked sent

            # --- restart: the lease runs out, the sweep queues it again, a worker sends it again
            second = Worker(env, tmp_path / "worker-2.log", "reminders-2")
            workers.append(second)
            _barrier(client, second)  # the new worker is up
            wait = (claimed_until - utcnow()).total_seconds() + 0.2
            if wait > 0:
                time.sleep(wait)
            client.send_task("worker.tasks.sweep_deliveries")
            _wait_for("the due-today delivery to be sent again after the restart",
                      lambda: deliveries()[due_today][1] == "sent", workers[1:], state=deliveries)
            channel, status, attempts, claimed_until, error = deliveries()[due_today]
            assert (channel, status, attempts, claimed_until, error) == ("webhook", "sent", 2, None, None)

            posts, messages = gateway.snapshot()
            assert all(post["signature_ok"] for post in posts), [post["headers"] for post in posts]
            repeats = posts_for(key_of(due_today))
            assert len(repeats) == 2, "at least once: the killed attempt and the one after the restart"
            assert repeats[0]["key"] == repeats[1]["key"], "every attempt of a delivery has one Idempotency-Key"
            assert repeats[0]["body"] == repeats[1]["body"], "every attempt sends the same message, byte for byte"
            assert len(posts) == 3, [post["key"] for post in posts]
            assert list(messages) == [posts[0]["key"], repeats[0]["key"]]  # one message per notification
            assert messages[repeats[0]["key"]]["payload"]["stage"] == "due-today"

            # Exactly one inbox message for that reminder; scanning again adds and sends nothing.
            again = _run(client, "worker.tasks.scan_reminders", second, at=deadline_day)
            assert sum(again["recorded"].values()) == 0 and again["queued"] == 0 and again["requeued"] == 0, again
            _barrier(client, second)
            assert notifications() == [(before_1d, officer_id, "hazard-deadline", hazard_id, "before-1d"),
                                       (due_today, officer_id, "hazard-deadline", hazard_id, "due-today")]
            assert {n: d[:2] for n, d in deliveries().items()} == \
                {before_1d: ("webhook", "sent"), due_today: ("webhook", "sent")}
            posts, messages = gateway.snapshot()
            assert len(posts) == 3 and len(messages) == 2
        finally:
            for worker in workers:
                worker.kill()
            client.close()
            redis.Redis.from_url(broker).flushdb()  # the killed worker's unacknowledged message
