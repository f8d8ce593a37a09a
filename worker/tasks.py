"""Celery tasks. Each one calls a service; none changes rows by itself."""
from __future__ import annotations

from celery import shared_task
from sqlalchemy import func, select

from safetylist.extensions import db
from safetylist.timeutil import utcnow


@shared_task(name="worker.tasks.heartbeat", ignore_result=False)
def heartbeat() -> dict:
    """Answer with the time and the enterprise count: proves broker, worker and database all work."""
    from safetylist.registry.models import Enterprise
    return {"at": utcnow().isoformat(), "enterprises": db.session.scalar(select(func.count(Enterprise.id)))}
