"""Background work: the Celery app bound to Flask, its tasks and the beat schedule."""
