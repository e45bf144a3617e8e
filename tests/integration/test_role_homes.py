"""Signing in from the page leads each role to its own main page, which that role may open;
a page the person was on their way to wins, and only when it is on this site."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.app import HOME_PAGES
from hub.seed import STAFF, seed_database
from tests.helpers import service_app

HTML = {"Accept": "text/html"}


async def test_each_role_lands_on_a_main_page_it_may_open(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    app, db = await service_app("hub", db_url, tmp_path)
    passwords = await seed_database(db, datetime.now(UTC))
    client = await aiohttp_client(app)
    landed = {}
    for username, _name, role, _office in STAFF:
        if role not in HOME_PAGES:
            continue
        client.session.cookie_jar.clear()
        signed = await client.post(
            "/signin", data={"username": username, "password": passwords[username]}, headers=HTML
        )
        assert signed.status == 200, (username, await signed.text())
        landed[role] = signed.url.path
    assert landed == HOME_PAGES


async def test_a_page_on_the_way_wins_and_only_on_this_site(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    app, db = await service_app("hub", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    passwords = await seed_database(db, datetime.now(UTC))
    client = await aiohttp_client(app)
    form = {"username": "officer.wz", "password": passwords["officer.wz"]}
    for target, lands in (
        ("/progress", "/progress"),
        ("//evil.example/queue", "/queue"),
        ("https://evil.example/", "/queue"),
        ("/\t/evil.example", "/queue"),
        ("/\n/evil.example", "/queue"),
        ("/\\evil.example", "/queue"),
        ("/\r\n/evil.example", "/queue"),
    ):
        client.session.cookie_jar.clear()
        moved = await client.post("/signin", data={**form, "next": target}, allow_redirects=False)
        assert moved.status == 303 and moved.headers["Location"] == lands, target


async def test_the_page_on_the_way_from_the_signin_address_stays_on_this_site(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    """``GET /signin?next=`` carries the target into the form: the same rule holds there."""
    app, _db = await service_app("hub", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    client = await aiohttp_client(app)
    page = await client.get("/signin", params={"next": "/\t/evil.example"}, headers=HTML)
    assert page.status == 200
    assert "evil.example" not in await page.text()
