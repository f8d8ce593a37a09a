"""Entry point for the `celery` command: `celery -A worker.app worker` / `celery -A worker.app beat`."""
import gc

from safetylist import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
# The app's ~200,000 start-up objects live as long as the process: moved out of the garbage
# collector's sight, they stop costing every scan 150-300 ms of collections (bench/README.md).
gc.freeze()
