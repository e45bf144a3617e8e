"""Rate limits on guessing: sign-in, one-time codes, identity checks, signalling, and every
lookup by a secret code (application query codes, case and booking codes).

The counting is the ``limits`` library's moving window. With a Redis URL (the hub with several
instances) the windows live in Redis, so every instance behind the proxy counts the same hits
and a restart forgets nothing; without one they live in this process. The library reads the
system time itself: windows are real seconds, not the injected clock. The lock-out of an
account after failed sign-ins is separate and kept in the database (:mod:`common.factors`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from aiohttp.web import StreamResponse
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from common.errors import N_, DomainError

__all__ = [
    "DEFAULT_POLICIES",
    "RATE_LIMITS",
    "RateLimited",
    "RateLimits",
    "enforce",
    "guarded",
]


class RateLimited(DomainError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "rate.limited",
            N_("Too many requests. Try again in {seconds} seconds."),
            params={"seconds": retry_after},
        )
        self.retry_after = retry_after


# name → (hits, window)
DEFAULT_POLICIES: dict[str, tuple[int, timedelta]] = {
    "sign_in": (10, timedelta(minutes=1)),
    "one_time_code": (10, timedelta(minutes=1)),
    "verification": (30, timedelta(minutes=1)),
    "signalling": (120, timedelta(minutes=1)),
    # every lookup by a secret code, whatever the route: one budget per address
    "query_code": (30, timedelta(minutes=1)),
}


class RateLimits:
    """The named policies of one service, counted in ``storage_url`` (``redis://…``) or in
    this process."""

    def __init__(
        self,
        storage_url: str | None = None,
        policies: dict[str, tuple[int, timedelta]] | None = None,
        *,
        prefix: str = "qiaolink",
    ) -> None:
        self.storage: Storage
        if storage_url:
            self.storage = RedisStorage(
                storage_url.replace("redis://", "async+redis://", 1)
                if storage_url.startswith("redis://")
                else storage_url,
                implementation="redispy",
                key_prefix=f"{prefix}-limits",
            )
        else:
            self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.items = {
            name: RateLimitItemPerSecond(hits, int(window.total_seconds()))
            for name, (hits, window) in (policies or DEFAULT_POLICIES).items()
        }

    async def check(self, policy: str, key: str) -> None:
        """Count one hit of ``key`` under ``policy``; refused when the window is full."""
        item = self.items[policy]
        if not await self.limiter.hit(item, policy, key):
            await self._refuse(policy, key)

    async def refuse_if_spent(self, policy: str, key: str) -> None:
        """Refused when ``key`` has no hit left under ``policy``; counts nothing."""
        if not await self.limiter.test(self.items[policy], policy, key):
            await self._refuse(policy, key)

    async def count(self, policy: str, key: str) -> None:
        """Count one hit of ``key`` without refusing this one."""
        await self.limiter.hit(self.items[policy], policy, key)

    async def _refuse(self, policy: str, key: str) -> None:
        reset, _left = await self.limiter.get_window_stats(self.items[policy], policy, key)
        raise RateLimited(max(1, int(reset - time.time() + 0.999)))


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)


async def enforce(request: web.Request, policy: str, subject: str = "") -> None:
    """Count this request against ``policy`` for its client address and ``subject``."""
    limits = request.app.get(RATE_LIMITS)
    if limits is not None:
        await limits.check(policy, _key(request, subject))


def _key(request: web.Request, subject: str) -> str:
    return f"{request.remote or '?'}|{subject}"


# answers that tell a guesser "not this one": a wrong code, a missing record
MISSES = frozenset({401, 403, 404})


async def guarded(
    request: web.Request, handler: Callable[[], Awaitable[StreamResponse]]
) -> StreamResponse:
    """Runs a lookup by secret code: refused once this address has spent its budget of misses
    (``query_code``); each miss (a wrong code, a missing record) is counted, a hit is not, so
    that a resident whose page follows their own application never runs out."""
    limits = request.app.get(RATE_LIMITS)
    if limits is None:
        return await handler()
    key = _key(request, "")
    await limits.refuse_if_spent("query_code", key)
    try:
        response = await handler()
    except DomainError as exc:
        if exc.status in MISSES:
            await limits.count("query_code", key)
        raise
    if response.status in MISSES:
        await limits.count("query_code", key)
    return response
