"""Work a service does on a timer (outbox relays, tree heads, heartbeats, reconciliation, the
node's link and the hub-log watch, the simulator's case processing), in one loop.

A round that fails is logged and the next one comes: a background task never dies of one bad
round. A round that says more is waiting (returns True) goes again at once. When the service
stops, a round in flight may finish, for a grace period, rather than be cancelled inside a
database transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

__all__ = ["Round", "periodic", "periodic_ctx", "repeat"]

log = logging.getLogger("qiaolink.periodic")

Round = Callable[[], Awaitable[object]]


async def _stopped(stop: asyncio.Event, interval_s: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), interval_s)
    return stop.is_set()


async def repeat(
    work: Round, *, interval_s: float, stop: asyncio.Event, what: str, wait_first: bool = False
) -> None:
    """Run ``work`` every ``interval_s`` until ``stop`` is set (after a first wait if
    ``wait_first``, for work already done at start-up)."""
    if wait_first and await _stopped(stop, interval_s):
        return
    while not stop.is_set():
        try:
            again = await work()
        except Exception:
            log.exception("%s failed; trying again next round", what)
            again = False
        if again is True:
            continue
        if await _stopped(stop, interval_s):
            return


@asynccontextmanager
async def periodic(
    work: Round,
    *,
    interval_s: float,
    what: str,
    wait_first: bool = False,
    grace_s: float = 30.0,
) -> AsyncIterator[None]:
    """``work`` repeated in a background task while the block runs (a service's lifetime)."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        repeat(work, interval_s=interval_s, stop=stop, what=what, wait_first=wait_first),
        name=what,
    )
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_s)
        except TimeoutError:
            log.warning("%s did not finish within %.0f s of the stop; cancelled", what, grace_s)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def periodic_ctx(
    work_of: Callable[[web.Application], Round],
    *,
    interval_s: float,
    what: str,
    wait_first: bool = False,
    grace_s: float = 30.0,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """:func:`periodic` as an aiohttp cleanup context: ``work_of(app)`` is the round."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with periodic(
            work_of(app),
            interval_s=interval_s,
            what=what,
            wait_first=wait_first,
            grace_s=grace_s,
        ):
            yield

    return ctx
