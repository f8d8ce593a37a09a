"""The beat schedule. Reminder scans are added here as the reminder features land."""
from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Proves worker and beat are alive end to end; shows in the worker log every 5 minutes.
    "heartbeat": {"task": "worker.tasks.heartbeat", "schedule": crontab(minute="*/5")},
}
