"""Staff sign in with a password, get a session that expires, and can sign out everywhere."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from common.clock import FixedClock
from hub.db import audit_events
from hub.seed import seed_database as seed_hub
from overseas_node.seed import seed_database as seed_node
from tests.helpers import service_app


async def _hub(aiohttp_client, db_url: str, tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    app, db = await service_app("hub", db_url, tmp_path, clock=clock)
    passwords = await seed_hub(db, clock.now())
    return await aiohttp_client(app), db, passwords


async def test_sign_in_session_and_sign_out(aiohttp_client, db_url: str, tmp_path: Path) -> None:
    clock = FixedClock()
    client, db, passwords = await _hub(aiohttp_client, db_url, tmp_path, clock)
    bad = await client.post(
        "/api/session",
        json={"username": "notary.wz", "password": "nope"},
        headers={"Accept-Language": "zh"},
    )
    assert bad.status == 401
    assert (await bad.json())["title"] == "用户名或密码错误。"

    ok = await client.post(
        "/api/session", json={"username": "notary.wz", "password": passwords["notary.wz"]}
    )
    assert ok.status == 200
    info = await ok.json()
    assert info["role"] == "notary" and info["branch"] == "WZ"
    auth = {"Authorization": f"Bearer {info['token']}"}
    assert (await (await client.get("/api/session", headers=auth)).json())["subject"] == "notary.wz"

    # a second device, then sign out everywhere: both tokens stop working
    other = await (
        await client.post(
            "/api/session", json={"username": "notary.wz", "password": passwords["notary.wz"]}
        )
    ).json()
    revoked = await client.post("/api/session/revoke-all", headers=auth)
    assert (await revoked.json())["revoked"] == 2
    for token in (info["token"], other["token"]):
        resp = await client.get("/api/session", headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 401

    async with db.sessions() as session:
        actions = (await session.scalars(select(audit_events.c.action))).all()
    assert actions.count("staff.sign_in") == 2 and actions.count("staff.sign_in_failed") == 1


@pytest.mark.parametrize(
    ("wait", "alive"), [(timedelta(minutes=29), True), (timedelta(minutes=31), False)]
)
async def test_sessions_expire_when_idle(aiohttp_client, tmp_path: Path, wait, alive) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock()
    client, _db, passwords = await _hub(
        aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.sqlite3'}", tmp_path, clock
    )
    token = (
        await (
            await client.post(
                "/api/session",
                json={"username": "clerk.milan", "password": passwords["clerk.milan"]},
            )
        ).json()
    )["token"]
    clock.advance(wait)
    resp = await client.get("/api/session", headers={"Authorization": f"Bearer {token}"})
    assert (resp.status == 200) is alive


async def test_sessions_end_after_twelve_hours_however_busy(aiohttp_client, tmp_path: Path) -> None:
    clock = FixedClock()
    client, _db, passwords = await _hub(
        aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.sqlite3'}", tmp_path, clock
    )
    token = (
        await (
            await client.post(
                "/api/session",
                json={"username": "clerk.milan", "password": passwords["clerk.milan"]},
            )
        ).json()
    )["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(25):  # active every 29 minutes for just over twelve hours
        clock.advance(timedelta(minutes=29))
        last = await client.get("/api/session", headers=auth)
    assert last.status == 401


async def test_node_signs_its_clerk_in_without_the_hub(aiohttp_client, tmp_path: Path) -> None:
    clock = FixedClock()
    app, db = await service_app(
        "node", f"sqlite+aiosqlite:///{tmp_path / 'n.sqlite3'}", tmp_path, clock=clock
    )
    passwords = await seed_node(db, clock.now())
    client = await aiohttp_client(app)
    resp = await client.post(
        "/api/session", json={"username": "clerk.milan", "password": passwords["clerk.milan"]}
    )
    assert resp.status == 200
    assert (await resp.json())["branch"] == "MIL"
