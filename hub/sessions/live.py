"""The hub's running video sessions: one room per open session, recorded to disk.

The room is on the media plane the settings name: Janus when ``QIAOLINK_MEDIA_JANUS_URLS`` lists
instances, else the in-process relay (the embedded default). Either way the hub keeps the
evidence: segments or named streams, sealed, and every media-plane failure in the audit log.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from common.clock import Clock
from common.db import Database
from common.errors import N_, NotFound
from hub.seal import HUB_SEAL, RecordingArchive
from hub.sessions import service
from hub.sessions.recording import seal_stream_recording
from media import (
    EventLog,
    LoggedEvent,
    MediaRoom,
    Segment,
    SessionRecorder,
    TokenIssuer,
    TurnSettings,
)
from media.config import MediaPlaneSettings
from media.janus import JanusPlane, RecordedStream
from media.plane import SessionMedia

__all__ = ["LIVE", "LiveSessions", "live_sessions_ctx"]

log = logging.getLogger("qiaolink.hub.sessions")


class LiveSessions:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        recordings: Path,
        turn: TurnSettings,
        issuer: TokenIssuer,
        archive: Callable[[], RecordingArchive | None] = lambda: None,
        plane: JanusPlane | None = None,
    ) -> None:
        self.archive = archive
        self.plane = plane  # None: the in-process relay
        self.db = db
        self.clock = clock
        self.recordings = recordings
        self.turn = turn
        self.issuer = issuer
        self.rooms: dict[str, SessionMedia] = {}

    def open(self, session_id: str) -> SessionMedia:
        """Start the session's room and recording (the session row exists already)."""
        directory = self.recordings / session_id
        directory.mkdir(parents=True, exist_ok=True)

        async def keep_segment(segment: Segment) -> None:
            at = self.clock.now()
            await service.add_segment(self.db, at=at, session_id=session_id, segment=segment)
            archive = self.archive()
            if archive is not None:  # evidence: encrypted at rest, its hash signed by the seal
                manifest = await asyncio.get_running_loop().run_in_executor(
                    None,
                    functools.partial(
                        archive.seal_file, segment.path, session_id=session_id, at=at
                    ),
                )
                await service.sealed_segment(
                    self.db, at=at, session_id=session_id, segment=segment, manifest=manifest
                )

        async def keep_event(entry: LoggedEvent) -> None:
            await service.log_event(self.db, session_id=session_id, entry=entry)

        events = EventLog(session_id, self.clock, sink=keep_event)
        room: SessionMedia
        if self.plane is not None:
            room = self.plane.open_room(
                session_id,
                events=events,
                clock=self.clock,
                ice_servers=lambda name: self.turn.ice_servers(name, self.clock),
                directory=directory,
                on_recording=functools.partial(self._keep_streams, session_id, keep_segment),
                on_failure=functools.partial(self._keep_failure, session_id),
            )
            self.rooms[session_id] = room
            return room
        room = MediaRoom(
            session_id,
            ice_servers=lambda name: self.turn.ice_servers(name, self.clock),
            events=events,
            recorder=SessionRecorder(directory, session_id, on_segment=keep_segment),
        )
        self.rooms[session_id] = room
        return room

    async def _keep_streams(
        self,
        session_id: str,
        keep_segment: Callable[[Segment], Awaitable[None]],
        streams: list[RecordedStream],
    ) -> None:
        """Janus's named streams: each kept as a segment of the session, then all sealed
        under one manifest that says whose stream is whose."""
        at = self.clock.now()
        for index, stream in enumerate(streams):
            label = f"{stream.participant}/{stream.kind}"
            segment = Segment(index, stream.path, stream.sha256, (label,), 0, 0)
            await service.add_segment(self.db, at=at, session_id=session_id, segment=segment)
        archive = self.archive()
        if archive is None or not streams:
            return
        manifest = await asyncio.get_running_loop().run_in_executor(
            None,
            functools.partial(
                seal_stream_recording, archive, streams, session_id=session_id, at=at
            ),
        )
        labels = [f"{s.participant}/{s.kind}" for s in streams]
        await service.streams_sealed(
            self.db, at=at, session_id=session_id, manifest=manifest, streams=labels
        )

    async def _keep_failure(self, session_id: str, code: str, detail: str) -> None:
        await service.plane_failed(
            self.db, at=self.clock.now(), session_id=session_id, code=code, detail=detail
        )

    def room(self, session_id: str) -> SessionMedia:
        room = self.rooms.get(session_id)
        if room is None or room.closed:
            raise NotFound("media.session_not_live", N_("This video session is not running."))
        return room

    async def end(self, session_id: str) -> None:
        room = self.rooms.pop(session_id, None)
        if room is not None:
            await room.close()

    async def close_all(self) -> None:
        for session_id in list(self.rooms):
            try:
                await self.end(session_id)
            except Exception:  # one broken room must not keep the others' files open
                log.exception("closing video session %s", session_id)


LIVE = web.AppKey("live_sessions", LiveSessions)


def live_sessions_ctx(
    recordings: Path,
    turn: TurnSettings,
    clock_key: web.AppKey[Clock],
    media: MediaPlaneSettings | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context: sessions start with the app and are all closed (files and all) at exit.

    Tokens are signed with a key made at start-up: they admit a first join for minutes and a
    rejoin while the session runs, so a restart simply asks participants to be invited again.
    """
    from common.service import DB

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        clock = app[clock_key]
        issuer = TokenIssuer(secrets.token_bytes(32), clock)
        plane = None
        if media is not None and media.janus_urls:
            plane = JanusPlane(
                media.janus_urls, timeout=media.janus_timeout_s, keepalive=media.keepalive_s
            )
            await plane.start()
        app[LIVE] = LiveSessions(
            app[DB],
            clock,
            recordings,
            turn,
            issuer,
            archive=lambda: seal.archive if (seal := app.get(HUB_SEAL)) else None,
            plane=plane,
        )
        yield
        await app[LIVE].close_all()
        if plane is not None:
            await plane.close()

    return ctx
