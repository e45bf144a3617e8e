"""Video sessions: connection set-up time, and how many recorded two-party 640×480 sessions one
core sustains before frames drop, for our path (room, relay, recorder) beside bare aiortc
peers connected to each other, in the same run. Bounded to about a minute.

All peers run in this one process, pinned to one CPU, on 127.0.0.1 (aioice's host lookup is
patched here, as in the tests; the product never does this).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aioice.ice
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    VideoStreamTrack,
)
from av import VideoFrame

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.clock import SystemClock
from media import (
    EventLog,
    MediaRoom,
    OfferingPeer,
    RemoteTrack,
    SessionRecorder,
    serve_member,
)

FPS = 30
MEASURE = 3.0  # seconds of steady state per level
KEEP = 0.85  # a level holds when every video keeps 85 % of its frame rate
BUDGET = 25.0  # seconds per path for the capacity search


class Camera(VideoStreamTrack):
    def __init__(self) -> None:
        super().__init__()
        ramp = np.tile(np.arange(640, dtype=np.uint8), (480, 1))
        self.picture = np.dstack([ramp, ramp[::-1], ramp])

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(self.picture, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class Counter:
    def __init__(self) -> None:
        self.frames = 0
        self.first = asyncio.get_running_loop().create_future()
        self.tasks: list[asyncio.Task[None]] = []

    def drain(self, track: MediaStreamTrack) -> None:
        async def run() -> None:
            with contextlib.suppress(MediaStreamError):
                while True:
                    await track.recv()
                    self.frames += 1
                    if not self.first.done():
                        self.first.set_result(None)

        self.tasks.append(asyncio.create_task(run()))


# --- bare aiortc: two peers, each sending to the other -------------------------------------


async def bare_pair() -> tuple[list[Counter], Callable[[], Awaitable[None]]]:
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    counters = [Counter(), Counter()]
    for pc, counter in ((a, counters[0]), (b, counters[1])):
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(Camera())
        pc.on("track", lambda t, c=counter: c.drain(t) if t.kind == "video" else None)
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)

    async def close() -> None:
        for c in counters:
            for t in c.tasks:
                t.cancel()
        await a.close()
        await b.close()

    return counters, close


# --- ours: two parties in a recorded room --------------------------------------------------


async def our_pair(directory: Path, n: int) -> tuple[list[Counter], Callable[[], Awaitable[None]]]:
    room = MediaRoom(
        f"bench{n}",
        ice_servers=[],
        events=EventLog(f"bench{n}", SystemClock()),
        recorder=SessionRecorder(directory, f"bench{n}"),
    )
    counters, tasks, peers = [], [], []
    for name in ("notary", "resident"):
        audio, video, relay = AudioStreamTrack(), Camera(), MediaRelay()
        counter = Counter()

        async def on_remote(remotes: list[RemoteTrack], c: Counter = counter) -> None:
            for r in remotes:
                if r.track.kind == "video":
                    c.drain(r.track)

        peer = OfferingPeer(
            name,
            [],
            local_tracks=lambda a=audio, v=video, r=relay: [r.subscribe(a), r.subscribe(v)],
            on_remote=on_remote,
        )
        up: asyncio.Queue[str | None] = asyncio.Queue()
        down: asyncio.Queue[str | None] = asyncio.Queue()

        async def to_client(text: str, q: asyncio.Queue[str | None] = down) -> None:
            q.put_nowait(text)

        async def to_server(text: str, q: asyncio.Queue[str | None] = up) -> None:
            q.put_nowait(text)

        tasks.append(asyncio.create_task(serve_member(room, name, name, up.get, to_client)))
        tasks.append(asyncio.create_task(peer.run(down.get, to_server)))
        counters.append(counter)
        peers.append(peer)
        if name == "notary":  # the first party is in before the second arrives
            while not any(m.get("type") == "answer" for m in peer.messages):  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    async def close() -> None:
        for c in counters:
            for t in c.tasks:
                t.cancel()
        await room.close()
        for p in peers:
            await p.close()
        for t in tasks:
            t.cancel()

    return counters, close


async def setup_time(make: Callable[[], Awaitable[tuple[list[Counter], Any]]]) -> float:
    started = time.monotonic()
    counters, close = await make()
    async with asyncio.timeout(15):
        await asyncio.gather(*(c.first for c in counters))
    elapsed = time.monotonic() - started
    await close()
    return elapsed


async def slowest_rate(
    make: Callable[[int], Awaitable[tuple[list[Counter], Any]]], n: int
) -> float:
    """The slowest video's frame rate with ``n`` sessions running at once."""
    pairs = [await make(i) for i in range(n)]
    counters = [c for pair, _ in pairs for c in pair]
    try:
        async with asyncio.timeout(15):
            await asyncio.gather(*(c.first for c in counters))
        await asyncio.sleep(1.0)  # settle
        before = [c.frames for c in counters]
        await asyncio.sleep(MEASURE)
        rate = min((c.frames - b) / MEASURE for c, b in zip(counters, before, strict=True))
    except TimeoutError:
        rate = 0.0
    finally:
        for _, close in pairs:
            await close()
    print(f"  {n} session(s): slowest video {rate:.1f} fps", file=sys.stderr)
    return rate


async def capacity(make: Callable[[int], Awaitable[tuple[list[Counter], Any]]]) -> float:
    """Sessions at full frame rate one core carries: the best ``n × min(1, fps / 30)`` over
    n = 1, 2, … until a level drops below 85 % of the frame rate (or the time budget ends)."""
    deadline = time.monotonic() + BUDGET
    best, n = 0.0, 1
    while time.monotonic() < deadline:
        rate = await slowest_rate(make, n)
        best = max(best, n * min(1.0, rate / FPS))
        if rate < KEEP * FPS:
            break
        n += 1
    return round(best, 2)


async def main() -> None:
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]  # bench only
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        ours_setup = statistics.median(
            [await setup_time(lambda i=i: our_pair(directory, 100 + i)) for i in range(3)]
        )
        bare_setup = statistics.median([await setup_time(bare_pair) for _ in range(3)])
        print(
            json.dumps(
                {
                    "bench": "media_setup",
                    "ours": round(ours_setup, 3),
                    "baseline": round(bare_setup, 3),
                    "unit": "s to first frame both ways",
                    "ratio": round(ours_setup / bare_setup, 2),
                }
            )
        )
        print("ours (room + relay + recorder):", file=sys.stderr)
        ours = await capacity(lambda i: our_pair(directory, i))
        print("bare aiortc peers:", file=sys.stderr)
        bare = await capacity(lambda i: bare_pair())
    ratio = round(ours / bare, 2) if bare else 0.0
    # "ours" pays for a media server in the middle: it decodes each party, encodes it again for
    # the other (VP8) and for the recording (H.264); bare peers only encode and decode once.
    print(
        json.dumps(
            {
                "bench": "media_sessions_per_core",
                "ours": ours,
                "baseline": bare,
                "unit": "two-party 640x480 sessions at full frame rate per core",
                "ratio": ratio,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
