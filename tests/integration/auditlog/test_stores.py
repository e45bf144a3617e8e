"""Database stores of the signing ports: one-time codes (one winner in a race), sealed-message
replays, seen tree heads — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.db import Database
from common.signing_stores import DbCodeStore, DbReplayStore, DbTreeHeadStore
from hub.auditlog.tables import code_steps, sealed_replays
from overseas_node.link.tables import seen_heads
from signing.errors import Conflict, Forbidden, SigningError
from signing.merkle import MerkleLog, TreeHeadChecker
from signing.totp import ConsentVerifier, TotpPolicy, code_at
from tests.helpers import migrated_database

NOW = datetime(2026, 3, 2, 10, 0, 7, tzinfo=UTC)
DOC = bytes(range(32))
SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.fixture
async def hub_db(db_url: str) -> AsyncIterator[Database]:
    db = await migrated_database(db_url, "hub:migrations")
    yield db
    await db.close()


async def _accept(verifier: ConsentVerifier, code: str, at: datetime = NOW) -> object:
    challenge = verifier.open_challenge(account="R-1", session_id="S", document_sha256=DOC, at=at)
    return await verifier.accept(challenge, secret=SECRET, code=code, document_sha256=DOC, at=at)


async def test_a_code_is_accepted_once(hub_db: Database) -> None:
    verifier = ConsentVerifier(DbCodeStore(hub_db, code_steps))
    code = code_at(SECRET, NOW)
    await _accept(verifier, code)
    with pytest.raises(Conflict) as reused:
        await _accept(verifier, code, NOW + timedelta(seconds=5))
    assert reused.value.code == "totp.reused"
    # the next time step's code is fresh, and the stored step moves on
    later = NOW + timedelta(seconds=30)
    await _accept(verifier, code_at(SECRET, later), later)
    assert await DbCodeStore(hub_db, code_steps).last_step("R-1") == int(later.timestamp()) // 30


async def test_parallel_race_has_exactly_one_winner(hub_db: Database) -> None:
    verifier = ConsentVerifier(DbCodeStore(hub_db, code_steps))
    code = code_at(SECRET, NOW)
    results = await asyncio.gather(
        *(_accept(verifier, code) for _ in range(8)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict) and r.code == "totp.reused" for r in losers)


async def test_compare_and_set_race_on_a_later_step(hub_db: Database) -> None:
    store = DbCodeStore(hub_db, code_steps)
    assert await store.claim_step("R-2", previous=None, step=10)
    outcomes = await asyncio.gather(
        *(store.claim_step("R-2", previous=10, step=11) for _ in range(6))
    )
    assert sorted(outcomes) == [False] * 5 + [True]
    assert not await store.claim_step("R-2", previous=None, step=12)  # the row exists already


async def test_failures_lock_the_account_out(hub_db: Database) -> None:
    policy = TotpPolicy(max_failures=3)
    verifier = ConsentVerifier(DbCodeStore(hub_db, code_steps), policy)
    wrong = "000000" if code_at(SECRET, NOW) != "000000" else "111111"
    expected = {
        wrong: "totp.wrong_code",
        "１２３４５６": "totp.malformed",
        "12345": "totp.malformed",
    }
    for bad, error in expected.items():  # wrong, full-width digits, too short: all count
        with pytest.raises(SigningError) as refused:
            await _accept(verifier, bad)
        assert refused.value.code == error
    with pytest.raises(Forbidden) as locked:
        await _accept(verifier, code_at(SECRET, NOW))
    assert locked.value.code == "totp.locked" and locked.value.status == 429
    after = NOW + policy.lockout + timedelta(seconds=1)
    await _accept(verifier, code_at(SECRET, after), after)  # the lockout ends


async def test_replay_store_refuses_a_second_delivery(hub_db: Database) -> None:
    store = DbReplayStore(hub_db, sealed_replays)
    mid = bytes(16)
    until = NOW + timedelta(minutes=10)
    assert await store.remember("node-mil", mid, now=NOW, until=until)
    assert not await store.remember("node-mil", mid, now=NOW, until=until)
    assert await store.remember("node-other", mid, now=NOW, until=until)  # per sender
    later = until + timedelta(seconds=1)  # past the window the id is forgotten
    assert await store.remember("node-mil", mid, now=later, until=later + timedelta(minutes=10))


async def test_seen_heads_survive_a_restart(db_url: str) -> None:
    db = await migrated_database(db_url, "overseas_node:migrations")
    key = Ed25519PrivateKey.generate()
    log = MerkleLog()
    for i in range(3):
        log.append_entry(f"e{i}".encode())
    first = log.signed_head(key, NOW)
    for i in range(3, 7):
        log.append_entry(f"e{i}".encode())
    second = log.signed_head(key, NOW)
    try:
        async with db.transaction() as session:
            store = DbTreeHeadStore(seen_heads, "hub")
            await store.load(session)
            checker = TreeHeadChecker(key.public_key(), store)
            assert checker.observe(first).accepted
            assert checker.observe(first).accepted  # seen again: not stored twice
            assert await store.flush(session, seen_at=NOW) == 1
        async with db.transaction() as session:  # a new process reads what was stored
            store = DbTreeHeadStore(seen_heads, "hub")
            await store.load(session)
            assert store.heads() == [first]
            checker = TreeHeadChecker(key.public_key(), store)
            assert checker.proof_needed(second) == (3, 7)
            forged = MerkleLog([log.inclusion_proof(0)[0]] * 7).signed_head(key, NOW)
            verdict = checker.observe(forged, log.consistency_proof(3))
            assert verdict.alarm and not verdict.accepted
            assert checker.observe(second, log.consistency_proof(3)).accepted
            assert await store.flush(session, seen_at=NOW) == 1
    finally:
        await db.close()
