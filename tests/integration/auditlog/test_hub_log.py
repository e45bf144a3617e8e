"""The hub's audit log as a Merkle tree: signed heads, proofs anyone can check, gapless
indexes even when transactions roll back or commit out of order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from common.audit import record
from common.auditlog.routes import AUDIT_LOG
from common.clock import FixedClock
from hub.db import audit_events
from hub.seed import seed_database
from signing.merkle import (
    SignedTreeHead,
    leaf_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from signing.primitives import load_ed25519_public
from tests.helpers import service_app, signed_in


async def _hub(aiohttp_client: Any, db_url: str, tmp_path: Path, clock: FixedClock) -> Any:
    app, db = await service_app("hub", db_url, tmp_path, clock=clock, audit_head_interval_s=3600)
    passwords = await seed_database(db, clock.now())
    return await aiohttp_client(app), db, passwords


async def _sth(client: Any) -> SignedTreeHead:
    resp = await client.get("/api/audit/sth")
    assert resp.status == 200
    return SignedTreeHead.from_json(await resp.json())


async def test_heads_proofs_and_entries(aiohttp_client: Any, db_url: str, tmp_path: Path) -> None:
    clock = FixedClock()
    client, _db, passwords = await _hub(aiohttp_client, db_url, tmp_path, clock)
    log = client.app[AUDIT_LOG]
    key = load_ed25519_public(
        bytes.fromhex((await (await client.get("/api/audit/key")).json())["public_key"])
    )
    first = await _sth(client)  # signed at start: an empty log
    assert first.tree_size == 0 and first.verify(key)

    auth = await signed_in(client, "auditor.wz", passwords["auditor.wz"])
    await client.post("/api/session", json={"username": "notary.wz", "password": "wrong"})
    clock.advance(timedelta(seconds=5))
    small = await log.advance()
    assert small.tree_size == 2 and small.verify(key)
    for _ in range(3):
        await signed_in(client, "notary.wz", passwords["notary.wz"])
    big = await log.advance()
    assert big.tree_size == 5 and (await _sth(client)) == big

    resp = await client.get("/api/audit/entries?start=0&end=5", headers=auth)
    entries = (await resp.json())["entries"]
    assert [e["index"] for e in entries] == [0, 1, 2, 3, 4]
    leaves = [leaf_hash(e["entry"].encode()) for e in entries]
    assert tree_root(leaves) == big.root  # anyone can recompute the root from the entries
    assert '"action":"staff.sign_in_failed"' in entries[1]["entry"]

    for i in range(5):
        proof = await (await client.get(f"/api/audit/proof/inclusion?leaf={i}&size=5")).json()
        head = SignedTreeHead.from_json(proof["tree_head"])
        assert head == big
        assert verify_inclusion(
            leaf=leaves[i],
            index=i,
            tree_size=5,
            proof=[bytes.fromhex(p) for p in proof["proof"]],
            root=head.root,
        )
    doc = await (await client.get("/api/audit/proof/consistency?first=2&second=5")).json()
    assert verify_consistency(
        old_size=2,
        new_size=5,
        old_root=small.root,
        new_root=big.root,
        proof=[bytes.fromhex(p) for p in doc["proof"]],
    )


@pytest.mark.parametrize(
    "query",
    [
        "/api/audit/proof/inclusion?leaf=3&size=3",
        "/api/audit/proof/inclusion?leaf=0&size=4",  # larger than any signed head
        "/api/audit/proof/inclusion?leaf=-1&size=2",
        "/api/audit/proof/inclusion?leaf=٣&size=3",  # a non-ASCII digit
        "/api/audit/proof/consistency?first=0&second=3",
        "/api/audit/proof/consistency?first=3&second=2",
        "/api/audit/proof/consistency?first=1",
    ],
)
async def test_bad_proof_requests_are_refused(
    aiohttp_client: Any, db_url: str, tmp_path: Path, query: str
) -> None:
    clock = FixedClock()
    client, _db, passwords = await _hub(aiohttp_client, db_url, tmp_path, clock)
    for _ in range(3):
        await signed_in(client, "notary.wz", passwords["notary.wz"])
    await client.app[AUDIT_LOG].advance()
    resp = await client.get(query)
    assert resp.status == 422
    assert (await resp.json())["code"] in ("auditlog.bad_range", "auditlog.bad_parameter")


async def test_entries_are_for_auditors(aiohttp_client: Any, db_url: str, tmp_path: Path) -> None:
    clock = FixedClock()
    client, _db, passwords = await _hub(aiohttp_client, db_url, tmp_path, clock)
    assert (await client.get("/api/audit/entries?start=0&end=1")).status == 401
    clerk = await signed_in(client, "notary.wz", passwords["notary.wz"])
    assert (await client.get("/api/audit/entries?start=0&end=1", headers=clerk)).status == 403
    auditor = await signed_in(client, "auditor.wz", passwords["auditor.wz"])
    resp = await client.get("/api/audit/entries?start=0&end=5000", headers=auditor)
    assert resp.status == 422


async def test_indexes_are_gapless_after_a_rollback(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    clock = FixedClock()
    client, db, _ = await _hub(aiohttp_client, db_url, tmp_path, clock)
    log = client.app[AUDIT_LOG]
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await record(
                session, audit_events, at=clock.now(), actor="t", action="lost", subject="x"
            )
            raise RuntimeError("rolled back")
    for n in range(3):
        async with db.transaction() as session:
            await record(
                session, audit_events, at=clock.now(), actor="t", action=f"kept{n}", subject="x"
            )
    head = await log.advance()
    assert head.tree_size == 3
    auditor_rows = await log.entries(0, 3)
    assert [r["index"] for r in auditor_rows] == [0, 1, 2]
    assert ['"action":"kept0"' in r["entry"] for r in auditor_rows] == [True, False, False]


async def test_late_commit_gets_the_next_index(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    """PostgreSQL hands out ids before commit: id 1 may commit after id 2 was sequenced."""
    clock = FixedClock()
    client, db, _ = await _hub(aiohttp_client, db_url, tmp_path, clock)
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: ids commit in order there")
    log = client.app[AUDIT_LOG]
    slow = db.sessions()
    await slow.begin()
    await record(slow, audit_events, at=clock.now(), actor="t", action="slow", subject="x")
    async with db.transaction() as session:
        await record(session, audit_events, at=clock.now(), actor="t", action="fast", subject="x")
    assert (await log.advance()).tree_size == 1
    await slow.commit()
    await slow.close()
    head = await log.advance()
    assert head.tree_size == 2
    rows = await log.entries(0, 2)
    assert ['"action":"fast"' in rows[0]["entry"], '"action":"slow"' in rows[1]["entry"]] == [
        True,
        True,
    ]
