"""One session's media in a Janus VideoRoom: members publish into it and subscribe to the others.

Signalling (the same socket and messages as the in-process relay, ``welcome`` saying
``plane: "janus"``): a member offers its own tracks on one connection and gets Janus's answer;
once Janus says a publisher's media is up, every other member is offered a fresh subscription
to everyone publishing (``offer`` from us, with which ``mid`` carries whom) and answers it.
One subscription offer is outstanding per member; a change meanwhile is offered after it.
Events travel on the signalling socket: Janus never sees them.

Janus records each published stream; :meth:`JanusRoom.close` converts and names them. A lost
Janus instance is a clear error to every member, who then publishes again: the room is made
anew on another instance at that next join.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc import RTCIceServer, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from pydantic import BaseModel

from media.clock import Clock
from media.errors import N_, MediaError
from media.events import EventLog, LoggedEvent, check_may_post
from media.janus.api import JanusHandle, JanusRefused, JanusSession, JanusUnavailable
from media.janus.recording import Publication, RecordedStream, convert_recordings
from media.peers import PeerLink
from media.plane import PlaneFailed, Receive, Send, depart, resend, tell, welcome
from media.signalling import (
    OFFER_UNUSABLE,
    Answer,
    EventMessage,
    Leave,
    Offer,
    Resume,
    SignallingRefused,
    encode,
    parse_message,
)

__all__ = ["JanusRoom", "Pick"]

log = logging.getLogger("qiaolink.media.janus")
NO_SUCH_ROOM, NO_SUCH_SESSION = 426, 458
UP_WITHIN = 20.0
Pick = Callable[[str | None], Awaitable[tuple[str, JanusSession]]]
IceServers = Sequence[RTCIceServer] | Callable[[str], Sequence[RTCIceServer]]
OnRecording = Callable[[list[RecordedStream]], Awaitable[None]]
OnFailure = Callable[[str, str], Awaitable[None]]


@dataclass
class _Member:
    name: str
    role: str
    send: Send | None
    publication: Publication | None = None
    publisher: JanusHandle | None = None
    subscriber: JanusHandle | None = None
    offered: JanusHandle | None = None  # a subscription offered, its answer not yet in
    offering: bool = False  # an offer is being made or awaits its answer
    again: bool = False  # the publishers changed meanwhile: offer again after it
    streams: list[dict[str, str]] = field(default_factory=list)


class JanusRoom:
    def __init__(
        self,
        session_id: str,
        *,
        pick: Pick,
        events: EventLog,
        clock: Clock,
        ice_servers: IceServers = (),
        directory: Path | None = None,
        on_recording: OnRecording | None = None,
        on_failure: OnFailure | None = None,
    ) -> None:
        self.session_id = session_id
        self.pick = pick  # an instance for the room: the pinned one, or another if it is lost
        self.events = events
        self.clock = clock
        self.ice_servers = ice_servers
        self.directory = directory  # recorded into when set
        self.on_recording = on_recording
        self.on_failure = on_failure  # told (code, detail) of every media-plane failure
        self.room_id = secrets.randbelow(2**52) + 1
        self.instance: str | None = None
        self.janus: JanusSession | None = None
        self.members: dict[str, _Member] = {}
        self.publications: dict[int, Publication] = {}
        self.joined: set[str] = set()
        self.closed = False
        self.streams: list[RecordedStream] = []
        self._control: JanusHandle | None = None
        self._feeds = itertools.count(1)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the SessionMedia interface ------------------------------------------------------

    def present(self) -> list[str]:
        return sorted(self.members)

    def has_joined(self, participant: str) -> bool:
        return participant in self.joined

    async def serve(self, name: str, role: str, receive: Receive, send: Send) -> None:
        member = self.members.get(name) or _Member(name, role, send)
        member.send = send
        self.members[name] = member
        self.joined.add(name)
        await send(welcome(self.session_id, name, "janus", self.others(name)))
        try:
            while (raw := await receive()) is not None:
                try:
                    if not await self._handle(member, raw):
                        break
                except MediaError as exc:
                    await send(
                        encode("error", code=exc.code, message=exc.message, params=exc.params)
                    )
        finally:
            if self.members.get(name) is member and member.send is send:
                await depart(self._leave(member))

    async def post_event(self, participant: str, event: BaseModel) -> LoggedEvent:
        entry = await self.events.append(participant, event)
        for member in list(self.members.values()):
            await self._tell(member, encode("event", entry=entry.as_json()))
        return entry

    @contextlib.asynccontextmanager
    async def watch(self, participant: str) -> AsyncIterator[MediaStreamTrack | None]:
        """The hub's own aiortc subscription to ``participant``'s video alone."""
        member = self.members.get(participant)
        publication = member.publication if member is not None else None
        if publication is None or not publication.live or "video" not in publication.mids:
            yield None
            return
        janus = await self._ensure()
        handle = await self._attach(janus)
        servers = self.ice_servers("hub") if callable(self.ice_servers) else self.ice_servers
        link = PeerLink(servers, name="hub")
        try:
            body = {"feed": publication.feed, "mid": publication.mids["video"]}
            _, jsep = await self._send(
                handle,
                {"request": "join", "ptype": "subscriber", "room": self.room_id, "streams": [body]},
            )
            tracks: list[MediaStreamTrack] = []
            link.pc.on("track", tracks.append)
            await link.pc.setRemoteDescription(RTCSessionDescription(_sdp(jsep), "offer"))
            await link.pc.setLocalDescription(await link.pc.createAnswer())
            answer = {"type": "answer", "sdp": link.pc.localDescription.sdp, "trickle": False}
            await self._send(handle, {"request": "start"}, answer)
            yield next((t for t in tracks if t.kind == "video"), None)
        finally:
            await link.close()
            await handle.detach()

    async def close(self) -> list[RecordedStream]:
        """Every member out, the Janus room destroyed, its recordings converted and named."""
        self.closed = True
        ended = self.clock.now()
        for member in list(self.members.values()):
            self._end(member.publication, ended)
            for handle in (member.publisher, member.subscriber, member.offered):
                if handle is not None:
                    await handle.detach()
        self.members.clear()
        if self._control is not None and self.janus is not None and self.janus.lost is None:
            try:
                await self._control.send({"request": "destroy", "room": self.room_id})
            except (JanusRefused, JanusUnavailable) as exc:
                log.warning("destroying the room of %s: %s", self.session_id, exc)
            await self._control.detach()
        for task in list(self._tasks):
            task.cancel()
        if self.directory is not None and self.publications:
            self.streams = await convert_recordings(
                self.directory,
                self.room_id,
                self.publications,
                session_id=self.session_id,
                ended=ended,
            )
            if self.on_recording is not None:
                await self.on_recording(self.streams)
        return self.streams

    def others(self, name: str) -> list[dict[str, str]]:
        return [
            {"participant": m.name, "role": m.role} for m in self.members.values() if m.name != name
        ]

    # --- signalling ---------------------------------------------------------------------

    async def _handle(self, member: _Member, raw: str) -> bool:
        """Act on one message; ``False`` when the member leaves."""
        message = parse_message(raw)
        if isinstance(message, Offer):
            sdp = await self._publish(member, message.sdp)
            await self._tell(member, encode("answer", sdp=sdp, streams=[]))
            if member.subscriber is None:  # a newcomer: receive whoever is there already
                await self._subscribe(member)
        elif isinstance(message, Answer):
            await self._accept(member, message.sdp)
        elif isinstance(message, EventMessage):
            check_may_post(member.role, message.event)
            await self.post_event(member.name, message.event)
        elif isinstance(message, Resume):
            await resend(member.name, member.send, self.events, message.since)
        elif isinstance(message, Leave):
            return False
        return True

    async def _publish(self, member: _Member, sdp: str) -> str:
        """Janus's answer to the member's offer, on a new publisher handle; the member's
        previous publication (a rebuilt connection) ends once the new one is accepted."""
        janus = await self._ensure()
        feed = next(self._feeds)
        handle = await self._attach(janus)
        offer = {"type": "offer", "sdp": sdp, "trickle": False}
        try:
            await self._send(
                handle,
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": self.room_id,
                    "id": feed,
                    "display": member.name,
                },
            )
            data, jsep = await self._send(
                handle, {"request": "configure", "audio": True, "video": True}, offer
            )
            answer = _sdp(jsep)
            mids = {
                str(s["type"]): str(s["mid"])
                for s in data.get("streams", [])
                if s.get("type") in ("audio", "video") and s.get("codec")
            }
            if not mids:  # Janus took none of the offered media: no codec in common
                raise SignallingRefused("media.sdp_unusable", OFFER_UNUSABLE)
        except MediaError:
            await handle.detach()
            raise
        await self._unpublish(member)
        publication = Publication(feed, member.name, member.role, mids=mids)
        self.publications[feed] = publication
        member.publication, member.publisher = publication, handle
        handle.on_event = lambda event: self._publisher_event(member, publication, event)
        self._spawn(self._await_up(member, publication, handle))
        return answer

    async def _await_up(
        self, member: _Member, publication: Publication, handle: JanusHandle
    ) -> None:
        try:
            await handle.webrtc_up(UP_WITHIN)
        except JanusUnavailable as exc:
            await self._failed(member, "media.plane_unavailable", str(exc))
            return
        if member.publication is publication and publication.end is None:
            publication.start = self.clock.now()
            await self._resubscribe(except_=member.name)

    def _publisher_event(
        self, member: _Member, publication: Publication, event: dict[str, Any]
    ) -> None:
        kind = event.get("janus")
        destroyed = event.get("plugindata", {}).get("data", {}).get("videoroom") == "destroyed"
        if kind == "lost" or destroyed:  # the instance or the room: everyone starts again
            self._spawn(self._room_lost(str(event.get("reason", "the room was destroyed"))))
        elif kind == "hangup" and member.publication is publication:
            self._end(publication, self.clock.now())
            member.publication = member.publisher = None
            self._spawn(self._publisher_lost(member))

    async def _publisher_lost(self, member: _Member) -> None:
        """The member's connection to Janus ended: it publishes again, the others drop it."""
        await self._tell(member, encode("rebuild", reason="connection-failed"))
        await self._resubscribe(except_=member.name)

    async def _room_lost(self, reason: str) -> None:
        """The room is gone (destroyed, or its instance lost): every member is told why and
        publishes again, which makes the room anew (on another instance if this one is lost)."""
        if self._control is None:
            return  # already being made again
        self._control = None
        await self._report("media.room_gone", reason)
        now = self.clock.now()
        for member in list(self.members.values()):
            self._end(member.publication, now)
            for handle in (member.publisher, member.subscriber, member.offered):
                if handle is not None:
                    handle.on_event = None
                    await handle.detach()
            member.publication = member.publisher = member.subscriber = member.offered = None
            member.again = member.offering = False
            await self._failed(member, "media.room_gone", reason)
            await self._tell(member, encode("rebuild", reason="room-gone"))

    async def _resubscribe(self, except_: str | None = None) -> None:
        for other in list(self.members.values()):
            if other.name != except_:
                await self._subscribe(other)

    async def _subscribe(self, member: _Member) -> None:
        """Offer ``member`` a fresh subscription to everyone else publishing; while one offer
        is being made or awaits its answer, a change is noted and offered after it."""
        if member.offering:
            member.again = True
            return
        member.offering = True
        try:
            offered = await self._offer(member)
        except PlaneFailed as exc:
            await self._failed(member, exc.code, str(exc))
            offered = False
        if not offered:
            await self._offer_done(member)

    async def _offer(self, member: _Member) -> bool:
        """Make and send the offer; ``False`` when there is nothing to offer."""
        feeds = {
            m.publication.feed: m.publication
            for m in self.members.values()
            if m.name != member.name and m.publication is not None and m.publication.live
        }
        if not feeds:
            if member.subscriber is not None:
                await member.subscriber.detach()
                member.subscriber = None
            return False
        handle = await self._attach(await self._ensure())
        body = {"request": "join", "ptype": "subscriber", "room": self.room_id}
        try:
            data, jsep = await self._send(handle, {**body, "streams": [{"feed": f} for f in feeds]})
            offer = _sdp(jsep)
        except MediaError as exc:
            await handle.detach()
            await self._failed(member, exc.code, str(exc))
            return False
        streams = [
            {
                "mid": str(s["mid"]),
                "participant": feeds[s["feed_id"]].participant,
                "role": feeds[s["feed_id"]].role,
                "kind": str(s["type"]),
            }
            for s in data.get("streams", [])
            if s.get("feed_id") in feeds and s.get("type") in ("audio", "video")
        ]
        member.offered, member.streams = handle, streams
        others = self.others(member.name)
        await self._tell(member, encode("offer", sdp=offer, streams=streams, participants=others))
        return True

    async def _offer_done(self, member: _Member) -> None:
        member.offering = False
        if member.again and member.name in self.members:
            member.again = False
            await self._subscribe(member)

    async def _accept(self, member: _Member, sdp: str) -> None:
        handle, member.offered = member.offered, None
        if handle is None:
            raise SignallingRefused("media.no_offer", N_("There is no offer to answer."))
        answer = {"type": "answer", "sdp": sdp, "trickle": False}
        try:
            await self._send(handle, {"request": "start"}, answer)
        except MediaError:
            await handle.detach()
            await self._offer_done(member)
            raise
        old, member.subscriber = member.subscriber, handle
        if old is not None:
            await old.detach()
        await self._offer_done(member)

    async def _leave(self, member: _Member) -> None:
        self.members.pop(member.name, None)
        await self._unpublish(member, resubscribe=False)
        for handle in (member.subscriber, member.offered):
            if handle is not None:
                await handle.detach()
        member.subscriber = member.offered = None
        for other in list(self.members.values()):
            await self._tell(
                other,
                encode("peer-left", participant=member.name, participants=self.others(other.name)),
            )
        await self._resubscribe()

    async def _unpublish(self, member: _Member, *, resubscribe: bool = True) -> None:
        publication, handle = member.publication, member.publisher
        member.publication = member.publisher = None
        if handle is not None:
            handle.on_event = None
            await handle.detach()
        if publication is not None:
            was_live = publication.live
            self._end(publication, self.clock.now())
            if was_live and resubscribe:
                await self._resubscribe(except_=member.name)

    # --- the Janus instance -------------------------------------------------------------

    async def _ensure(self) -> JanusSession:
        """The room's Janus session; the room made (again, elsewhere) if there is none."""
        async with self._lock:
            if self.janus is not None and self.janus.lost is None and self._control is not None:
                return self.janus
            moved = self.janus is not None
            try:
                self.instance, self.janus = await self.pick(self.instance)
                self._control = await self.janus.attach()
                await self._control.send(
                    {
                        "request": "create",
                        "room": self.room_id,
                        "publishers": 16,
                        "audiocodec": "opus",
                        "videocodec": "vp8",
                        "record": self.directory is not None,
                        "rec_dir": str(self.directory or ""),
                    }
                )
            except (JanusUnavailable, JanusRefused) as exc:
                self._control = None
                await self._report("media.plane_unavailable", str(exc))
                raise PlaneFailed.unavailable() from None
            if moved:
                await self._report("media.room_moved", f"room now on {self.instance}")
            return self.janus

    async def _attach(self, janus: JanusSession) -> JanusHandle:
        try:
            return await janus.attach()
        except (JanusUnavailable, JanusRefused) as exc:
            await self._report("media.plane_unavailable", str(exc))
            raise PlaneFailed.unavailable() from None

    async def _send(
        self, handle: JanusHandle, body: dict[str, Any], jsep: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A VideoRoom request; Janus's failures become our errors (and the audit's)."""
        try:
            return await handle.send(body, jsep)
        except JanusUnavailable as exc:
            await self._report("media.plane_unavailable", str(exc))
            raise PlaneFailed.unavailable() from None
        except JanusRefused as exc:
            if exc.code in (NO_SUCH_ROOM, NO_SUCH_SESSION):
                await self._room_lost(str(exc))  # made again at the next join
                raise PlaneFailed.room_gone() from None
            if jsep is not None:
                raise SignallingRefused(
                    "media.sdp_unusable",
                    OFFER_UNUSABLE,
                    params={"reason": exc.reason},
                ) from None
            await self._report("media.plane_refused", str(exc))
            raise PlaneFailed(
                "media.plane_refused",
                N_("The video service refused this request."),
                params={"reason": exc.reason},
            ) from None

    # --- small helpers ------------------------------------------------------------------

    def _end(self, publication: Publication | None, at: Any) -> None:
        if publication is not None and publication.end is None:
            publication.end = at

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(self, code: str, detail: str) -> None:
        log.warning("session %s: %s %s", self.session_id, code, detail)
        if self.on_failure is not None:
            await self.on_failure(code, detail)

    async def _failed(self, member: _Member, code: str, detail: str) -> None:
        """A failure the member's page must show (it was reported where it happened)."""
        error = PlaneFailed.room_gone() if code == "media.room_gone" else PlaneFailed.unavailable()
        await self._tell(member, encode("error", code=error.code, message=error.message, params={}))

    async def _tell(self, member: _Member, text: str) -> None:
        await tell(member.name, member.send, text)


def _sdp(jsep: dict[str, Any] | None) -> str:
    if not jsep or not isinstance(jsep.get("sdp"), str):
        raise SignallingRefused(
            "media.sdp_unusable", N_("The video service answered without a session description.")
        )
    return str(jsep["sdp"])
