"""The outbox on SQLite and PostgreSQL: transactional enqueue, ordering, racing relays,
crash between send and acknowledgement, dead letters and requeue, receiver dedup."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from common.clock import FixedClock
from common.db import Database
from common.errors import Conflict
from common.outbox import (
    MessageState,
    OutboxMessage,
    Relay,
    RetryPolicy,
    SendOutcome,
    accept_once,
    claim_due,
    dead_letters,
    enqueue,
    queue_stats,
)
from hub.db import inbox_keys, outbox_messages
from tests.helpers import migrated_database

POLICY = RetryPolicy(
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=8),
    max_attempts=3,
    lease=timedelta(seconds=30),
)


class Receiver:
    """A receiver with its own inbox: the effect happens once per key, however often sent."""

    def __init__(self, db: Database, clock: FixedClock, fail: set[str] | None = None) -> None:
        self.db, self.clock = db, clock
        self.sent: list[str] = []
        self.effects: list[str] = []
        self.fail = fail or set()

    async def send(self, message: OutboxMessage) -> SendOutcome:
        self.sent.append(message.key)
        await asyncio.sleep(0)
        if message.key in self.fail:
            return SendOutcome.retry("HTTP 503 from the receiver")
        async with self.db.transaction() as s:
            if await accept_once(
                s, inbox_keys, source="test", key=message.key, now=self.clock.now()
            ):
                self.effects.append(message.key)
        return SendOutcome.ok({"echo": message.payload["n"]})


async def _put(db: Database, clock: FixedClock, n: int, order_key: str | None = None) -> int:
    async with db.transaction() as s:
        return await enqueue(
            s,
            outbox_messages,
            destination="govnet",
            kind="test",
            key=f"k{n}",
            payload={"n": n},
            order_key=order_key or f"o{n}",
            now=clock.now(),
        )


async def _states(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(outbox_messages.c.state, func.count()).group_by(outbox_messages.c.state)
        )
        return {state: int(count) for state, count in rows}


@pytest.fixture
async def db(db_url: str) -> Database:
    database = await migrated_database(db_url, "hub:migrations")
    yield database  # type: ignore[misc]
    await database.close()


async def test_a_rolled_back_change_takes_its_message_with_it(db: Database, clock) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await enqueue(
                s,
                outbox_messages,
                destination="govnet",
                kind="t",
                key="k",
                payload={},
                order_key="o",
                now=clock.now(),
            )
            raise RuntimeError("the state change failed")
    assert await _states(db) == {}


async def test_same_key_same_payload_is_one_message_other_payload_is_refused(
    db: Database, clock
) -> None:
    first = await _put(db, clock, 1)
    assert await _put(db, clock, 1) == first
    with pytest.raises(Conflict):
        async with db.transaction() as s:
            await enqueue(
                s,
                outbox_messages,
                destination="govnet",
                kind="test",
                key="k1",
                payload={"n": 2},
                order_key="o1",
                now=clock.now(),
            )
    assert await _states(db) == {"pending": 1}


async def test_messages_of_one_order_key_go_in_order(db: Database, clock) -> None:
    for n in range(3):
        await _put(db, clock, n, order_key="application-1")
    receiver = Receiver(db, clock, fail={"k0"})
    relay = Relay(
        db, outbox_messages, {"govnet": receiver}, clock=clock, policy=POLICY, rng=random.Random(1)
    )
    await relay.run_once()
    assert receiver.sent == ["k0"]  # k1, k2 wait behind the undelivered k0
    receiver.fail.clear()
    for _ in range(6):
        clock.advance(timedelta(seconds=10))
        await relay.run_once()
    assert receiver.sent == ["k0", "k0", "k1", "k2"]
    assert await _states(db) == {"delivered": 3}


async def test_two_relays_racing_send_each_message_exactly_once(
    db_url: str, db: Database, clock
) -> None:
    for n in range(120):
        await _put(db, clock, n)
    other = Database(db_url)  # a second engine: its own connections, like another process
    receiver = Receiver(db, clock)
    relays = [
        Relay(
            database,
            outbox_messages,
            {"govnet": receiver},
            clock=clock,
            policy=POLICY,
            batch=7,
            concurrency=4,
        )
        for database in (db, other)
    ]

    async def drain(relay: Relay) -> None:
        while await relay.run_once():
            pass

    try:
        await asyncio.gather(*(drain(r) for r in relays), *(drain(r) for r in relays))
    finally:
        await other.close()
    assert sorted(receiver.sent) == sorted(f"k{n}" for n in range(120))
    assert len(receiver.sent) == 120
    assert await _states(db) == {"delivered": 120}


async def test_crash_between_send_and_ack_resends_the_same_key_once_the_lease_expires(
    db: Database, clock
) -> None:
    await _put(db, clock, 1)
    receiver = Receiver(db, clock)
    async with db.transaction() as s:  # relay A claims and sends, then dies before recording
        (claimed,) = await claim_due(
            s, outbox_messages, now=clock.now(), lease=POLICY.lease, limit=10
        )
    await receiver.send(claimed)
    relay_b = Relay(db, outbox_messages, {"govnet": receiver}, clock=clock, policy=POLICY)
    assert await relay_b.run_once() == 0  # A's lease still holds
    clock.advance(POLICY.lease + timedelta(seconds=1))
    assert await relay_b.run_once() == 1
    assert receiver.sent == ["k1", "k1"]  # sent twice with one key ...
    assert receiver.effects == ["k1"]  # ... took effect once
    assert await _states(db) == {"delivered": 1}


async def test_failures_back_off_then_dead_letter_with_reason_and_an_officer_requeues(
    db: Database, clock
) -> None:
    await _put(db, clock, 1)
    receiver = Receiver(db, clock, fail={"k1"})
    relay = Relay(
        db, outbox_messages, {"govnet": receiver}, clock=clock, policy=POLICY, rng=random.Random(5)
    )
    for _ in range(10):
        await relay.run_once()
        clock.advance(timedelta(seconds=9))
    assert len(receiver.sent) == POLICY.max_attempts
    async with db.transaction() as s:
        (dead,) = await dead_letters(s, outbox_messages)
        (stats,) = await queue_stats(s, outbox_messages, now=clock.now(), window=timedelta(hours=1))
    assert dead.key == "k1" and "3 attempts" in dead.reason and "HTTP 503" in dead.reason
    assert (stats.depth, stats.dead, stats.attempts, stats.failures) == (0, 1, 3, 3)
    assert stats.error_rate == 1.0

    receiver.fail.clear()
    assert await relay.requeue(dead.id) == "k1"
    with pytest.raises(Conflict):
        await relay.requeue(dead.id)  # no longer dead
    await relay.run_once()
    assert receiver.effects == ["k1"]
    assert await _states(db) == {"delivered": 1}


async def test_stats_show_depth_and_the_oldest_undelivered(db: Database, clock) -> None:
    first_at = clock.now()
    await _put(db, clock, 1)
    clock.advance(timedelta(minutes=5))
    await _put(db, clock, 2)
    async with db.transaction() as s:
        (stats,) = await queue_stats(s, outbox_messages, now=clock.now(), window=timedelta(hours=1))
    assert stats.destination == "govnet"
    assert stats.depth == 2 and stats.dead == 0
    assert stats.oldest_undelivered == first_at


async def test_a_refusal_goes_dead_at_once(db: Database, clock) -> None:
    await _put(db, clock, 1)

    class Refusing:
        async def send(self, message: OutboxMessage) -> SendOutcome:
            return SendOutcome.refused("HTTP 422: key reused with other content")

    relay = Relay(db, outbox_messages, {"govnet": Refusing()}, clock=clock, policy=POLICY)
    await relay.run_once()
    assert await _states(db) == {MessageState.DEAD.value: 1}


async def test_the_inbox_accepts_a_key_once_per_source(db: Database, clock) -> None:
    async with db.transaction() as s:
        assert await accept_once(s, inbox_keys, source="a", key="x", now=clock.now())
        assert not await accept_once(s, inbox_keys, source="a", key="x", now=clock.now())
        assert await accept_once(s, inbox_keys, source="b", key="x", now=clock.now())
