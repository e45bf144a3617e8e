"""The hub's running video sessions: one MediaRoom per open session, recorded to disk."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web

from common.clock import Clock
from common.db import Database
from common.errors import N_, NotFound
from hub.seal import HUB_SEAL, RecordingArchive
from hub.sessions import service
from media import (
    EventLog,
    LoggedEvent,
    MediaRoom,
    Segment,
    SessionRecorder,
    TokenIssuer,
    TurnSettings,
)

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
    ) -> None:
        self.archive = archive
        self.db = db
        self.clock = clock
        self.recordings = recordings
        self.turn = turn
        self.issuer = issuer
        self.rooms: dict[str, MediaRoom] = {}

    def open(self, session_id: str) -> MediaRoom:
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

        room = MediaRoom(
            session_id,
            ice_servers=lambda name: self.turn.ice_servers(name, self.clock),
            events=EventLog(session_id, self.clock, sink=keep_event),
            recorder=SessionRecorder(directory, session_id, on_segment=keep_segment),
        )
        self.rooms[session_id] = room
        return room

    def room(self, session_id: str) -> MediaRoom:
        room = self.rooms.get(session_id)
        if room is None or room.closed:
            raise NotFound("media.session_not_live", N_("This video session is not running."))
        return room

    async def end(self, session_id: str) -> list[Segment]:
        room = self.rooms.pop(session_id, None)
        return await room.close() if room is not None else []

    async def close_all(self) -> None:
        for session_id in list(self.rooms):
            try:
                await self.end(session_id)
            except Exception:  # one broken room must not keep the others' files open
                log.exception("closing video session %s", session_id)


LIVE = web.AppKey("live_sessions", LiveSessions)


def live_sessions_ctx(
    recordings: Path, turn: TurnSettings, clock_key: web.AppKey[Clock]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context: sessions start with the app and are all closed (files and all) at exit.

    Tokens are signed with a key made at start-up: they live minutes, so a restart simply
    asks participants to be invited again.
    """
    from common.service import DB

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        clock = app[clock_key]
        issuer = TokenIssuer(secrets.token_bytes(32), clock)
        app[LIVE] = LiveSessions(
            app[DB],
            clock,
            recordings,
            turn,
            issuer,
            archive=lambda: seal.archive if (seal := app.get(HUB_SEAL)) else None,
        )
        yield
        await app[LIVE].close_all()

    return ctx
