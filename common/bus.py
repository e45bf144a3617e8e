"""Messages and presence shared by every instance of a service.

The seam for signalling: a participant's socket, on whichever hub instance it reached,
publishes what it sends to the session's channel and forwards what it receives from it.

* ``publish(channel, message)`` — a JSON-able dict to everyone subscribed, on any instance.
* ``subscribe(channel)`` — ``async with bus.subscribe(ch) as messages: async for m in messages``;
  the subscription is live once the ``async with`` is entered, so nothing published after that
  is missed. Messages published while nobody listens are gone (signalling is live only;
  durable things go through the database and the outbox).
* ``present(group, member, ttl)`` / ``absent(group, member)`` / ``members(group)`` — who is in
  a session; an entry not refreshed within its ``ttl`` disappears (an instance that died takes
  its participants with it).

:class:`LocalBus` serves one process (the embedded default); :class:`RedisBus` serves several
instances through Redis pub/sub and sorted sets.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

__all__ = ["Bus", "LocalBus", "RedisBus", "open_bus"]

Message = dict[str, Any]


class Bus(Protocol):
    async def publish(self, channel: str, message: Message) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[Message]]: ...

    async def present(self, group: str, member: str, ttl: float) -> None: ...

    async def absent(self, group: str, member: str) -> None: ...

    async def members(self, group: str) -> set[str]: ...

    async def close(self) -> None: ...


async def _drain(queue: asyncio.Queue[Message]) -> AsyncIterator[Message]:
    while True:
        yield await queue.get()


class LocalBus:
    """One process: queues per subscriber, presence in a dict. ``now`` is monotonic seconds."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._subscribers: dict[str, set[asyncio.Queue[Message]]] = {}
        self._presence: dict[str, dict[str, float]] = {}

    async def publish(self, channel: str, message: Message) -> None:
        encoded = json.dumps(message)  # the same contract as Redis: JSON in, a copy out
        for queue in self._subscribers.get(channel, ()):
            queue.put_nowait(json.loads(encoded))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue()
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            yield _drain(queue)
        finally:
            self._subscribers[channel].discard(queue)
            if not self._subscribers[channel]:
                del self._subscribers[channel]

    async def present(self, group: str, member: str, ttl: float) -> None:
        self._presence.setdefault(group, {})[member] = self._now() + ttl

    async def absent(self, group: str, member: str) -> None:
        self._presence.get(group, {}).pop(member, None)

    async def members(self, group: str) -> set[str]:
        now = self._now()
        return {m for m, until in self._presence.get(group, {}).items() if until > now}

    async def close(self) -> None:
        self._subscribers.clear()


class RedisBus:
    """Several instances: pub/sub channels and one sorted set per presence group (score = the
    member's expiry in Redis's own clock, so instances' clocks need not agree)."""

    def __init__(self, url: str, *, prefix: str = "qiaolink:") -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    async def _server_now(self) -> float:
        seconds, micros = await self.redis.time()
        return float(seconds) + float(micros) / 1e6

    async def publish(self, channel: str, message: Message) -> None:
        await self.redis.publish(self.prefix + "ch:" + channel, json.dumps(message))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Message]]:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.prefix + "ch:" + channel)  # confirmed before we go on

        async def messages() -> AsyncIterator[Message]:
            while True:
                raw = await pubsub.get_message(timeout=1.0)
                if raw is not None and raw.get("type") == "message":
                    yield json.loads(raw["data"])

        try:
            yield messages()
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8

    async def present(self, group: str, member: str, ttl: float) -> None:
        key = self.prefix + "presence:" + group
        until = await self._server_now() + ttl
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member: until})
            pipe.expire(key, max(1, int(ttl * 2)))
            await pipe.execute()

    async def absent(self, group: str, member: str) -> None:
        await self.redis.zrem(self.prefix + "presence:" + group, member)

    async def members(self, group: str) -> set[str]:
        key = self.prefix + "presence:" + group
        now = await self._server_now()
        await self.redis.zremrangebyscore(key, "-inf", now)
        return {str(m) for m in await self.redis.zrange(key, 0, -1)}

    async def close(self) -> None:
        await self.redis.aclose()


async def open_bus(url: str | None, *, prefix: str = "qiaolink:") -> Bus:
    """Redis when a URL is configured (checked with a PING, so a wrong URL stops the start),
    else the in-process bus."""
    if not url:
        return LocalBus()
    from redis.exceptions import RedisError

    bus = RedisBus(url, prefix=prefix)
    try:
        await bus.redis.ping()
    except RedisError as exc:  # the URL may hold a password: name the failure, not the URL
        await bus.close()
        raise ConnectionError(f"the Redis bus is unreachable: {type(exc).__name__}") from None
    return bus
