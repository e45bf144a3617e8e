"""Video sessions: how many recorded two-party 640×480 sessions one core carries on Janus, on
the in-process relay and with bare aiortc peers, in one run; and what a three-party session
costs on Janus against a two-party one. Bounded to about three minutes.

Janus: the CPU time of the Janus process itself (utime + stime from /proc/PID/stat) while the
sessions run, their load made by aiortc peers in a child process of this benchmark (outside
Janus). Those peers must keep the full rate on a busy shared machine, or Janus forwards fewer
packets and its figure says nothing: each sends a 640×480 VP8 clip encoded once at start-up
(``BITRATE``, a keyframe every two seconds, looped) and Opus frames encoded once, and counts
the frames it receives without decoding them. The window opens once every party receives
every other party's video, so set-up is not in it. Several runs; the median and the spread are
printed. Janus runs in a network namespace of its own (tests/janus_support.py).

Relay and bare peers: all in this one process, pinned to one CPU, on 127.0.0.1 (aioice's host
lookup is patched here, as in the tests; the product never does this); sessions per core is the
most sessions that keep 85 % of the frame rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fractions
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aioice.ice
import aiortc.rtcrtpreceiver
import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    VideoStreamTrack,
)
from av import AudioFrame, Packet, VideoFrame

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.clock import SystemClock
from media import (
    EventLog,
    MediaRoom,
    OfferingPeer,
    RemoteTrack,
    SessionRecorder,
)
from media.plane import SessionMedia

FPS = 30
MEASURE = 3.0  # seconds of steady state per level
JANUS_WINDOW = 6.0  # seconds of Janus's CPU per run (its clock ticks at 10 ms: 0.17 % steps)
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
        self.per_track: dict[int, int] = {}  # frames received on each video track
        self.first = asyncio.get_running_loop().create_future()
        self.tasks: list[asyncio.Task[None]] = []
        self.peer: OfferingPeer | None = None  # the party's own peer, when it has one

    async def packets_sent(self) -> int:
        """The RTP packets the party's peer has sent so far (audio and video)."""
        if self.peer is None or self.peer.link is None:
            return 0
        report = await self.peer.link.pc.getStats()
        return sum(
            int(getattr(s, "packetsSent", 0))
            for s in report.values()
            if getattr(s, "type", "") == "outbound-rtp"
        )

    def drain(self, track: MediaStreamTrack) -> None:
        async def run() -> None:
            with contextlib.suppress(MediaStreamError):
                while True:
                    await track.recv()
                    self.frames += 1
                    self.per_track[id(track)] = self.per_track.get(id(track), 0) + 1
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
    return await in_room(room, ("notary", "resident"))


Sources = tuple[Callable[[], MediaStreamTrack], Callable[[], MediaStreamTrack]]


async def in_room(
    room: SessionMedia, names: tuple[str, ...], sources: Sources = (AudioStreamTrack, Camera)
) -> tuple[list[Counter], Callable[[], Awaitable[None]]]:
    """``names`` join ``room`` one after the other, each with a 640×480 camera (or what
    ``sources`` make); a counter of the video each receives."""
    counters, tasks, peers = [], [], []
    for name in names:
        audio, video, relay = sources[0](), sources[1](), MediaRelay()
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

        tasks.append(asyncio.create_task(room.serve(name, name, up.get, to_client)))
        tasks.append(asyncio.create_task(peer.run(down.get, to_server)))
        counter.peer = peer
        counters.append(counter)
        peers.append(peer)
        while not any(m.get("type") == "answer" for m in peer.messages):  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # each party is in before the next arrives

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


# --- Janus: its own CPU per session, load from peers outside it ---------------------------


BITRATE = 1_500_000  # bits/s of each party's video, what a browser sends at 640×480


def encoded_clip(frames: int = 2 * FPS) -> list[bytes]:
    """``frames`` of a moving 640×480 picture in VP8 at ``BITRATE``, a keyframe first."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 640, 480, "yuv420p"
    codec.bit_rate, codec.gop_size = BITRATE, frames
    codec.time_base = fractions.Fraction(1, FPS)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    ramp = np.tile(np.arange(640, dtype=np.uint8), (480, 1))
    clip: list[bytes] = []
    for i in range(frames):
        picture = np.dstack([np.roll(ramp, 8 * i, axis=1), ramp[::-1], ramp])
        frame = VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        clip.extend(bytes(p) for p in codec.encode(frame))
    clip.extend(bytes(p) for p in codec.encode(None))
    return clip


def encoded_silence() -> bytes:
    """One 20 ms Opus frame of silence, 48 kHz stereo."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = 48000, "stereo", "s16"
    frame = AudioFrame(format="s16", layout="stereo", samples=960)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate, frame.pts = 48000, 0
    return next(bytes(p) for p in codec.encode(frame))


class Replay(MediaStreamTrack):
    """Pre-encoded frames at their real rate: aiortc packs them without encoding anything."""

    def __init__(self, kind: str, frames: list[bytes], rate: int, clock_rate: int) -> None:
        super().__init__()
        self.kind = kind
        self.frames, self.rate, self.clock_rate = frames, rate, clock_rate
        self.count, self.start = 0, time.monotonic()

    async def recv(self) -> Packet:
        self.count += 1
        wait = self.start + self.count / self.rate - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        packet = Packet(self.frames[self.count % len(self.frames)])
        packet.pts = self.count * self.clock_rate // self.rate
        packet.time_base = fractions.Fraction(1, self.clock_rate)
        return packet


class CountingDecoder:
    """Stands in for aiortc's decoders at the load generator: a received video frame becomes
    a 2×2 placeholder picture (counted by :class:`Counter`), audio becomes nothing."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def decode(self, encoded: Any) -> list[VideoFrame]:
        if self.kind != "video":
            return []
        frame = VideoFrame(2, 2, "yuv420p")
        frame.pts, frame.time_base = encoded.timestamp, fractions.Fraction(1, 90000)
        return [frame]


def light_generators() -> tuple[Callable[[], MediaStreamTrack], Callable[[], MediaStreamTrack]]:
    """In the Janus child only: peers that neither encode nor decode, so they keep up."""
    clip, silence = encoded_clip(), encoded_silence()
    aiortc.rtcrtpreceiver.get_decoder = lambda codec: CountingDecoder(  # type: ignore[assignment]
        codec.mimeType.split("/")[0].lower()
    )
    return (
        lambda: Replay("audio", [silence], 50, 48000),
        lambda: Replay("video", clip, FPS, 90000),
    )


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (fields 14 and 15 of /proc/PID/stat, after the name)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class JanusRun:
    parties: int
    share: float  # of a core, Janus's own CPU, idle included
    fps: float  # mean rate of one forwarded video at the receivers
    published: float  # RTP packets per second one party publishes (mean)


async def everyone_receives_everyone(counters: list[Counter], parties: int) -> None:
    """Until each party receives frames on one video track per other party."""
    while not all(  # noqa: ASYNC110
        len([n for n in c.per_track.values() if n > 0]) >= parties - 1 for c in counters
    ):
        await asyncio.sleep(0.05)


async def janus_run(
    plane: Any, pid: int, directory: Path, parties: int, run: int, sources: Sources
) -> JanusRun:
    """Janus's CPU share while one recorded session of ``parties`` runs, and its traffic."""
    names = ("notary", "resident", "interpreter", "mediator")[:parties]
    room = plane.open_room(
        f"j{parties}-{run}",
        events=EventLog(f"j{parties}-{run}", SystemClock()),
        clock=SystemClock(),
        directory=directory,
    )
    counters, close = await in_room(room, names, sources)
    try:
        async with asyncio.timeout(30):
            await everyone_receives_everyone(counters, parties)
        await asyncio.sleep(1.0)  # settle
        frames = [c.frames for c in counters]
        sent = [await c.packets_sent() for c in counters]
        cpu, started = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(JANUS_WINDOW)
        elapsed = time.monotonic() - started
        share = (cpu_seconds(pid) - cpu) / elapsed
        after = [await c.packets_sent() for c in counters]
        # each party receives parties - 1 videos: the mean rate of one forwarded video
        fps = statistics.mean(
            (c.frames - b) / elapsed / (parties - 1) for c, b in zip(counters, frames, strict=True)
        )
        published = statistics.mean((a - b) / elapsed for a, b in zip(after, sent, strict=True))
    finally:
        await close()
    print(
        f"  {parties} parties, run {run}: Janus {share * 100:.2f} % of a core, video at "
        f"{fps:.1f} fps, {published:.0f} packets/s published per party",
        file=sys.stderr,
    )
    return JanusRun(parties, share, fps, published)


async def idle_share(pid: int, seconds: float = 2.0) -> float:
    cpu, started = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - cpu) / (time.monotonic() - started)


def session_cost(run: JanusRun, idle: float, nominal: float) -> float:
    """The run's share of a core for one session at full rate. Janus's work above idle grows
    with the packets it takes in and sends out (each published packet once in, ``parties - 1``
    times out); a run whose load generators fell below 85 % of the frame rate is scaled up to
    the ``nominal`` packet rate of a party at full rate."""
    work = max(run.share - idle, 0.0)
    if run.fps >= KEEP * FPS:
        return work
    return work * nominal / max(run.published, 1.0)


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


async def janus_main(runs: int) -> None:
    """In a child process: Janus's cost per two- and three-party session, as one JSON line."""
    from media.janus import JanusPlane
    from tests.janus_support import can_run_janus, janus_site

    if not can_run_janus():
        print(json.dumps({"janus": None, "why": "needs Debian's janus and root"}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        async with janus_site(Path(tmp)) as site:
            plane = JanusPlane(site.urls)
            await plane.start()
            try:
                recordings = Path(tmp) / "recordings"
                recordings.mkdir()
                print("Janus (its own CPU):", file=sys.stderr)
                pid = site.pids[0]
                idle = await idle_share(pid)
                sources = light_generators()
                found = [
                    await janus_run(plane, pid, recordings, parties, r, sources)
                    for parties in (2, 3)
                    for r in range(runs)
                ]
            finally:
                await plane.close()
    # the nominal rate: what a party publishes at full frame rate (two-party runs that kept it)
    full = [r.published for r in found if r.parties == 2 and r.fps >= KEEP * FPS]
    nominal = statistics.median(full or [r.published for r in found if r.parties == 2])
    two = [session_cost(r, idle, nominal) for r in found if r.parties == 2]
    three = [session_cost(r, idle, nominal) for r in found if r.parties == 3]
    for name, costs in (("two", two), ("three", three)):
        shown = ", ".join(f"{c * 100:.2f}" for c in costs)
        print(f"  {name} parties at full rate: {shown} % of a core", file=sys.stderr)
    # n parties publish n streams (received, recorded) and Janus forwards n(n - 1): solving
    # 2p + 2f = two, 3p + 6f = three says what each costs
    forwarded = (statistics.median(three) - 1.5 * statistics.median(two)) / 3
    published = statistics.median(two) / 2 - forwarded
    print(
        f"  per party published (received, recorded, its two connections): "
        f"{published * 100:.2f} %; per stream forwarded to one party: {forwarded * 100:.2f} %",
        file=sys.stderr,
    )
    result = {
        "two": spread(two),
        "three": spread(three),
        "idle": idle,
        "nominal_packets_s": nominal,
        "per_party_published": published,
        "per_party_forwarded": forwarded,
        "video_bitrate": BITRATE,
        "raw": [dataclasses.asdict(r) for r in found],
    }
    print(json.dumps({"janus": result}))


async def janus_in_child(runs: int) -> dict[str, Any] | None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--janus", str(runs), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    lines = out.decode().strip().splitlines()
    result = json.loads(lines[-1]) if lines else {}
    janus: dict[str, Any] | None = result.get("janus")
    return janus


async def main() -> None:
    janus = await janus_in_child(runs=5)  # before this process pins itself to one core
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
    print(
        json.dumps(
            {
                "bench": "media_sessions_per_core_bare",
                "ours": ours,
                "baseline": bare,
                "unit": "two-party 640x480 sessions at full frame rate per core (relay vs bare)",
                "ratio": round(ours / bare, 2) if bare else 0.0,
            }
        )
    )
    if janus is None:
        print(
            json.dumps(
                {
                    "bench": "media_sessions_per_core",
                    "ours": None,
                    "baseline": ours,
                    "unit": "Janus unavailable",
                    "ratio": None,
                }
            )
        )
        return
    two, three = janus["two"], janus["three"]
    per_core = {k: round(1 / v, 1) for k, v in two.items()}  # min cost = most sessions
    print(
        json.dumps(
            {
                "bench": "media_three_party_cost",
                "ours": round(three["median"] * 100, 2),
                "baseline": round(two["median"] * 100, 2),
                "unit": "% of a core Janus spends on one recorded session (3 vs 2 parties)",
                "ratio": round(three["median"] / two["median"], 2),
                "spread": {"three": three, "two": two},
            }
        )
    )
    # Janus forwards the encrypted packets and records them as they come; the relay decodes
    # each party, encodes it again for the other (VP8) and for the recording (H.264).
    print(
        json.dumps(
            {
                "bench": "media_sessions_per_core",
                "ours": per_core["median"],
                "baseline": ours,
                "unit": "recorded two-party 640x480 sessions per core: Janus vs in-process relay",
                "ratio": round(per_core["median"] / ours, 1) if ours else None,
                "spread": {
                    "janus_min": per_core["max"],
                    "janus_max": per_core["min"],
                    "bare_aiortc": bare,
                },
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--janus"]:
        asyncio.run(janus_main(int(sys.argv[2])))
    else:
        asyncio.run(main())
