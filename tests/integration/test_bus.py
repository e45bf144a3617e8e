"""The bus that lets participants on different hub instances reach each other: the same
behaviour in process and through Redis (two connections stand for two instances)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from common.bus import Bus, LocalBus, RedisBus, open_bus

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["local", "redis"])
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Bus, Bus]]:
    if request.param == "local":
        bus = LocalBus()
        yield bus, bus
        return
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    try:
        a = await open_bus(REDIS_URL, prefix=prefix)
    except OSError:
        pytest.fail(f"Redis is required for these tests at {REDIS_URL}")
    b = RedisBus(REDIS_URL, prefix=prefix)
    yield a, b
    await a.close()
    await b.close()


async def _next(messages: AsyncIterator[dict[str, object]]) -> dict[str, object]:
    return await asyncio.wait_for(anext(messages), 5)


async def test_a_message_published_on_one_instance_reaches_subscribers_on_another(
    buses: tuple[Bus, Bus],
) -> None:
    a, b = buses
    async with b.subscribe("session:1") as on_b, a.subscribe("session:1") as on_a:
        await a.publish("session:1", {"type": "offer", "from": "notary"})
        await a.publish("session:2", {"type": "offer", "from": "elsewhere"})
        await b.publish("session:1", {"type": "answer", "from": "kiosk"})
        assert await _next(on_b) == {"type": "offer", "from": "notary"}
        assert await _next(on_b) == {"type": "answer", "from": "kiosk"}
        assert await _next(on_a) == {"type": "offer", "from": "notary"}
        assert await _next(on_a) == {"type": "answer", "from": "kiosk"}  # nothing of session 2


async def test_nobody_listening_means_the_message_is_gone_not_queued(
    buses: tuple[Bus, Bus],
) -> None:
    a, b = buses
    await a.publish("session:3", {"n": 1})
    async with b.subscribe("session:3") as on_b:
        await a.publish("session:3", {"n": 2})
        assert await _next(on_b) == {"n": 2}


async def test_presence_is_shared_and_lapses_without_refresh(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    await a.present("session:4", "notary.wz", ttl=30)
    await b.present("session:4", "kiosk:MIL", ttl=1)
    assert await a.members("session:4") == {"notary.wz", "kiosk:MIL"}
    assert await b.members("session:5") == set()
    await asyncio.sleep(1.2)
    assert await b.members("session:4") == {"notary.wz"}
    await b.absent("session:4", "notary.wz")
    assert await a.members("session:4") == set()


async def test_a_wrong_redis_address_stops_the_start() -> None:
    with pytest.raises(OSError):
        await open_bus("redis://127.0.0.1:1/0")
