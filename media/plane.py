"""The media plane: what the hub's sessions need from whatever carries their packets.

Two implementations sit behind :class:`SessionMedia`: the in-process aiortc relay
(:class:`media.room.MediaRoom`, the embedded default with no Janus around) and the Janus
VideoRoom (:class:`media.janus.room.JanusRoom`, in production and in the tests). The hub keeps
signalling, tokens, roles and evidence either way; a plane only moves and records media.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from aiortc.mediastreams import MediaStreamTrack
from pydantic import BaseModel

from media.errors import N_, MediaError
from media.events import EventLog, LoggedEvent
from media.signalling import encode

__all__ = [
    "PlaneFailed",
    "Receive",
    "Send",
    "SessionMedia",
    "depart",
    "resend",
    "tell",
    "welcome",
]

log = logging.getLogger("qiaolink.media")

Send = Callable[[str], Awaitable[None]]
Receive = Callable[[], Awaitable[str | None]]


async def depart(leaving: Awaitable[None]) -> None:
    """Run a member's departure to its end even when the socket's handler is cancelled meanwhile
    (a server may cancel the handler of a client that went away; aiohttp's test server does):
    half a departure leaves the member's tracks published, the recording's segment open and the
    others untold. The handler's cancellation is raised once the departure is done."""
    task = asyncio.ensure_future(leaving)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


def welcome(session_id: str, you: str, plane: str, participants: list[dict[str, str]]) -> str:
    """The first message on a member's socket: who it is, who is there, which plane."""
    return encode("welcome", session=session_id, you=you, plane=plane, participants=participants)


async def tell(name: str, send: Send | None, text: str) -> None:
    """Send on a member's socket; a socket that just closed is the member leaving."""
    if send is None:
        return
    try:
        await send(text)
    except (ConnectionError, RuntimeError):
        log.info("signalling socket of %s closed while telling it %s", name, text[:40])


async def resend(name: str, send: Send | None, events: EventLog, since: int) -> None:
    """The session's events after ``since`` again, in order, to a member back on a new socket
    (what was sent on the old one as it closed is lost with it)."""
    for entry in events.entries[since:]:
        await tell(name, send, encode("event", entry=entry.as_json()))


class PlaneFailed(MediaError):
    """The media plane cannot carry the session right now (Janus down, its room gone)."""

    status = 503

    @classmethod
    def unavailable(cls) -> PlaneFailed:
        return cls(
            "media.plane_unavailable",
            N_("The video service cannot be reached. Please try again in a moment."),
        )

    @classmethod
    def room_gone(cls) -> PlaneFailed:
        return cls("media.room_gone", N_("The video room was lost. Please join the session again."))


class SessionMedia(Protocol):
    """One running session's media, as the hub's routes use it."""

    session_id: str
    events: EventLog
    closed: bool

    def present(self) -> list[str]:
        """Who is in the session now."""
        ...

    def has_joined(self, participant: str) -> bool:
        """Whether ``participant`` has been in this session (a rejoin is then allowed)."""
        ...

    async def serve(self, name: str, role: str, receive: Receive, send: Send) -> None:
        """One member's signalling until it leaves or its socket closes."""
        ...

    async def post_event(self, participant: str, event: BaseModel) -> LoggedEvent:
        """Append an event to the session log and tell every member."""
        ...

    def watch(self, participant: str) -> AbstractAsyncContextManager[MediaStreamTrack | None]:
        """A decoded video track of ``participant`` for the hub to look at (frame taps)."""
        ...

    async def close(self) -> object:
        """End the session: connections closed, the recording finished and handed over."""
        ...
