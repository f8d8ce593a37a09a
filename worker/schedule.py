"""The beat schedule (Asia/Shanghai). Reminder offsets live in safetylist/notify/data/reminders.yaml;
here is only how often the scans run."""
from celery.schedules import crontab


def beat_schedule(config) -> dict:
    minutes = config.get("NOTIFY_SCAN_MINUTES", 15)
    return {
        # Proves worker and beat are alive end to end; shows in the worker log every 5 minutes.
        "heartbeat": {"task": "worker.tasks.heartbeat", "schedule": crontab(minute="*/5")},
        # Every stage of every reminder fires at the first scan after its time.
        "scan-reminders": {"task": "worker.tasks.scan_reminders", "schedule": crontab(minute=f"*/{minutes}")},
        # Retries with backoff, and deliveries whose message or worker was lost.
        "sweep-deliveries": {"task": "worker.tasks.sweep_deliveries", "schedule": crontab(minute="*")},
        # Veto events (accidents, major hazards) against standardization certificates, before the morning scan.
        "flag-certificates": {"task": "worker.tasks.flag_certificates", "schedule": crontab(hour=6, minute=10)},
    }
