"""The Milan node calls the hub with requests signed by its own key; forgeries are refused."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from common.clock import FixedClock
from common.httpsig import sign_request
from hub.accounts.nodes import register_node
from hub.db import audit_events, node_keys
from hub.seed import seed_database
from tests.helpers import service_app

BODY = {
    "item_code": "RE-002",
    "resident": {"name": "Hu Xiaoming", "document": "E1234567", "country": "IT"},
}


async def _hub(aiohttp_client: Any, db_url: str, tmp_path: Path) -> tuple[Any, Any, FixedClock]:
    clock = FixedClock()
    app, db = await service_app("hub", db_url, tmp_path, clock=clock)
    await seed_database(db, clock.now())
    return await aiohttp_client(app), db, clock


async def _signed(
    client: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    key: Ed25519PrivateKey,
    clock: FixedClock,
    key_id: str = "node-MIL",
    nonce: str | None = None,
) -> Any:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = sign_request(
        method=method,
        url=str(client.make_url(path)),
        body=raw,
        key=key,
        key_id=key_id,
        created=clock.now(),
        nonce=nonce,
    )
    headers["Content-Type"] = "application/json"
    return await client.request(method, path, data=raw, headers=headers)


async def test_a_signed_node_request_acts_for_its_branch(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    client, db, clock = await _hub(aiohttp_client, db_url, tmp_path)
    key = Ed25519PrivateKey.generate()
    async with db.transaction() as session:
        await register_node(session, node_keys, "MIL", key.public_key(), clock.now())
    opened = await _signed(client, "POST", "/api/applications", BODY, key, clock)
    assert opened.status == 201, await opened.text()
    number = (await opened.json())["number"]
    assert number  # opened for the node's own branch
    seen = await _signed(client, "GET", f"/api/applications/{number}", None, key, clock)
    assert seen.status == 200
    assert (await seen.json())["branch"] == "MIL"
    # the node is not an officer: accepting is not its business
    accept = await _signed(client, "POST", f"/api/applications/{number}/accept", {}, key, clock)
    assert accept.status == 403


async def test_a_forged_node_signature_is_refused_and_audited(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    client, db, clock = await _hub(aiohttp_client, db_url, tmp_path)
    key = Ed25519PrivateKey.generate()
    async with db.transaction() as session:
        await register_node(session, node_keys, "MIL", key.public_key(), clock.now())
    forger = Ed25519PrivateKey.generate()
    forged = await _signed(client, "POST", "/api/applications", BODY, forger, clock)
    assert forged.status == 401
    assert (await forged.json())["code"] == "signature.refused"
    unknown = await _signed(client, "POST", "/api/applications", BODY, key, clock, "node-PAR")
    assert unknown.status == 401
    ok = await _signed(client, "POST", "/api/applications", BODY, key, clock, nonce="n-1")
    assert ok.status == 201
    replay = await _signed(client, "POST", "/api/applications", BODY, key, clock, nonce="n-1")
    assert replay.status == 401
    clock.advance(timedelta(minutes=1))
    stale_clock = FixedClock(clock.now() - timedelta(minutes=10))
    stale = await _signed(client, "POST", "/api/applications", BODY, key, stale_clock)
    assert stale.status == 401
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(audit_events.c.actor, audit_events.c.entry).where(
                    audit_events.c.action == "access.denied"
                )
            )
        ).all()
    assert len(rows) == 4
    assert all(r.actor == "anonymous" and "signature.refused" in r.entry for r in rows)


async def test_a_signed_request_changed_in_flight_is_refused(
    aiohttp_client, tmp_path: Path
) -> None:
    """A query added, the authority changed or the idempotency key swapped after signing: each
    is refused, though method, path and body are as signed."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    client, db, clock = await _hub(aiohttp_client, url, tmp_path)
    key = Ed25519PrivateKey.generate()
    async with db.transaction() as session:
        await register_node(session, node_keys, "MIL", key.public_key(), clock.now())
    raw = json.dumps(BODY).encode()

    def signed(path: str = "/api/applications", **extra: str) -> dict[str, str]:
        headers = sign_request(
            method="POST",
            url=str(client.make_url(path)),
            body=raw,
            key=key,
            key_id="node-MIL",
            created=clock.now(),
            headers={"Idempotency-Key": "intake-1", **extra},
        )
        return {**headers, "Content-Type": "application/json"}

    async def send(path: str, headers: dict[str, str]) -> Any:
        return await client.post(path, data=raw, headers=headers)

    added_query = await send("/api/applications?x=1", signed())
    other_host = await send("/api/applications", {**signed(), "Host": "hub.evil.example"})
    other_key = await send("/api/applications", {**signed(), "Idempotency-Key": "intake-2"})
    for changed in (added_query, other_host, other_key):
        assert changed.status == 401, await changed.text()
        assert (await changed.json())["code"] == "signature.refused"
    as_signed = await send("/api/applications", signed())
    assert as_signed.status == 201, await as_signed.text()
