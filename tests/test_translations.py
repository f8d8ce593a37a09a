"""The Chinese catalogue: complete, placeholder-safe, compiled, and actually used by the app.

A UI string added without a Chinese translation fails here. To fix it:

    make translations        # extract, update the .po (no fuzzy matching), compile
    # fill in the new msgstr entries in safetylist/translations/zh/LC_MESSAGES/messages.po
    make translations        # compile again

The catalogue lives in `zh/`, not `zh_CN/`: Babel parses "zh_CN" as zh_Hans_CN, and gettext
then looks in zh_Hans_CN/ and zh/ only.
"""
from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages import frontend
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "safetylist" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}  # as `pybabel extract -k _l`
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")


def _catalog_paths() -> tuple[Path, Path]:
    """The .po/.mo Flask-Babel loads for the default zh_CN locale (same lookup as Babel's)."""
    locale = str(Locale.parse("zh_CN"))
    mo = gettext.find("messages", str(TRANSLATIONS), [locale])
    assert mo, (f"no compiled catalogue for {locale} under {TRANSLATIONS} "
                f"(looked in {gettext._expand_lang(locale)}); run `make translations`")
    mo = Path(mo)
    return mo.with_suffix(".po"), mo


def _method_map():
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
        return parse(config)


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    """A fresh extraction, in memory, like `pybabel extract -F babel.cfg -k _l`."""
    method_map, options_map = _method_map()
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    assert len(catalog) > 100, "the extraction found suspiciously few messages"
    return catalog


@pytest.fixture(scope="module")
def po() -> Catalog:
    path, _ = _catalog_paths()
    with open(path, "rb") as f:
        return read_po(f)


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _strings(message) -> tuple:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _placeholders(text: str) -> list:
    return sorted((name or "", kind) for name, kind in PLACEHOLDER.findall(text) if kind != "%")


def test_every_extracted_message_has_a_chinese_translation(extracted, po):
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = po.get(message.id, message.context)
        if translated is None or translated.fuzzy or not all(s.strip() for s in _strings(translated)):
            missing.append(_key(message))
    assert not missing, (
        f"{len(missing)} UI string(s) have no Chinese translation — run `make translations`, "
        "fill in the msgstr, run it again:\n  " + "\n  ".join(repr(m) for m in missing))


def test_catalogue_has_no_fuzzy_entries(po):
    fuzzy = [_key(m) for m in po if m.id and m.fuzzy]
    assert not fuzzy, "fuzzy entries are ignored at compile time; review them:\n  " + "\n  ".join(fuzzy)


def test_placeholders_match(po):
    wrong = []
    for message in po:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = _placeholders(ids[-1])
        for string in _strings(message):
            if string and _placeholders(string) != expected:
                wrong.append(f"{_key(message)!r} -> {string!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n  " + "\n  ".join(wrong)


def test_compiled_catalogue_is_up_to_date(po):
    _, mo_path = _catalog_paths()
    with open(mo_path, "rb") as f:
        mo = read_mo(f)
    compiled = {(m.id, m.context): m.string for m in mo if m.id}
    source = {(m.id, m.context): m.string for m in po if m.id and not m.fuzzy and all(_strings(m))}
    stale = sorted(repr(key[0]) for key in source.keys() ^ compiled.keys()) + \
        sorted(repr(key[0]) for key in source.keys() & compiled.keys() if source[key] != compiled[key])
    assert not stale, ("messages.mo differs from messages.po — run "
                       "`.venv/bin/pybabel compile -d safetylist/translations`:\n  " + "\n  ".join(stale))


class FreshRequests:
    """Each request in its own app context, as in production.

    The autouse fixture in conftest keeps one app context open for the whole test, so every
    request would share its `g` — and Flask-Babel caches the locale there after the first one.
    """

    def __init__(self, app, client):
        self.app, self.client = app, client

    def get(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.post(*args, **kwargs)


@pytest.fixture
def browser(app, client):
    return FreshRequests(app, client)


def _is_english(page: str) -> bool:
    # not just lang="en": the 'English' switch button carries lang="en" on Chinese pages
    return '<html lang="en">' in page


def test_login_page_is_chinese_by_default_and_english_on_request(browser):
    page = browser.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "登录" in page and "Log in" not in page

    response = browser.post("/language", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    page = browser.get("/login").get_data(as_text=True)
    assert _is_english(page) and "Log in" in page and "登录" not in page

    browser.post("/language", data={"locale": "zh_CN", "next": "/login"})
    page = browser.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "登录" in page


def test_app_and_wtforms_messages_follow_the_language(browser):
    # the app's own message and WTForms' DataRequired message (from WTForms' catalogue)
    page = browser.post("/login", data={"username": "nobody", "password": "wrong"}).get_data(as_text=True)
    assert "用户名或密码错误。" in page
    page = browser.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert "该字段是必填字段。" in page and "This field is required." not in page

    browser.post("/language", data={"locale": "en", "next": "/login"})
    page = browser.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert _is_english(page) and "This field is required." in page and "该字段是必填字段" not in page
