"""In-memory signalling sockets and synthetic participants for loopback sessions."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from av import VideoFrame

from media import OfferingPeer, RemoteTrack
from media.plane import SessionMedia


class Camera(VideoStreamTrack):
    """A 320×240 camera at 30 fps whose picture is a gradient (never all one colour). Small,
    so that the loopback tests stay quick on a busy two-core machine; the recorder scales
    every picture to its own 640×480 anyway."""

    def __init__(self, shade: int = 0) -> None:
        super().__init__()
        ramp = np.tile(np.arange(0, 640, 2, dtype=np.uint16).astype(np.uint8), (240, 1))
        self.picture = np.dstack([ramp, np.full_like(ramp, shade), ramp[::-1]])

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(self.picture, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Socket:
    """Both ends of one signalling socket; ``None`` on a queue means it closed."""

    to_server: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    to_client: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)

    def close(self) -> None:
        self.to_server.put_nowait(None)
        self.to_client.put_nowait(None)


@dataclass
class Party:
    """A participant: synthetic camera and microphone, an offering peer, its socket."""

    name: str
    role: str
    peer: OfferingPeer
    socket: Socket
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    server: asyncio.Task[None] | None = None  # the room's side; it ends by itself
    ws: Any = None  # a real WebSocket, when the party talks to a service
    received: dict[str, int] = field(default_factory=dict)

    def frames_from(self, other: str) -> int:
        return self.received.get(other, 0)

    async def count(self, remotes: list[RemoteTrack]) -> None:
        for remote in remotes:
            if remote.track.kind == "video":
                self.tasks.append(asyncio.create_task(self._drain(remote)))

    async def _drain(self, remote: RemoteTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await remote.track.recv()
                self.received[remote.participant] = self.received.get(remote.participant, 0) + 1

    def sent(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.peer.messages if m.get("type") == kind]

    async def leave(self) -> None:
        self.socket.close()
        if self.ws is not None:
            await self.ws.close()
        await self.peer.close()
        for task in self.tasks:
            task.cancel()


def _peer(name: str, shade: int) -> OfferingPeer:
    audio, video = AudioStreamTrack(), Camera(shade)
    relay = MediaRelay()
    return OfferingPeer(
        name, [], local_tracks=lambda: [relay.subscribe(audio), relay.subscribe(video)]
    )


async def join_over(client: Any, path: str, name: str, shade: int = 0) -> Party:
    """A participant that signals over the service's real WebSocket at ``path``."""
    ws = await client.ws_connect(path)
    peer = _peer(name, shade)
    party = Party(name, "", peer, Socket(), ws=ws)
    peer.on_remote = party.count

    async def receive() -> str | None:
        message = await ws.receive()
        return message.data if message.type == aiohttp.WSMsgType.TEXT else None

    party.tasks.append(asyncio.create_task(peer.run(receive, ws.send_str)))
    return party


async def join(room: SessionMedia, name: str, role: str = "resident", shade: int = 0) -> Party:
    peer = _peer(name, shade)
    socket = Socket()
    party = Party(name, role, peer, socket)
    peer.on_remote = party.count

    async def server_send(text: str) -> None:
        socket.to_client.put_nowait(text)

    async def client_send(text: str) -> None:
        socket.to_server.put_nowait(text)

    party.server = asyncio.create_task(room.serve(name, role, socket.to_server.get, server_send))
    party.tasks.append(asyncio.create_task(peer.run(socket.to_client.get, client_send)))
    return party


async def until(predicate: Any, within: float = 30.0) -> None:
    """Poll ``predicate`` (state of several peers, no single event to wait on)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def decoded(raw: str) -> dict[str, Any]:
    return json.loads(raw)
