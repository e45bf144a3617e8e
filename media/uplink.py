"""A node's uplink: one local member's tracks carried to the hub's room over one connection.

The uplink is an :class:`OfferingPeer` at the hub. What it receives from the hub (the notary,
the mediator, other branches) is published into the node's own room as remote members, so the
kiosk sees them without knowing about the hub. Events cross in both directions on the
signalling socket; an event the hub echoes back from the node itself is not posted twice.
When the signalling socket drops, the uplink connects again after a pause, until it is closed:
it then asks the hub for the events it missed and sends those it kept meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiortc import RTCIceServer
from aiortc.mediastreams import MediaStreamTrack

from media.client import OfferingPeer, RemoteTrack
from media.events import EventRefused, LoggedEvent, parse_event
from media.room import MediaRoom

__all__ = ["Uplink"]

log = logging.getLogger("qiaolink.media.uplink")
Receive = Callable[[], Awaitable[str | None]]
Send = Callable[[str], Awaitable[None]]
Close = Callable[[], Awaitable[None]]
Connect = Callable[[], Awaitable[tuple[Receive, Send, Close]]]


class Uplink:
    def __init__(
        self,
        room: MediaRoom,
        local: str,
        connect: Connect,
        ice_servers: Sequence[RTCIceServer],
        *,
        retry_delays: Sequence[float] = (1, 2, 4, 8, 15),
    ) -> None:
        self.room = room
        self.local = local
        self.connect = connect
        self.retry_delays = list(retry_delays)
        self.state = "waiting"
        self.connections = 0
        self.peer = OfferingPeer(
            f"uplink:{room.session_id}",
            ice_servers,
            local_tracks=self._local_tracks,
            on_remote=self._remote,
            on_event=self._event,
            on_signal=self._signal,
        )
        self._task: asyncio.Task[None] | None = None
        self._close: Close | None = None
        self._send: Send | None = None
        self._welcomed = False  # the current socket has been greeted by the hub
        self._seen = 0  # the last of the hub's events received
        self._pending: list[dict[str, Any]] = []  # local events kept while the hub is away

    def _local_tracks(self) -> list[MediaStreamTrack]:
        return self.room.relay.subscribe(self.local)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        failures = 0
        while self.state != "closed":
            self.state = "connecting"
            try:
                receive, self._send, self._close = await self.connect()
            except (OSError, ConnectionError, ValueError) as exc:
                log.warning("uplink of %s cannot reach the hub: %s", self.room.session_id, exc)
            else:
                self.connections += 1
                self.state = "up"
                failures = 0
                await self.peer.run(receive, self._send)
                self._welcomed = False
            if self.state == "closed":
                return
            self.state = "down"
            await asyncio.sleep(self.retry_delays[min(failures, len(self.retry_delays) - 1)])
            failures += 1

    async def _remote(self, remotes: list[RemoteTrack]) -> None:
        grouped: dict[str, tuple[str, list[MediaStreamTrack]]] = {}
        for remote in remotes:
            grouped.setdefault(remote.participant, (remote.role, []))[1].append(remote.track)
        for name, (role, tracks) in grouped.items():
            await self.room.publish_remote(name, role, tracks)

    async def _signal(self, message: dict[str, Any]) -> None:
        if message.get("type") == "peer-left":
            await self.room.leave(str(message.get("participant")))
        elif message.get("type") == "welcome" and self._send is not None:
            self._welcomed = True
            if self._seen:  # back after a drop: what the hub sent meanwhile
                await self._send(json.dumps({"type": "resume", "since": self._seen}))
            pending, self._pending = self._pending, []
            for event in pending:
                if not await self._on_socket(event):
                    self._pending.append(event)

    async def _event(self, entry: dict[str, Any]) -> None:
        seq = entry.get("seq")
        if isinstance(seq, int):
            if seq <= self._seen:
                return  # sent again after a reconnection
            self._seen = seq
        if "kind" not in entry or entry.get("participant") == self.peer.you:
            return  # an error notice, or our own event coming back
        try:
            event = parse_event(json.dumps({"kind": entry["kind"], **entry.get("payload", {})}))
        except EventRefused:
            return
        await self.room.post_event(str(entry.get("participant")), event)

    async def forward(self, entry: LoggedEvent) -> bool:
        """Send a local member's event to the hub on the signalling socket, which is ordered
        with the renegotiations that replace the data channel; kept and sent once the hub
        greets the next socket if it is unreachable now (then ``False``)."""
        event = {"kind": entry.kind, **entry.payload}
        if self._welcomed and await self._on_socket(event):
            return True
        self._pending.append(event)
        return False

    async def announce(self, event: dict[str, Any]) -> bool:
        """Send the node's own notice (a closed segment) to the hub on the signalling socket,
        which is ordered with the socket's close, so a notice sent just before the session
        ends is not lost with the data channel; ``False`` if the hub is unreachable now."""
        return await self._on_socket(event)

    async def _on_socket(self, event: dict[str, Any]) -> bool:
        if self._send is None or self.state != "up":
            return False
        try:
            await self._send(json.dumps({"type": "event", "event": event}, ensure_ascii=False))
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def reconnect(self) -> None:
        """Drop the current signalling socket (as a broken link would); the uplink connects
        again after its first pause and renegotiates."""
        if self._close is not None:
            await self._close()

    async def close(self) -> None:
        self.state = "closed"
        if self._close is not None:
            await self._close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.peer.close()
