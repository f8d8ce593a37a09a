"""Celery tasks. Each one calls a service; none changes rows by itself."""
from __future__ import annotations

from datetime import datetime

from celery import shared_task
from sqlalchemy import func, select

from safetylist.extensions import db
from safetylist.timeutil import utcnow

DELIVERY_BATCH = 50  # deliveries per task message


@shared_task(name="worker.tasks.heartbeat", ignore_result=False)
def heartbeat() -> dict:
    """Answer with the time and the enterprise count: proves broker, worker and database all work."""
    from safetylist.registry.models import Enterprise
    return {"at": utcnow().isoformat(), "enterprises": db.session.scalar(select(func.count(Enterprise.id)))}


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Wake workers up for these deliveries. Queuing one twice is harmless: a delivery is claimed."""
    from flask import current_app
    task = current_app.extensions["celery"].tasks["worker.tasks.deliver"]  # this Flask app's Celery
    for start in range(0, len(delivery_ids), DELIVERY_BATCH):
        task.delay(delivery_ids[start:start + DELIVERY_BATCH])


# Acknowledged only when done, and given back to the broker if the worker process dies: a
# message is never lost with its task; the claim in the database stops a second send.
@shared_task(name="worker.tasks.deliver", acks_late=True, reject_on_worker_lost=True)
def deliver(delivery_ids: list[int]) -> dict:
    from safetylist.notify.delivery import attempt
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        status = attempt(delivery_id).status
        outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes


@shared_task(name="worker.tasks.scan_reminders", acks_late=True, ignore_result=False)
def scan_reminders(at: str | None = None) -> dict:
    """Record the reminders due now (or at an ISO time) and queue their deliveries."""
    from safetylist.notify.delivery import sweep
    from safetylist.notify.scan import scan
    result = scan(datetime.fromisoformat(at) if at else None)
    queue_deliveries(result.deliveries)
    again = [i for i in sweep() if i not in set(result.deliveries)]
    queue_deliveries(again)
    return {"recorded": result.recorded, "queued": len(result.deliveries), "requeued": len(again)}


@shared_task(name="worker.tasks.sweep_deliveries", acks_late=True)
def sweep_deliveries() -> int:
    """Queue retries that are due and deliveries whose message or worker was lost."""
    from safetylist.notify.delivery import sweep
    ids = sweep()
    queue_deliveries(ids)
    return len(ids)


@shared_task(name="worker.tasks.flag_certificates", acks_late=True, ignore_result=False)
def flag_certificates() -> int:
    """Flag standardization certificates that a veto event recorded after their issue concerns (the
    services flag at once; this daily pass catches records that came in any other way)."""
    from safetylist.standardization.certificates import flag_all
    return len(flag_all())
