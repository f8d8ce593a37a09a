"""The Alembic migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def test_migrations_match_the_models(app, db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], "models changed without a migration: run `flask db migrate`"


def test_downgrade_and_upgrade_again(app, tmp_path):
    """A fresh database goes all the way up and back down (SQLite file, independent of the suite's)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import create_engine, inspect

    from safetylist import create_app
    url = f"sqlite:///{tmp_path / 'm.db'}"
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with fresh.app_context():
        upgrade()
        assert "enterprise" in inspect(create_engine(url)).get_table_names()
        downgrade(revision="base")
        assert "enterprise" not in inspect(create_engine(url)).get_table_names()
