"""Celery bound to the Flask app (the Flask docs' "Background Tasks with Celery" pattern)."""
from __future__ import annotations

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from Flask settings; every task runs inside an app context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(app.config["CELERY"])
    from worker.schedule import beat_schedule
    celery.conf.beat_schedule = beat_schedule(app.config)
    celery.set_default()
    celery.autodiscover_tasks(["worker"], related_name="tasks", force=True)
    app.extensions["celery"] = celery
    return celery
