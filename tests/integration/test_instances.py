"""The instance registry and session pins, on SQLite and PostgreSQL: a session stays on its
instance while that one beats, moves when it falls silent or leaves, and racing instances
agree on one pin."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from common.clock import FixedClock
from common.db import Database
from hub.instances import (
    NoLiveInstance,
    choose_instance,
    heartbeat,
    leave,
    live_instances,
    pin_session,
)
from tests.helpers import migrated_database

TTL = timedelta(seconds=20)


@pytest.fixture
async def db(db_url: str) -> Database:
    database = await migrated_database(db_url, "hub:migrations")
    yield database  # type: ignore[misc]
    await database.close()


async def _beat(db: Database, clock: FixedClock, *ids: str) -> None:
    async with db.transaction() as s:
        for instance_id in ids:
            await heartbeat(s, instance_id=instance_id, address="http://x", now=clock.now())


async def _pin(db: Database, clock: FixedClock, session_id: str) -> tuple[str, int]:
    async with db.transaction() as s:
        pin = await pin_session(s, session_id=session_id, now=clock.now(), ttl=TTL)
    return pin.instance_id, pin.moves


def test_the_least_loaded_live_instance_is_chosen() -> None:
    assert choose_instance(["hub-a", "hub-b"], {"hub-a": 2, "hub-b": 1}) == "hub-b"
    assert choose_instance(["hub-b", "hub-a"], {}) == "hub-a"
    with pytest.raises(NoLiveInstance):
        choose_instance([], {})


async def test_sessions_spread_and_stay_while_their_instance_beats(
    db: Database, clock: FixedClock
) -> None:
    await _beat(db, clock, "hub-a", "hub-b")
    pins = [await _pin(db, clock, f"s{n}") for n in range(4)]
    assert sorted(i for i, _ in pins) == ["hub-a", "hub-a", "hub-b", "hub-b"]
    for _ in range(3):
        clock.advance(timedelta(seconds=10))
        await _beat(db, clock, "hub-a", "hub-b")
        assert [await _pin(db, clock, f"s{n}") for n in range(4)] == pins


async def test_a_silent_instance_loses_its_sessions_to_a_live_one(
    db: Database, clock: FixedClock
) -> None:
    await _beat(db, clock, "hub-a", "hub-b")
    first = {f"s{n}": (await _pin(db, clock, f"s{n}"))[0] for n in range(4)}
    clock.advance(timedelta(seconds=15))
    await _beat(db, clock, "hub-b")  # hub-a stopped beating 15 s ago: still within the TTL
    assert {s: (await _pin(db, clock, s))[0] for s in first} == first
    clock.advance(timedelta(seconds=10))
    await _beat(db, clock, "hub-b")  # hub-a silent for 25 s: gone
    async with db.transaction() as s:
        assert await live_instances(s, now=clock.now(), ttl=TTL) == ["hub-b"]
    moved = {s: await _pin(db, clock, s) for s in first}
    assert {i for i, _ in moved.values()} == {"hub-b"}
    assert {s: m for s, (_, m) in moved.items()} == {
        s: (1 if first[s] == "hub-a" else 0) for s in first
    }


async def test_a_clean_stop_moves_sessions_at_once_and_none_live_is_a_clear_error(
    db: Database, clock: FixedClock
) -> None:
    await _beat(db, clock, "hub-a")
    assert await _pin(db, clock, "s1") == ("hub-a", 0)
    async with db.transaction() as s:
        await leave(s, instance_id="hub-a")
    with pytest.raises(NoLiveInstance) as caught:
        await _pin(db, clock, "s1")
    assert caught.value.code == "instances.none_live" and caught.value.status == 503
    await _beat(db, clock, "hub-b")
    assert await _pin(db, clock, "s1") == ("hub-b", 1)


async def test_instances_racing_for_one_session_agree_on_one_pin(
    db_url: str, db: Database, clock: FixedClock
) -> None:
    await _beat(db, clock, "hub-a", "hub-b", "hub-c")
    others = [Database(db_url) for _ in range(3)]  # engines of their own, like other processes
    try:
        results = await asyncio.gather(
            *(_pin(engine, clock, "contested") for engine in others for _ in range(4))
        )
    finally:
        for engine in others:
            await engine.close()
    assert len(set(results)) == 1
