"""A consultation's video session, run by the hub's video sessions: open, invite, end.

The session is recorded like every other; whether the consultation was held is read from that
evidence: held when the resident's tracks are in the recording, missed when they never were.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.errors import N_, Conflict, DomainError
from common.service import CLOCK, DB, audit
from hub.consultation import service
from hub.consultation.model import SESSION_GRACE, State
from hub.consultation.tables import Consultation
from hub.sessions import service as video
from hub.sessions.live import LIVE

__all__ = ["RESIDENT", "close_session", "open_session", "resident_invitation", "session_people"]

RESIDENT = "resident"  # the resident's name in the session (their identity stays private)
KIND = "consultation"


def _invitation(request: web.Request, session_id: str, role: str, name: str) -> dict[str, str]:
    token = request.app[LIVE].issuer.issue(session_id, role, name)
    return {
        "session_id": session_id,
        "participant": name,
        "role": role,
        "token": token,
        "page": f"/media/session?session={session_id}&token={token}",
        "signal": f"/api/sessions/{session_id}/signal?token={token}",
    }


def _participant(username: str) -> str:
    """The consultant's participant name in the session (the page shows their own name)."""
    return username.replace(".", "-")


async def session_people(tx: AsyncSession, number: str) -> list[dict[str, str]]:
    """The consultant by name and the resident by theirs, as the session page shows them."""
    c = await tx.scalar(select(Consultation).where(Consultation.number == number))
    if c is None:
        return []
    names = await service.staff_names(tx, {c.consultant})
    consultant = {
        "participant": _participant(c.consultant),
        "name": names.get(c.consultant, c.consultant),
        "role": "consultant",
    }
    return [consultant, {"participant": RESIDENT, "name": c.resident_name, "role": "resident"}]


def _running(request: web.Request, c: Consultation) -> bool:
    room = request.app[LIVE].rooms.get(c.video_session_id or "")
    return room is not None and not room.closed


def _not_open() -> Conflict:
    return Conflict(
        "consultation.session_not_open",
        N_("The video session is not open yet; it opens at the booked time."),
    )


async def open_session(request: web.Request, number: str, actor: Principal) -> dict[str, Any]:
    """Open (or, while it runs, rejoin) the session; the consultant's invitation."""
    db, live, now = request.app[DB], request.app[LIVE], request.app[CLOCK].now()
    async with db.sessions() as session:
        c = await service.load(session, number)
        booking = await service.booking_of(session, c)
    service.check_open(c, booking, actor, now)
    role = actor.role.value
    if c.video_session_id and _running(request, c):
        return _invitation(request, c.video_session_id, role, _participant(actor.subject))
    if c.video_session_id:  # its room is gone (the hub restarted): close it, open another
        with contextlib.suppress(DomainError):
            await video.end_session(db, at=now, actor=actor, session_id=c.video_session_id)
    session_id = secrets.token_hex(8)
    await video.open_session(
        db, at=now, actor=actor, session_id=session_id, case_id=c.number, kind=KIND
    )
    live.open(session_id)
    try:
        async with db.transaction() as tx:
            c = await service.load(tx, number, lock=True)
            service.check_open(c, booking, actor, now)  # nobody moved it meanwhile
            c.video_session_id, c.opened_at = session_id, c.opened_at or now
            detail = {"session": session_id, "on_time": now <= booking.starts_at + SESSION_GRACE}
            await audit(request, tx, "consultation.session_opened", service.subject(c), detail)
    except BaseException:
        await live.end(session_id)
        with contextlib.suppress(DomainError):
            await video.end_session(db, at=now, actor=actor, session_id=session_id)
        raise
    return _invitation(request, session_id, role, _participant(actor.subject))


def resident_invitation(request: web.Request, c: Consultation) -> dict[str, str]:
    if c.state != State.BOOKED.value:
        raise Conflict(
            "consultation.session_over",
            N_("The video session of this consultation has already taken place."),
        )
    if not c.video_session_id or not _running(request, c):
        raise _not_open()
    return _invitation(request, c.video_session_id, "resident", RESIDENT)


async def close_session(request: web.Request, number: str, actor: Principal) -> Consultation:
    """End the running session; the recording decides between held and missed."""
    db, now = request.app[DB], request.app[CLOCK].now()
    async with db.sessions() as session:
        c = await service.load(session, number)
    service.require_consultant(c, actor)
    if c.state != State.BOOKED.value:
        raise Conflict(
            "consultation.session_over",
            N_("The video session of this consultation has already taken place."),
        )
    session_id = c.video_session_id
    if not session_id:
        raise _not_open()
    await request.app[LIVE].end(session_id)  # the last segment is closed and stored
    found = await video.load_session(db, session_id)
    if found["state"] != "ended":
        await video.end_session(db, at=now, actor=actor, session_id=session_id)
    tracks = [t for segment in found["segments"] for t in segment["tracks"]]
    async with db.transaction() as tx:
        c = await service.load(tx, number, lock=True)
        outcome = service.finish(c, tracks=tracks, resident=RESIDENT, now=now)
        detail = {"session": session_id, "segments": len(found["segments"])}
        await audit(request, tx, f"consultation.{outcome.value}", service.subject(c), detail)
    return c
