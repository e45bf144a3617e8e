"""A sampler that hands some of a track's video frames to a slow consumer without slowing the call.

The tap reads its own relay proxy of the track, keeps every ``every_nth`` frame and at most
``max_per_second`` of them, and gives a kept frame to the consumer only when the consumer is
idle; otherwise the frame is dropped and counted. The call's own peers never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

__all__ = ["FrameTap", "SamplingPolicy", "TapCounts"]

Consumer = Callable[[VideoFrame], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class SamplingPolicy:
    """Which frames to keep: pure, so it is tested without a track."""

    every_nth: int = 1
    max_per_second: float = 2.0

    def __post_init__(self) -> None:
        if self.every_nth < 1 or self.max_per_second <= 0:
            raise ValueError("every_nth ≥ 1 and max_per_second > 0")

    def keeps(self, index: int, now: float, last_kept: float | None) -> bool:
        if index % self.every_nth:
            return False
        return last_kept is None or now - last_kept >= 1.0 / self.max_per_second


@dataclass
class TapCounts:
    seen: int = 0
    delivered: int = 0
    dropped_busy: int = 0


class FrameTap:
    """Feeds ``consumer`` from ``track`` in the background until :meth:`stop`."""

    def __init__(
        self, track: MediaStreamTrack, consumer: Consumer, policy: SamplingPolicy | None = None
    ) -> None:
        if track.kind != "video":
            raise ValueError("a frame tap reads a video track")
        self.track = track
        self.consumer = consumer
        self.policy = policy or SamplingPolicy()
        self.counts = TapCounts()
        self._busy: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        last_kept: float | None = None
        while True:
            try:
                frame = await self.track.recv()
            except MediaStreamError:
                return
            index = self.counts.seen
            self.counts.seen += 1
            now = time.monotonic()
            if not isinstance(frame, VideoFrame) or not self.policy.keeps(index, now, last_kept):
                continue
            last_kept = now
            if self._busy is not None and not self._busy.done():
                self.counts.dropped_busy += 1
                continue
            self.counts.delivered += 1
            self._busy = asyncio.create_task(self.consumer(frame))

    async def stop(self) -> None:
        self.track.stop()
        for task in (self._task, self._busy):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
