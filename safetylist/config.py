"""Settings read from the environment; every default is embedded so a bare machine runs."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("SAFETYLIST_INSTANCE", ROOT / "instance"))


def _secret_key(instance: Path) -> str:
    """Use SECRET_KEY if set; otherwise keep a random key in instance/ so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _celery(instance: Path) -> dict:
    """Redis (or any) broker from the environment, else the serverless filesystem transport."""
    broker = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    backend = os.environ.get("CELERY_RESULT_BACKEND")
    options: dict = {}
    if broker == "filesystem://":
        queue = instance / "celery" / "queue"
        processed = instance / "celery" / "processed"
        control = instance / "celery" / "control"
        for folder in (queue, processed, control):
            folder.mkdir(parents=True, exist_ok=True)
        options = {"data_folder_in": str(queue), "data_folder_out": str(queue),
                   "processed_folder": str(processed), "store_processed": False,
                   "control_folder": str(control)}
        backend = backend or f"file://{instance / 'celery' / 'results'}"
        (instance / "celery" / "results").mkdir(parents=True, exist_ok=True)
    return {
        "broker_url": broker,
        "result_backend": backend,
        "broker_transport_options": options,
        "timezone": "Asia/Shanghai",
        "enable_utc": True,
        "task_ignore_result": True,
        "beat_schedule_filename": str(instance / "celerybeat-schedule"),
        "broker_connection_retry_on_startup": True,
        # Late-acknowledged tasks: a worker reserves one message at a time, so a killed worker
        # holds back as little as possible.
        "worker_prefetch_multiplier": 1,
    }


def load_config() -> dict:
    """The app's settings as a dict; create_app(config) overrides any of them."""
    instance = INSTANCE
    instance.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'safetylist.db'}")
    if database_url.startswith("postgres://"):  # Heroku-style URLs name the old dialect
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "INSTANCE_PATH": str(instance),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance / "uploads")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        "PAGE_SIZE": int(os.environ.get("PAGE_SIZE", "25")),
        # The checklist a grid worker's site inspection uses (a file id in the library).
        "SITE_INSPECTION_CHECKLIST": os.environ.get("SITE_INSPECTION_CHECKLIST", "grid-site-inspection"),
        # The public address printed in QR posters (e.g. https://aq.example.gov.cn); empty: the request's.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_STREAMS_ALGORITHM": ["br", "deflate"],  # static files are streamed
        "COMPRESS_MIN_SIZE": 1024,
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "image/svg+xml"],
        "CELERY": _celery(instance),
        **_notify(),
    }


def _notify() -> dict:
    """Reminder delivery: SMTP (empty MAIL_SERVER: the development outbox) and the webhook."""
    env = os.environ.get
    return {
        "MAIL_SERVER": env("MAIL_SERVER", ""),
        "MAIL_PORT": int(env("MAIL_PORT", "25")),
        "MAIL_USERNAME": env("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": env("MAIL_USE_TLS", "0") == "1",   # STARTTLS
        "MAIL_USE_SSL": env("MAIL_USE_SSL", "0") == "1",   # SMTPS
        "MAIL_FROM": env("MAIL_FROM", "SafetyList <noreply@localhost>"),
        "NOTIFY_WEBHOOK_URL": env("NOTIFY_WEBHOOK_URL", ""),
        "NOTIFY_WEBHOOK_SECRET": env("NOTIFY_WEBHOOK_SECRET", ""),
        "NOTIFY_TIMEOUT_SECONDS": float(env("NOTIFY_TIMEOUT_SECONDS", "10")),
        # A worker owns a delivery this long; if it dies, another may take the delivery over.
        "NOTIFY_CLAIM_SECONDS": int(env("NOTIFY_CLAIM_SECONDS", "120")),
        "NOTIFY_MAX_ATTEMPTS": int(env("NOTIFY_MAX_ATTEMPTS", "6")),
        # Waits before attempts 2, 3, …: one minute, five, thirty, two hours, six hours.
        "NOTIFY_BACKOFF_SECONDS": [int(v) for v in env("NOTIFY_BACKOFF_SECONDS", "60,300,1800,7200,21600").split(",")],
        "NOTIFY_SCAN_MINUTES": int(env("NOTIFY_SCAN_MINUTES", "15")),
        # A pending delivery nobody picked up for this long is queued again by the sweep.
        "NOTIFY_SWEEP_GRACE_SECONDS": int(env("NOTIFY_SWEEP_GRACE_SECONDS", "60")),
        "NOTIFY_REMINDERS_FILE": env("NOTIFY_REMINDERS_FILE", ""),  # empty: safetylist/notify/data/reminders.yaml
        # empty: safetylist/interviews/data/suggestions.yaml
        "INTERVIEW_SUGGESTIONS_FILE": env("INTERVIEW_SUGGESTIONS_FILE", ""),
        # empty: safetylist/standardization/data/grading.yaml
        "STANDARDIZATION_GRADING_FILE": env("STANDARDIZATION_GRADING_FILE", ""),
        # empty: safetylist/agencies/data/supervision.yaml
        "AGENCY_SUPERVISION_FILE": env("AGENCY_SUPERVISION_FILE", ""),
    }
