"""A person in a browser who is refused gets a page in their language with a way back; a
program gets a problem document. Signing out from a page ends the session on the server, not
only in the browser: the old cookie opens nothing afterwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from common.access import PUBLIC
from common.pages import Pages
from common.ratelimit import RateLimited
from common.sessions import SESSION_COOKIE
from common.web import ACCESS_ATTR, ERROR_PAGE, middlewares
from hub.seed import seed_database
from tests.helpers import service_app

PAGE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# (language, 404 heading, 403 heading, the way back)
SEEN = [
    ("zh", "此页面不存在", "您无权访问此页面", "返回首页"),
    ("en", "This page does not exist", "You have no access to this page", "Back to the start page"),
    ("it", "Questa pagina non esiste", "Lei non ha accesso a questa pagina", "Torni alla pagina"),
]


def _heading(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert found, html[:500]
    return found.group(1).strip()


async def _signed_in_officer(aiohttp_client: Any, db_url: str, tmp_path: Path) -> Any:
    app, db = await service_app("hub", db_url, tmp_path)
    passwords = await seed_database(db, datetime.now(UTC))
    client = await aiohttp_client(app)
    form = {"username": "officer.wz", "password": passwords["officer.wz"]}
    signed = await client.post("/signin", data=form, headers=PAGE)
    assert signed.status == 200 and signed.url.path == "/queue"
    return client


@pytest.mark.parametrize(("lang", "not_found", "forbidden", "back"), SEEN)
async def test_a_browser_is_refused_with_a_page_in_its_language(
    aiohttp_client: Any,
    db_url: str,
    tmp_path: Path,
    lang: str,
    not_found: str,
    forbidden: str,
    back: str,
) -> None:
    client = await _signed_in_officer(aiohttp_client, db_url, tmp_path)
    missing = await client.get(f"/no-such-page?lang={lang}", headers=PAGE)
    assert missing.status == 404 and missing.content_type == "text/html"
    html = await missing.text()
    assert _heading(html) == not_found
    assert back in html and 'href="/"' in html
    # an officer opening the supervisor's statistics
    denied = await client.get(f"/statistics?lang={lang}", headers=PAGE)
    assert denied.status == 403 and denied.content_type == "text/html"
    html = await denied.text()
    assert _heading(html) == forbidden
    assert "access.denied" in html  # the reference the office can look up
    assert "{" not in html.replace("{%", "")  # no placeholder left unfilled


async def test_programs_still_get_problem_documents(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    client = await _signed_in_officer(aiohttp_client, db_url, tmp_path)
    for path, status in (("/no-such-page", 404), ("/statistics", 403)):
        answer = await client.get(path, headers={"Accept": "application/json"})
        assert answer.status == status
        assert answer.content_type == "application/problem+json"
    # an API path answers a document even to a browser
    api = await client.get("/api/no-such-thing", headers=PAGE)
    assert api.status == 404 and api.content_type == "application/problem+json"


async def test_field_errors_are_in_the_viewers_language(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    app, db = await service_app("hub", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    await seed_database(db, datetime.now(UTC))
    client = await aiohttp_client(app)
    answer = await client.post(
        "/api/session", json={"username": "officer.wz"}, headers={"Accept-Language": "it"}
    )
    assert answer.status == 422
    body = await answer.json()
    assert body["title"] == "Alcuni campi mancano o non sono validi."
    assert {"field": "password", "message": "Questo campo è obbligatorio."} in body["errors"]
    assert "Field required" not in await answer.text()


async def test_signing_out_from_the_page_ends_the_session(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    client = await _signed_in_officer(aiohttp_client, db_url, tmp_path)
    queue = await client.get("/queue?lang=en", headers=PAGE)
    html = await queue.text()
    assert 'action="/signout"' in html and "Sign out" in html
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[SESSION_COOKIE].value
    out = await client.post("/signout?lang=en", headers=PAGE)
    assert out.status == 200 and out.url.path == "/signin"
    assert "You are signed out." in await out.text()
    # the same cookie, kept by someone at the shared PC, opens nothing now
    again = await client.get(
        "/queue", headers={**PAGE, "Cookie": f"{SESSION_COOKIE}={cookie}"}, allow_redirects=False
    )
    assert again.status == 303 and again.headers["Location"].startswith("/signin")


async def _small_app(aiohttp_client: Any) -> Any:
    """The shared middlewares and error page around two routes that fail the other ways."""
    app = web.Application(middlewares=middlewares(None))
    pages = Pages(Path(__file__).parent, service="test", default_zone="Europe/Rome")
    app[ERROR_PAGE] = pages.error_page

    async def busy(request: web.Request) -> web.Response:
        raise RateLimited(42)

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    for path, handler in (("/busy", busy), ("/broken", broken)):
        setattr(handler, ACCESS_ATTR, PUBLIC)
        app.router.add_get(path, handler)
    return await aiohttp_client(app)


async def test_too_many_attempts_and_our_own_failure_are_pages_too(aiohttp_client: Any) -> None:
    client = await _small_app(aiohttp_client)
    busy = await client.get("/busy?lang=it", headers=PAGE)
    assert busy.status == 429 and busy.headers["Retry-After"] == "42"
    assert _heading(await busy.text()) == "Troppi tentativi; attenda un momento, per cortesia"
    broken = await client.get("/broken?lang=zh", headers=PAGE)
    assert broken.status == 500
    html = await broken.text()
    assert _heading(html) == "我方系统出现问题"
    assert "a bug" not in html and "Traceback" not in html
    as_json = await client.get("/broken", headers={"Accept": "application/json"})
    assert as_json.status == 500 and (await as_json.json())["code"] == "internal"
