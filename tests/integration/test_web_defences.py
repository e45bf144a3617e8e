"""Web defences on the real services: headers and CSP, CSRF, size limits, no stack traces."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from common.access import PUBLIC
from common.clock import FixedClock
from common.service import build_app
from common.sessions import SESSION_COOKIE
from common.settings import HubSettings
from common.web import RouteTable
from hub.seed import seed_database
from tests.helpers import service_app


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}"


@pytest.mark.parametrize("service", ["hub", "node", "govnet-sim"])
async def test_pages_work_under_a_strict_policy(
    aiohttp_client, tmp_path: Path, service: str
) -> None:
    app, _db = await service_app(service, _sqlite(tmp_path), tmp_path)
    client = await aiohttp_client(app)
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    csp = page.headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "<style" not in html and "style=" not in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(re.fullmatch(r'<script src="/static/[a-z.]+">', s) for s in scripts)
    assert 'href="/static/qiaolink.css"' in html
    css = await client.get("/static/qiaolink.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert "header{" in await css.text()
    for resp in (page, css, await client.get("/api/openapi.json"), await client.get("/nope")):
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP: no HSTS


async def test_hsts_when_served_behind_tls(aiohttp_client, tmp_path: Path) -> None:
    app, _db = await service_app("hub", _sqlite(tmp_path), tmp_path, behind_tls=True)
    client = await aiohttp_client(app)
    resp = await client.get("/healthz")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")


async def _cookie_session(aiohttp_client: Any, tmp_path: Path) -> tuple[Any, str, str]:
    clock = FixedClock()
    app, db = await service_app("hub", _sqlite(tmp_path), tmp_path, clock=clock)
    passwords = await seed_database(db, clock.now())
    client = await aiohttp_client(app)
    resp = await client.post(
        "/api/session", json={"username": "officer.wz", "password": passwords["officer.wz"]}
    )
    assert resp.status == 200
    token = (await resp.json())["token"]
    assert resp.cookies[SESSION_COOKIE]["httponly"]
    assert resp.cookies[SESSION_COOKIE]["samesite"] == "Strict"
    return client, token, str(client.make_url("")).rstrip("/")


async def test_cross_site_requests_with_the_session_cookie_are_refused(
    aiohttp_client, tmp_path: Path
) -> None:
    client, token, own = await _cookie_session(aiohttp_client, tmp_path)
    path = "/api/session/revoke-all"
    for hostile in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": own},
    ):
        resp = await client.post(path, headers=hostile)
        assert resp.status == 403, hostile
        assert (await resp.json())["code"] == "csrf.refused"
    # a cross-site GET changes nothing and is allowed; so is the bearer token from a script
    assert (await client.get("/api/session", headers={"Sec-Fetch-Site": "cross-site"})).ok
    bearer = {"Authorization": f"Bearer {token}", "Origin": "https://evil.example"}
    assert (await client.get("/api/session", headers=bearer)).status == 200
    # Chromium posts our own pages' forms with ``Origin: null`` under the no-referrer policy;
    # its Sec-Fetch-Site tells the truth, and a clerk's form must go through.
    same = await client.post(path, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert same.status == 200
    assert (await same.json())["revoked"] == 1


async def test_bodies_over_the_limit_get_413_problem(aiohttp_client, tmp_path: Path) -> None:
    app, _db = await service_app("hub", _sqlite(tmp_path), tmp_path)
    client = await aiohttp_client(app)
    huge = b"{" + b" " * (25 * 1024 * 1024 + 16) + b"}"
    resp = await client.post(
        "/api/self-service/applications",
        data=huge,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status == 413
    assert resp.content_type == "application/problem+json"
    assert (await resp.json())["code"] == "http.413"


async def test_an_internal_error_shows_no_stack_trace(aiohttp_client, tmp_path: Path) -> None:
    from hub.app import SPEC
    from hub.db import audit_events
    from tests.helpers import migrated_database

    routes = RouteTable()

    @routes.get("/api/explode", access=PUBLIC, summary="fails")
    async def explode(request: web.Request) -> web.Response:
        raise KeyError("postgres://admin:hunter2@db/secret")

    url = _sqlite(tmp_path)
    db = await migrated_database(url, SPEC.migrations)
    settings = HubSettings(data_dir=tmp_path, database_url=url)
    app = build_app(SPEC, settings, routes, database=db, audit=audit_events)
    client = await aiohttp_client(app)
    resp = await client.get("/api/explode")
    assert resp.status == 500
    text = await resp.text()
    assert "hunter2" not in text and "Traceback" not in text and "KeyError" not in text
    assert (await resp.json())["code"] == "internal"


async def _cookie_flags(aiohttp_client: Any, tmp_path: Path, headers: dict[str, str], **kw: Any):
    clock = FixedClock()
    app, db = await service_app("hub", _sqlite(tmp_path), tmp_path, clock=clock, **kw)
    passwords = await seed_database(db, clock.now())
    client = await aiohttp_client(app)
    form = {"username": "officer.wz", "password": passwords["officer.wz"]}
    resp = await client.post("/signin", data=form, headers=headers, allow_redirects=False)
    assert resp.status == 303
    return resp.cookies[SESSION_COOKIE]


async def test_the_session_cookie_is_secure_when_our_proxy_says_https(
    aiohttp_client, tmp_path: Path
) -> None:
    """The README promises Secure cookies behind TLS: nginx terminates TLS and forwards
    ``X-Forwarded-Proto: https``; the same header from anyone else is not believed."""
    https = {"X-Forwarded-Proto": "https"}
    ours = await _cookie_flags(
        aiohttp_client, tmp_path / "a", https, trusted_proxies=["127.0.0.0/8"]
    )
    assert ours["secure"]
    stranger = await _cookie_flags(
        aiohttp_client, tmp_path / "b", https, trusted_proxies=["10.9.0.0/16"]
    )
    assert not stranger["secure"]
    configured = await _cookie_flags(aiohttp_client, tmp_path / "c", {}, behind_tls=True)
    assert configured["secure"]
    plain = await _cookie_flags(aiohttp_client, tmp_path / "d", {})
    assert not plain["secure"]


async def test_the_sqlite_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """They hold residents' names and documents and staff sign-in data (issue 17: 0644)."""
    import stat

    from common.db import Database, migrate

    path = tmp_path / "data" / "hub.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await migrate(db.engine, "hub:migrations")
    await db.close()
    for file in [path, *path.parent.glob("hub.sqlite3-*")]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    path.chmod(0o644)  # a file made before: tightened on the next start
    await Database(f"sqlite+aiosqlite:///{path}").close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
