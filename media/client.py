"""The offering side of a session, in Python: a node's uplink to the hub, and test participants.

:class:`OfferingPeer` speaks the same signalling as the browser client: on ``welcome``,
``renegotiate`` or ``rebuild`` it offers a fresh connection with its own tracks and one receive
slot per other participant; the ``answer`` says which transceiver carries whom. On the Janus
plane (``welcome`` says ``plane: "janus"``) it offers its own tracks only, and answers the
hub's ``offer`` of a subscription on a second connection, replaced by each new one.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCDataChannel, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from media.peers import PeerLink
from media.signalling import encode

__all__ = ["OfferingPeer", "RemoteTrack"]

Receive = Callable[[], Awaitable[str | None]]
Send = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class RemoteTrack:
    participant: str
    role: str
    track: MediaStreamTrack


RemoteHandler = Callable[[list[RemoteTrack]], Awaitable[None]]


@dataclass
class OfferingPeer:
    name: str
    ice_servers: Sequence[RTCIceServer]
    local_tracks: Callable[[], list[MediaStreamTrack]]
    on_remote: RemoteHandler | None = None
    on_event: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    on_signal: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    you: str | None = None  # our name in the session, from the welcome
    link: PeerLink | None = None
    channel: RTCDataChannel | None = None
    remote: list[RemoteTrack] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    plane: str = "relay"
    inbound: PeerLink | None = None  # the Janus plane's subscription
    _offered: bool = False

    async def offer(self, others: int) -> str:
        """A new connection's offer: own tracks sendrecv, plus receive slots for ``others``."""
        if self.link is None:
            self.link = PeerLink(self.ice_servers, name=self.name)
        elif self._offered:
            await self.link.rebuild()
        self._offered = True
        pc = self.link.pc
        own = {track.kind: track for track in self.local_tracks()}
        if self.plane == "janus":  # publish only; events go on the signalling socket
            for track in own.values():
                pc.addTransceiver(track, direction="sendonly")
            await pc.setLocalDescription(await pc.createOffer())
            return pc.localDescription.sdp
        for kind in ("audio", "video"):
            if kind in own:
                pc.addTransceiver(own[kind], direction="sendrecv")
            else:
                pc.addTransceiver(kind, direction="recvonly")
            for _ in range(max(others - 1, 0)):
                pc.addTransceiver(kind, direction="recvonly")
        self.channel = pc.createDataChannel("events")
        self.channel.on("message", self._on_channel)
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp

    async def accept(self, sdp: str, streams: list[dict[str, str]]) -> None:
        assert self.link is not None
        pc = self.link.pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
        if self.plane != "janus":  # on Janus, what we receive comes on the subscription
            await self._receive(pc, streams)

    async def _receive(self, pc: RTCPeerConnection, streams: list[dict[str, str]]) -> None:
        """The tracks ``streams`` name (by ``mid``) are now who we receive."""
        by_mid = {t.mid: t for t in pc.getTransceivers()}
        self.remote = [
            RemoteTrack(s["participant"], s["role"], by_mid[s["mid"]].receiver.track)
            for s in streams
            if s["mid"] in by_mid
        ]
        if self.on_remote is not None:
            await self.on_remote(self.remote)

    async def subscribe(self, sdp: str, streams: list[dict[str, str]]) -> str:
        """Answer the Janus plane's offer of everyone else's streams, on a fresh connection."""
        old, self.inbound = self.inbound, PeerLink(self.ice_servers, name=f"{self.name}-in")
        if old is not None:
            await old.close()
        pc = self.inbound.pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self._receive(pc, streams)
        return pc.localDescription.sdp

    async def _on_channel(self, raw: str | bytes) -> None:
        if self.on_event is not None:
            await self.on_event(json.loads(raw))

    async def run(self, receive: Receive, send: Send) -> None:
        """Follow the signalling until the socket closes. One offer is outstanding at a time:
        a renegotiation asked for meanwhile is made once its answer has arrived."""
        awaiting = False
        again: int | None = None
        while (raw := await receive()) is not None:
            message = json.loads(raw)
            self.messages.append(message)
            kind = message.get("type")
            if kind == "welcome":
                self.you = message.get("you")
                self.plane = str(message.get("plane", "relay"))
            if self.on_signal is not None:
                await self.on_signal(message)
            if kind in {"welcome", "renegotiate", "rebuild"}:
                again = len(message.get("participants", []))
            elif kind == "event" and self.on_event is not None:
                await self.on_event(message.get("entry", {}))
            elif kind == "offer":
                await send(
                    encode(
                        "answer",
                        sdp=await self.subscribe(message["sdp"], message.get("streams", [])),
                    )
                )
            elif kind == "answer" and awaiting:
                awaiting = False
                await self.accept(message["sdp"], message.get("streams", []))
            if again is not None and not awaiting:
                await send(encode("offer", sdp=await self.offer(again)))
                again, awaiting = None, True

    async def close(self) -> None:
        if self.link is not None:
            await self.link.close()
        if self.inbound is not None:
            await self.inbound.close()
