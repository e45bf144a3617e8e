"""Two hub instances on one database and one Redis: a staff session is served from memory, and
signing out (or out everywhere) on one instance refuses the very next request on the other."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, update

from common.clock import FixedClock
from common.db import Database
from hub.db import staff_sessions
from hub.seed import seed_database
from tests.helpers import service_app

REDIS_URL = os.environ.get("QIAOLINK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _two_hubs(aiohttp_client: Any, db_url: str, tmp_path: Path, clock: FixedClock) -> Any:
    first, db = await service_app(
        "hub", db_url, tmp_path / "a", clock=clock, redis_url=REDIS_URL, instance_id="hub-a"
    )
    second, _ = await service_app(
        "hub", db_url, tmp_path / "b", clock=clock, redis_url=REDIS_URL, instance_id="hub-b"
    )
    passwords = await seed_database(db, clock.now())
    return await aiohttp_client(first), await aiohttp_client(second), db, passwords


async def _sign_in(client: Any, password: str) -> dict[str, str]:
    resp = await client.post("/api/session", json={"username": "officer.wz", "password": password})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def _status(client: Any, auth: dict[str, str]) -> int:
    return int((await client.get("/api/session", headers=auth)).status)


@contextmanager
def _session_reads(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "staff_sessions" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)


async def test_sign_out_on_one_instance_refuses_the_next_request_on_the_other(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    clock = FixedClock()
    a, b, db, passwords = await _two_hubs(aiohttp_client, db_url, tmp_path, clock)
    auth = await _sign_in(a, passwords["officer.wz"])
    other = await _sign_in(a, passwords["officer.wz"])  # a second device
    for client in (a, b):
        for headers in (auth, other):
            assert await _status(client, headers) == 200  # both instances now remember both

    with _session_reads(db) as reads:
        for _ in range(5):
            assert await _status(b, auth) == 200
    assert reads == []  # served from memory: no query of the sessions table

    assert (await a.delete("/api/session", headers=auth)).status == 200
    assert await _status(b, auth) == 401  # the very next request on the other instance
    assert await _status(a, auth) == 401
    assert await _status(b, other) == 200  # the other device is still signed in

    revoked = await b.post("/api/session/revoke-all", headers=other)
    assert (await revoked.json())["revoked"] == 1
    assert await _status(a, other) == 401


async def test_a_remembered_session_is_read_again_within_seconds(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    """A session ended behind the instances' backs (straight in the table) stops working once
    the short memory lapses, and the idle clock keeps ticking for remembered sessions."""
    clock = FixedClock()
    a, _b, db, passwords = await _two_hubs(aiohttp_client, db_url, tmp_path, clock)
    auth = await _sign_in(a, passwords["officer.wz"])
    assert await _status(a, auth) == 200
    async with db.transaction() as session:
        await session.execute(update(staff_sessions).values(revoked_at=clock.now()))
    clock.advance(timedelta(seconds=6))
    assert await _status(a, auth) == 401

    auth = await _sign_in(a, passwords["officer.wz"])
    for _ in range(7):  # busy every 4 minutes for 28 minutes: the idle clock is touched
        clock.advance(timedelta(minutes=4))
        assert await _status(a, auth) == 200
    clock.advance(timedelta(minutes=31))
    assert await _status(a, auth) == 401
