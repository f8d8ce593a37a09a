"""App, database and per-role user fixtures.

The schema is built once per run by the Alembic migrations (so they are tested too) in a
fresh database: a temporary SQLite file, or a throwaway PostgreSQL database when
TEST_DATABASE_URL points at a server. Each test then starts from the reference data only.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

TEST_INSTANCE = Path(tempfile.mkdtemp(prefix="sl_instance_"))
os.environ["SAFETYLIST_INSTANCE"] = str(TEST_INSTANCE)  # never the demo database in instance/
os.environ.pop("DATABASE_URL", None)

from tests.factories import PASSWORD, enterprise_data, login, new_credit_code, reference  # noqa: E402,F401

REFERENCE_TABLES = {"district", "street", "community", "grid", "sector", "inspection_frequency", "alembic_version"}


def _postgres_database(server_url: str):
    """Create a throwaway database on the server; returns (url, drop callback)."""
    name = f"sl_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server_url = server_url.replace("postgresql://", "postgresql+psycopg://", 1) \
        if server_url.startswith("postgresql://") else server_url
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server_url.rpartition("/")

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return f"{base}/{name}", drop


@pytest.fixture(scope="session")
def database_url():
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        url, drop = _postgres_database(server)
        yield url
        drop()
    else:
        yield f"sqlite:///{TEST_INSTANCE / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    from safetylist import create_app
    from safetylist.extensions import db
    from safetylist.registry.reference import ensure_reference_data

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test",
        "UPLOAD_FOLDER": str(TEST_INSTANCE / "uploads"),
        "CELERY": {"task_always_eager": True},
    })
    with app.app_context():
        upgrade()
        ensure_reference_data()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Every test that uses the app starts with the reference data and nothing else."""
    if "app" not in request.fixturenames:  # pure unit tests never build the app
        yield
        return
    app = request.getfixturevalue("app")
    from safetylist.extensions import db
    ctx = app.app_context()
    ctx.push()
    yield
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            db.session.execute(table.delete())
    db.session.commit()
    db.session.remove()
    ctx.pop()


class _Client(FlaskClient):
    """Tests keep one app context open, which requests reuse; forget the cached locale per request."""

    def open(self, *args, **kwargs):
        import flask_babel
        flask_babel.refresh()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = _Client
    return app.test_client()


@pytest.fixture
def db(app):
    from safetylist.extensions import db
    return db


@pytest.fixture
def make_enterprise(app):
    from safetylist.extensions import db
    from safetylist.registry.models import Enterprise

    def make(**overrides):
        enterprise = Enterprise(**enterprise_data(**overrides))
        db.session.add(enterprise)
        db.session.commit()
        return enterprise
    return make


@pytest.fixture
def make_user(app):
    from safetylist.auth.models import User
    from safetylist.extensions import db

    def make(role: str, username: str | None = None, **binding):
        user = User(username=username or f"{role}-{uuid.uuid4().hex[:6]}", display_name=f"{role} user",
                    role=role, **binding)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def world(app, make_enterprise, make_user):
    """A small district: enterprises in two streets, and one user per role with a scope that matters.

    - e_a1 in street A, grid A1 (the grid worker's grid; the officer's enterprise)
    - e_a2 in street A, grid A2 (street A's regulator sees it, the grid worker does not)
    - e_b1 in street B (only district-wide roles see it)
    """
    from safetylist.agencies.models import Agency
    from safetylist.extensions import db
    from safetylist.grid.models import GridAssignment

    ref = reference()
    e_a1 = make_enterprise(name="甲一五金有限公司")
    e_a2 = make_enterprise(name="甲二餐饮店", grid_id=ref["grid_a2"].id, risk_level="red", gas_user=True)
    e_b1 = make_enterprise(name="乙一物流有限公司", street_id=ref["street_b"].id,
                           community_id=ref["community_b"].id, grid_id=ref["grid_b1"].id, risk_level="blue")
    agency = Agency(name="测试评价机构", credit_code=new_credit_code())
    db.session.add(agency)
    db.session.commit()
    users = {
        "officer": make_user("officer", enterprise_id=e_a1.id),
        "grid_worker": make_user("grid_worker", street_id=ref["street_a"].id),
        "street_regulator": make_user("street_regulator", street_id=ref["street_a"].id),
        "district_regulator": make_user("district_regulator"),
        "agency_staff": make_user("agency_staff", agency_id=agency.id),
        "admin": make_user("admin"),
    }
    db.session.add(GridAssignment(grid_id=ref["grid_a1"].id, user_id=users["grid_worker"].id,
                                  starts_on=date(2021, 1, 1)))
    db.session.commit()
    return {"e_a1": e_a1, "e_a2": e_a2, "e_b1": e_b1, "agency": agency, **users, **ref}


@pytest.fixture
def login_as(client):
    def do(user):
        client.post("/logout")
        login(client, user)
        return client
    return do


def pytest_addoption(parser):
    parser.addoption("--run-browser", action="store_true", help="run the Playwright suite in tests/browser")


def pytest_ignore_collect(collection_path, config):
    # The browser suite needs chromium and a live server; `make test-browser` runs it.
    if collection_path.name == "browser" and not config.getoption("--run-browser"):
        return True
    return None
