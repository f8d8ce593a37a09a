"""Entry point for the `celery` command: `celery -A worker.app worker` / `celery -A worker.app beat`."""
from safetylist import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
