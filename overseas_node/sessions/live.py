"""The node's running video sessions: a local room for the kiosk, an uplink to the hub, and the
node's own recording of its participant (kept even if the hub's recording fails)."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from common.clock import Clock
from common.db import Database
from common.errors import N_, Conflict, NotFound
from common.service import CLOCK, DB
from media import (
    EventLog,
    LoggedEvent,
    MediaRoom,
    Member,
    Segment,
    SessionRecorder,
    TokenIssuer,
    TurnSettings,
    Uplink,
)
from media.uplink import Close, Connect, Receive, Send
from overseas_node.intake.service import HUB
from overseas_node.sessions import crosscheck, evidence

__all__ = ["KIOSK", "KioskSession", "KioskSessions", "kiosk_sessions_ctx"]

log = logging.getLogger("qiaolink.node.sessions")


@dataclass
class KioskSession:
    room: MediaRoom
    uplink: Uplink
    kiosk: str


class KioskSessions:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        recordings: Path,
        turn: TurnSettings,
        issuer: TokenIssuer,
        hub_url: str,
        http: aiohttp.ClientSession,
    ) -> None:
        self.db, self.clock, self.recordings = db, clock, recordings
        self.turn, self.issuer = turn, issuer
        self.hub_url, self.http = hub_url.rstrip("/"), http
        self.sessions: dict[str, KioskSession] = {}

    def open(self, session_id: str, hub_token: str, kiosk: str) -> KioskSession:
        if session_id in self.sessions:
            raise Conflict("media.session_live", N_("This video session is already running."))
        directory = self.recordings / session_id
        directory.mkdir(parents=True, exist_ok=True)
        uplink: Uplink | None = None

        async def keep_segment(segment: Segment) -> None:
            await evidence.segment_closed(
                self.db, at=self.clock.now(), session_id=session_id, segment=segment
            )
            if uplink is not None:  # the hub keeps the hash in its sealed log as a witness
                notice = {"index": segment.index, "sha256": segment.sha256}
                tracks = list(segment.tracks)
                await uplink.announce({"kind": "segment_closed", **notice, "tracks": tracks})

        async def keep_event(entry: LoggedEvent) -> None:
            await evidence.event_logged(self.db, session_id=session_id, entry=entry)
            member = room.members.get(entry.participant)
            if uplink is not None and member is not None and member.link is not None:
                await uplink.forward(entry)  # the kiosk's own events go on to the hub

        async def published(member: Member) -> None:
            if member.name == kiosk and uplink is not None:
                uplink.start()

        room = MediaRoom(
            session_id,
            ice_servers=lambda name: self.turn.ice_servers(name, self.clock),
            events=EventLog(session_id, self.clock, sink=keep_event),
            recorder=SessionRecorder(directory, f"{session_id}-node", on_segment=keep_segment),
            record_only=lambda member: member.link is not None,  # our own participants only
            on_publish=published,
        )
        uplink = Uplink(
            room,
            kiosk,
            self._connector(session_id, hub_token),
            self.turn.ice_servers(f"uplink-{session_id}", self.clock),
        )
        session = self.sessions[session_id] = KioskSession(room, uplink, kiosk)
        return session

    def _connector(self, session_id: str, hub_token: str) -> Connect:
        url = f"{self.hub_url}/api/sessions/{session_id}/signal"

        async def connect() -> tuple[Receive, Send, Close]:
            try:
                ws = await self.http.ws_connect(url, params={"token": hub_token}, heartbeat=20)
            except aiohttp.ClientError as exc:
                raise ConnectionError(str(exc)) from exc

            async def receive() -> str | None:
                message = await ws.receive()
                return str(message.data) if message.type is aiohttp.WSMsgType.TEXT else None

            async def send(text: str) -> None:
                await ws.send_str(text)

            async def close() -> None:
                await ws.close()

            return receive, send, close

        return connect

    def get(self, session_id: str) -> KioskSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise NotFound("media.session_not_live", N_("This video session is not running."))
        return session

    async def end(self, session_id: str) -> list[Segment]:
        """End at the branch: the recording is closed first, so its last segment is announced
        to the hub while the uplink is still up; then the branch's manifest is queued."""
        session = self.get(session_id)
        del self.sessions[session_id]
        try:
            segments = await session.room.close()
        finally:
            await session.uplink.close()
        await self._send_manifest(session_id, session.uplink.peer.you or session.kiosk)
        return segments

    async def _send_manifest(self, session_id: str, participant: str) -> None:
        manifest = await asyncio.get_running_loop().run_in_executor(
            None,
            functools.partial(
                crosscheck.branch_manifest,
                self.recordings / session_id,
                session_id=session_id,
                participant=participant,
                segments=await evidence.segments_of(self.db, session_id),
            ),
        )
        async with self.db.transaction() as tx:
            await crosscheck.send_manifest(tx, hub=HUB, manifest=manifest, now=self.clock.now())

    async def close_all(self) -> None:
        for session_id in list(self.sessions):
            try:
                await self.end(session_id)
            except Exception:  # one broken session must not keep the others' files open
                log.exception("closing video session %s", session_id)


KIOSK = web.AppKey("kiosk_sessions", KioskSessions)


def kiosk_sessions_ctx(
    recordings: Path, hub_url: str, turn: TurnSettings
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        clock = app[CLOCK]
        issuer = TokenIssuer(secrets.token_bytes(32), clock)
        async with aiohttp.ClientSession() as http:
            app[KIOSK] = KioskSessions(app[DB], clock, recordings, turn, issuer, hub_url, http)
            yield
            await app[KIOSK].close_all()

    return ctx
