"""One video session as seen by one service: its members' peers, relay, recording and events.

Each member connects with its own peer connection, as the offerer; the room answers with every
other member's tracks on the transceivers the offer left free, and tells the member which
transceiver (``mid``) carries whom. A member joining makes the others renegotiate (they rebuild
their connection with one more slot); a member's own rebuild changes nothing for the others,
because they receive its stable relayed tracks. Remote publishers (the hub's members as seen
through a node's uplink) publish tracks without a peer connection of their own.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCDataChannel, RTCIceServer, RTCSessionDescription
from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamTrack
from pydantic import BaseModel

from media.errors import MediaError
from media.events import EventLog, EventRefused, LoggedEvent, check_may_post, parse_event
from media.peers import PeerLink
from media.plane import depart, resend, tell, welcome
from media.recorder import Segment, SessionRecorder
from media.relay import SessionRelay
from media.signalling import (
    OFFER_UNUSABLE,
    EventMessage,
    Leave,
    Offer,
    Resume,
    SignallingRefused,
    encode,
    parse_message,
)

__all__ = ["MediaRoom", "Member", "serve_member"]

log = logging.getLogger("qiaolink.media")
Send = Callable[[str], Awaitable[None]]
Receive = Callable[[], Awaitable[str | None]]


@dataclass
class Member:
    name: str
    role: str
    send: Send | None = None  # the member's signalling socket; None for a remote publisher
    link: PeerLink | None = None
    channel: RTCDataChannel | None = None
    failed: bool = False
    streams: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> dict[str, str]:
        return {"participant": self.name, "role": self.role}


class MediaRoom:
    def __init__(
        self,
        session_id: str,
        *,
        ice_servers: Sequence[RTCIceServer] | Callable[[str], Sequence[RTCIceServer]],
        events: EventLog,
        recorder: SessionRecorder | None = None,
        record_only: Callable[[Member], bool] = lambda m: True,
        on_publish: Callable[[Member], Awaitable[None]] | None = None,
    ) -> None:
        self.session_id = session_id
        # a list, or a function of the member's name (TURN credentials are per participant)
        self.ice_servers = ice_servers
        self.events = events
        self.recorder = recorder
        self.record_only = record_only
        self.on_publish = on_publish  # told when a member's tracks are first published
        self.relay = SessionRelay()
        self.members: dict[str, Member] = {}
        self.joined: set[str] = set()
        self.closed = False

    def present(self) -> list[str]:
        return sorted(self.members)

    def has_joined(self, participant: str) -> bool:
        return participant in self.joined

    async def serve(self, name: str, role: str, receive: Receive, send: Send) -> None:
        await serve_member(self, name, role, receive, send)

    @contextlib.asynccontextmanager
    async def watch(self, participant: str) -> AsyncIterator[MediaStreamTrack | None]:
        """A relayed copy of ``participant``'s video for the hub to look at; stopped after."""
        track = next((t for t in self.relay.subscribe(participant) if t.kind == "video"), None)
        try:
            yield track
        finally:
            if track is not None:
                track.stop()

    def others(self, name: str) -> list[dict[str, str]]:
        return [m.describe() for m in self.members.values() if m.name != name]

    async def join(self, name: str, role: str, send: Send) -> None:
        """Register a member (or its new socket, when it reconnects) and greet it."""
        member = self.members.get(name)
        if member is None:
            member = self.members[name] = Member(name, role, send)
        member.send = send
        self.joined.add(name)
        await send(welcome(self.session_id, name, "relay", self.others(name)))

    async def answer(self, name: str, offer_sdp: str) -> tuple[str, list[dict[str, str]]]:
        """Answer ``name``'s offer on a new (or rebuilt) connection; the SDP and who is where."""
        member = self.members[name]
        rotate = member.link is None or member.failed or not self.relay.switches.get(name)
        if member.link is None:
            servers = self.ice_servers(name) if callable(self.ice_servers) else self.ice_servers
            member.link = PeerLink(servers, name=name, on_failed=self._on_failed)
        else:
            await member.link.rebuild()
        member.failed = False
        pc = member.link.pc
        incoming: list[MediaStreamTrack] = []
        pc.on("track", incoming.append)
        pc.on("datachannel", lambda channel: self._bind_channel(member, channel, pc))
        await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        member.streams = self._attach_others(member)
        await pc.setLocalDescription(await pc.createAnswer())
        newcomer = name not in self.relay.switches
        self.relay.publish(name, incoming)
        if rotate:
            await self._rotate()
        if newcomer and incoming:
            await self._broadcast("renegotiate", except_=name)
            if self.on_publish is not None:
                await self.on_publish(member)
        return pc.localDescription.sdp, member.streams

    def _attach_others(self, member: Member) -> list[dict[str, str]]:
        assert member.link is not None
        pc = member.link.pc
        streams: list[dict[str, str]] = []
        for other in self.members.values():
            if other.name == member.name:
                continue
            for track in self.relay.subscribe(other.name):
                free = [
                    t
                    for t in pc.getTransceivers()
                    if t.kind == track.kind and t.sender.track is None and t.mid is not None
                ]
                if not free:
                    track.stop()
                    continue
                pc.addTrack(track)
                streams.append({"mid": str(free[0].mid), **other.describe(), "kind": track.kind})
        return streams

    async def publish_remote(self, name: str, role: str, tracks: list[MediaStreamTrack]) -> None:
        """Tracks of someone reached through another service (no connection of their own)."""
        newcomer = name not in self.members
        self.members.setdefault(name, Member(name, role))
        self.relay.publish(name, tracks)
        if newcomer:
            await self._rotate()
            await self._broadcast("renegotiate")

    async def leave(self, name: str) -> None:
        """The member left or dropped: close its connection, end its tracks, tell the others."""
        member = self.members.pop(name, None)
        if member is None:
            return
        if member.link is not None:
            await member.link.close()
        self.relay.withdraw(name)
        await self._rotate()
        await self._broadcast("peer-left", participant=name)

    async def close(self) -> list[Segment]:
        """End the session: every connection closed, the recording's last segment closed."""
        self.closed = True
        for name in list(self.members):
            member = self.members.pop(name)
            if member.link is not None:
                await member.link.close()
            self.relay.withdraw(name)
        return await self.recorder.stop() if self.recorder else []

    async def post_event(self, participant: str, event: BaseModel) -> LoggedEvent:
        """Append an event to the session log and send it to every member on its signalling
        socket. Not on the data channel: a member renegotiating has closed its old channel
        while ours still reads "open" until its next offer arrives, and what is sent there
        is lost; the socket is ordered with that offer, and a member back on a new socket
        asks for what it missed (``resume``)."""
        entry = await self.events.append(participant, event)
        text = encode("event", entry=entry.as_json())
        for member in list(self.members.values()):
            await self._tell(member, text)
        return entry

    def _bind_channel(self, member: Member, channel: RTCDataChannel, pc: object) -> None:
        if member.link is None or member.link.pc is not pc:
            return  # a channel of a connection already replaced opened late
        member.channel = channel

        @channel.on("message")
        async def _message(raw: str | bytes) -> None:
            try:
                event = parse_event(raw)
                check_may_post(member.role, event)
            except EventRefused as exc:
                channel.send(json.dumps({"error": exc.code}))
                return
            await self.post_event(member.name, event)

    async def _on_failed(self, link: PeerLink) -> None:
        member = self.members.get(link.name)
        if member is None or member.link is not link:
            return
        member.failed = True
        await self._rotate()
        await self._tell(member, encode("rebuild", reason="connection-failed"))

    async def _rotate(self) -> None:
        if self.recorder is None or self.closed:
            return
        sources: dict[str, MediaStreamTrack] = {}
        for member in self.members.values():
            if not self.record_only(member) or member.failed:
                continue
            for track in self.relay.subscribe(member.name):
                sources[f"{member.name}/{track.kind}"] = track
        await self.recorder.rotate(sources)

    async def _broadcast(self, kind: str, except_: str | None = None, **fields: Any) -> None:
        for member in list(self.members.values()):
            if member.name == except_ or member.send is None or member.link is None:
                continue
            await self._tell(member, encode(kind, participants=self.others(member.name), **fields))

    async def _tell(self, member: Member, text: str) -> None:
        await tell(member.name, member.send, text)


async def serve_member(room: MediaRoom, name: str, role: str, receive: Receive, send: Send) -> None:
    """One member's signalling until it leaves or its socket closes; bad messages are refused
    with an ``error`` reply and the socket stays open."""
    await room.join(name, role, send)
    try:
        while (raw := await receive()) is not None:
            try:
                message = parse_message(raw)
                if isinstance(message, Offer):
                    sdp, streams = await _answer(room, name, message.sdp)
                    await send(encode("answer", sdp=sdp, streams=streams))
                elif isinstance(message, EventMessage):
                    check_may_post(role, message.event)
                    await room.post_event(name, message.event)
                elif isinstance(message, Resume):
                    await resend(name, send, room.events, message.since)
                elif isinstance(message, Leave):
                    break
            except MediaError as exc:
                await send(encode("error", code=exc.code, message=exc.message, params=exc.params))
    finally:
        if room.members.get(name) is not None and room.members[name].send is send:
            await depart(room.leave(name))


async def _answer(room: MediaRoom, name: str, sdp: str) -> tuple[str, list[dict[str, str]]]:
    """The room's answer, or a refusal naming why aiortc cannot use the offer (codecs it does
    not support, a description it cannot apply). Nothing is published from a failed offer;
    the member's next offer rebuilds its connection."""
    try:
        return await room.answer(name, sdp)
    except (ValueError, InvalidAccessError, InvalidStateError, OperationError) as exc:
        raise SignallingRefused(
            "media.sdp_unusable",
            OFFER_UNUSABLE,
            params={"reason": str(exc)},
        ) from None
