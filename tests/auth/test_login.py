"""Logging in and out, safe redirects, the language switch and CSRF."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, login


def test_anonymous_users_are_sent_to_login(client, app):
    response = client.get("/enterprises/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_login_page_is_chinese_by_default(client, app):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "登录" in page


def test_wrong_password_is_refused_and_audited(world, client, db):
    from safetylist.audit.models import AuditEntry
    response = client.post("/login", data={"username": world["admin"].username, "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["login_failed"]


def test_disabled_user_cannot_log_in(world, client, db):
    world["admin"].active = False
    db.session.commit()
    response = client.post("/login", data={"username": world["admin"].username, "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.parametrize("target, expected", [
    ("/enterprises/", "/enterprises/"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
])
def test_next_never_leaves_the_site(world, client, target, expected):
    response = client.post("/login", data={"username": world["admin"].username, "password": PASSWORD,
                                           "next": target})
    assert response.headers["Location"] == expected


def test_logout_needs_post_and_ends_the_session(world, client):
    login(client, world["admin"])
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_language_switch_is_remembered_for_the_user(world, client, db):
    login(client, world["officer"])
    client.post("/language", data={"locale": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    db.session.refresh(world["officer"])
    assert world["officer"].locale == "en"
    client.post("/language", data={"locale": "zh_CN"})
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(world, client):
    login(client, world["officer"])
    client.post("/language", data={"locale": "xx"})
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_every_role_reaches_its_home_page(world, client):
    for role in ("officer", "grid_worker", "street_regulator", "district_regulator", "agency_staff", "admin"):
        client.post("/logout")
        login(client, world[role])
        response = client.get("/")
        assert response.status_code == 200, role
        assert world[role].display_name in response.get_data(as_text=True)


def test_security_headers(client, app):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def csrf_client(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False


def test_forms_need_the_csrf_token(world, csrf_client):
    response = csrf_client.post("/login", data={"username": world["admin"].username, "password": PASSWORD})
    assert response.status_code == 400
    page = csrf_client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = csrf_client.post("/login", data={"username": world["admin"].username, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
