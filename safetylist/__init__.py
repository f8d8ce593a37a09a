"""SafetyList: checklist-based safety compliance for a district and its enterprises."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from safetylist.config import ROOT, load_config
from safetylist.extensions import babel, compress, csrf, db, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, then `config` overrides (tests use it)."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.update(load_config())
    if config:
        config = dict(config)
        app.config["CELERY"].update(config.pop("CELERY", {}))  # merge: keep the broker defaults
        app.config.update(config)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)

    from safetylist import models  # noqa: F401  (register every table before migrate binds)
    from safetylist.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(ROOT / "safetylist" / "translations"))
    login_manager.init_app(app)
    compress.init_app(app)

    from safetylist import web
    from safetylist.checklists import versions
    web.init_app(app)
    versions.init_app(app)
    _register_blueprints(app)
    _register_cli(app)

    from worker.celery_app import celery_init_app
    celery_init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from safetylist.admin.views import bp as admin_bp
    from safetylist.agencies.views import bp as agencies_bp
    from safetylist.auth.views import bp as auth_bp
    from safetylist.checklists.run_views import bp as runs_bp
    from safetylist.checklists.views import bp as checklists_bp
    from safetylist.dashboard.views import bp as dashboard_bp
    from safetylist.grid.views import bp as grid_bp
    from safetylist.home.views import bp as home_bp
    from safetylist.interviews.accident_views import bp as accidents_bp
    from safetylist.interviews.views import bp as interviews_bp
    from safetylist.notify.views import bp as notify_bp
    from safetylist.photos.views import bp as photos_bp
    from safetylist.registry.views import bp as registry_bp
    from safetylist.remediation.views import bp as remediation_bp
    from safetylist.reports.views import bp as reports_bp
    from safetylist.standardization.views import bp as standardization_bp

    for blueprint in (auth_bp, home_bp, registry_bp, checklists_bp, runs_bp, photos_bp, grid_bp, admin_bp,
                      reports_bp, remediation_bp, notify_bp, interviews_bp, accidents_bp, standardization_bp, agencies_bp,
                      dashboard_bp):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from safetylist.agencies.cli import agencies_cli
    from safetylist.auth.cli import users_cli
    from safetylist.checklists.cli import checklists_cli
    from safetylist.interviews.cli import accidents_cli
    from safetylist.notify.cli import reminders_cli
    from safetylist.registry.cli import enterprises_cli, seed_cli
    from safetylist.standardization.cli import standardization_cli

    for group in (accidents_cli, agencies_cli, checklists_cli, enterprises_cli, reminders_cli, seed_cli, standardization_cli,
                  users_cli):
        app.cli.add_command(group)
