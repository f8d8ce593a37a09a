"""Phone-sized browser tests: Playwright drives Debian's chromium against a live server.

Run with `make test-browser`. The live server is a second app instance on the suite's test
database, with CSRF switched on, as in production. The demo data (`flask seed demo`) is
loaded once for this package and removed after it, so the rest of the suite still starts
from the reference data only.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page
from werkzeug.serving import make_server

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, CSP_LISTENER, PHONE, LiveServer, Problems, \
    login_through_form, pages_to_check

# Tables the suite-wide cleanup keeps (tests/conftest.py REFERENCE_TABLES): the district map.
REFERENCE_TABLES = {"district", "street", "community", "grid", "sector", "inspection_frequency", "alembic_version"}


# --- pytest-playwright configuration ----------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, **PHONE, "base_url": live_server.url}


# --- the app under test -------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _clean_tables():
    """Replaces the suite-wide cleanup: browser tests share the demo data loaded once below."""
    yield


@pytest.fixture(scope="session")
def live_server(app):
    """The app served on 127.0.0.1 from a background thread, against the suite's test database.

    `app` (the suite's app) has built the schema; this second instance differs in what a browser
    needs: CSRF protection on, like production.
    """
    from safetylist import create_app
    from safetylist.extensions import db

    live = create_app({
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "browser-tests",
        "WTF_CSRF_ENABLED": True,
        "UPLOAD_FOLDER": str(Path(app.config["UPLOAD_FOLDER"]) / "live"),
        "CELERY": {"task_always_eager": True},
    })
    app.extensions["celery"].set_default()  # create_app made the live app's Celery the default
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=live)
    server.shutdown()
    thread.join(timeout=10)
    with live.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="package", autouse=True)
def demo_data(live_server):
    """`flask seed demo` once for the browser tests; every non-reference row is removed afterwards."""
    result = live_server.app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    yield

    def wipe(db):
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
    live_server.query(wipe)


# --- pages ---------------------------------------------------------------------------------------
def _watch(context: BrowserContext, problems: Problems) -> None:
    context.expose_function("__slReportCsp", lambda text: problems.csp_violations.append(text))
    context.add_init_script(CSP_LISTENER)

    def on_page(page: Page) -> None:
        page.on("console", lambda m: problems.console_errors.append(
            f"{m.text} @ {m.location.get('url', '')}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.page_errors.append(str(e)))
        page.on("response", lambda r: problems.failed_documents.add(r.url)
                if r.request.resource_type == "document" and r.status >= 400 else None)
    context.on("page", on_page)


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def phone(new_context, problems):
    """phone() -> a new 360 px phone context (optionally logged in: storage_state=...).

    JavaScript errors, CSP violations and unexpected console errors in any of them fail the test.
    """
    def make(**kwargs) -> BrowserContext:
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)  # a local server answers in milliseconds; fail fast
        _watch(context, problems)
        return context
    yield make
    assert not problems.page_errors, f"JavaScript errors: {problems.page_errors}"
    assert not problems.csp_violations, f"CSP violations: {problems.csp_violations}"
    assert not problems.unexpected_console_errors(), f"console errors: {problems.unexpected_console_errors()}"


@pytest.fixture
def context(phone):
    """pytest-playwright's `context` (and so `page`): a logged-out phone."""
    return phone()


_storage: dict[str, dict] = {}  # username -> storage state after one real form login


@pytest.fixture
def login_as(browser, browser_context_args, phone):
    """login_as("district") -> a page, in its own phone context, logged in as that demo user."""
    def do(username: str) -> Page:
        if username not in _storage:
            scratch = browser.new_context(**browser_context_args)
            try:
                login_through_form(scratch.new_page(), username)
                _storage[username] = scratch.storage_state()
            finally:
                scratch.close()
        return phone(storage_state=_storage[username]).new_page()
    return do


@pytest.fixture(scope="package")
def pages(live_server, demo_data):
    """The pages every layout test visits: name -> (demo login or None, path)."""
    return pages_to_check(live_server)


@pytest.fixture
def visit(login_as, phone):
    """visit(("district", "/enterprises/")) -> a page showing that path to that user (None: logged out)."""
    def do(where: tuple[str | None, str]) -> Page:
        username, path = where
        target = login_as(username) if username else phone().new_page()
        response = target.goto(path)
        assert response is not None and response.ok, f"{path} answered {response and response.status}"
        return target
    return do


def pytest_configure(config):
    # pytest-playwright's own base_url fixture trips a pytest deprecation; nothing to do on our side.
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods")
