"""Opening and ending video sessions, and keeping their evidence: segments and event log."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from common.access import Principal, Role
from common.audit import record
from common.db import Database
from common.errors import N_, Conflict, NotFound
from hub.accounts.tables import Staff
from hub.db import audit_events
from hub.sessions.tables import RecordedSegment, VideoSession
from media import LoggedEvent, Segment

__all__ = [
    "NO_STAFF",
    "StaffOf",
    "Staffing",
    "add_segment",
    "audit_details",
    "crosscheck_of",
    "end_session",
    "joinable",
    "load_session",
    "log_event",
    "open_session",
    "plane_failed",
    "reachable",
    "record_offices",
    "recording_flags",
    "require_assigned",
    "session_record",
    "streams_sealed",
    "subject",
]


# who is assigned to a case or act, and the offices it belongs to
Staffing = tuple[set[str], set[str]]
NO_STAFF: Staffing = (set(), set())
# the lookup of one kind of session's case or act (by its number) in the caller's transaction;
# NO_STAFF when there is no such record
StaffOf = Callable[[Any, str], Awaitable[Staffing]]


def subject(session_id: str) -> str:
    return f"video_session:{session_id}"


async def open_session(
    db: Database, *, at: datetime, actor: Principal, session_id: str, case_id: str, kind: str
) -> VideoSession:
    async with db.transaction() as tx:
        session = VideoSession(
            id=session_id,
            case_id=case_id,
            kind=kind,
            state="open",
            created_by=actor.subject,
            created_at=at,
        )
        tx.add(session)
        await record(
            tx,
            audit_events,
            at=at,
            actor=actor,
            action="media.session_opened",
            subject=subject(session_id),
            detail={"case_id": case_id, "kind": kind},
        )
    return session


async def _open_session(tx: Any, session_id: str) -> VideoSession:
    session = await tx.get(VideoSession, session_id)
    if session is None:
        raise NotFound("media.session_unknown", N_("There is no such video session."))
    return session  # type: ignore[no-any-return]


async def _record_staff(
    tx: Any, kind: str, number: str, staff_of: Mapping[str, StaffOf]
) -> Staffing:
    """Who is assigned to the session's case or act, and the offices it belongs to."""
    lookup = staff_of.get(kind)
    return await lookup(tx, number) if lookup is not None else NO_STAFF


async def record_offices(
    tx: Any, kind: str, number: str, staff_of: Mapping[str, StaffOf]
) -> set[str]:
    """The offices the session's case or act belongs to (empty if it names none we hold)."""
    return (await _record_staff(tx, kind, number, staff_of))[1]


async def require_assigned(
    db: Database, principal: Principal, *, kind: str, number: str, staff_of: Mapping[str, StaffOf]
) -> None:
    """Only staff assigned to the case or act open a session for it: anyone else, or a number
    we do not hold, is told there is no such record (404), the answer the record's own routes
    give an unassigned caller."""
    async with db.transaction() as tx:
        staff, _offices = await _record_staff(tx, kind, number, staff_of)
    if principal.subject not in staff:
        raise NotFound("media.no_record", N_("There is no such case or act."))


async def _overseen_offices(tx: Any, staff: set[str], offices: set[str]) -> set[str]:
    """The offices whose supervisor oversees the record: its own, and those of its staff."""
    rows = await tx.scalars(select(Staff.office_code).where(Staff.username.in_(staff)))
    return offices | set(rows.all())


async def reachable(
    db: Database, session_id: str, principal: Principal, staff_of: Mapping[str, StaffOf]
) -> VideoSession:
    """The session if ``principal`` may reach it at all; else 404, as for an unknown one.

    A session inherits its scope from its case or act: reachable by the staff who opened it,
    the staff assigned to the case or act, the supervisor of the record's office or of its
    staff's office, and auditors (the last two only read: their roles are admitted to reading
    routes only); ``staff_of`` says, per kind of session, who its staff and offices are. Every
    API route and HTML page naming a session calls this before anything else and lets the
    NotFound through, so an unassigned caller cannot tell a foreign session from none.
    """
    async with db.transaction() as tx:
        session = await _open_session(tx, session_id)
        if principal.role is Role.AUDITOR or principal.subject == session.created_by:
            return session
        staff, offices = await _record_staff(tx, session.kind, session.case_id, staff_of)
        if principal.subject in staff:
            return session
        if principal.role is Role.SUPERVISOR:
            if principal.branch in await _overseen_offices(tx, staff, offices):
                return session
    raise NotFound("media.session_unknown", N_("There is no such video session."))


async def joinable(
    db: Database, session_id: str, principal: Principal, staff_of: Mapping[str, StaffOf]
) -> VideoSession:
    """The session if ``principal`` may take part in it live; else 404, as for an unknown one.

    Hosts follow :func:`reachable`; the branch's clerk and its node take part in the sessions
    of their own branch's records only."""
    if principal.role not in (Role.CLERK, Role.NODE):
        return await reachable(db, session_id, principal, staff_of)
    async with db.transaction() as tx:
        session = await _open_session(tx, session_id)
        if principal.branch in await record_offices(tx, session.kind, session.case_id, staff_of):
            return session
    raise NotFound("media.session_unknown", N_("There is no such video session."))


async def add_segment(db: Database, *, at: datetime, session_id: str, segment: Segment) -> None:
    """A closed, hashed segment of the recording becomes part of the session's evidence."""
    async with db.transaction() as tx:
        await _open_session(tx, session_id)
        tx.add(
            RecordedSegment(
                session_id=session_id,
                idx=segment.index,
                file_name=segment.path.name,
                sha256=segment.sha256,
                tracks=json.dumps(list(segment.tracks)),
                frames=segment.frames,
                closed_at=at,
            )
        )
        await record(
            tx,
            audit_events,
            at=at,
            actor="recorder",
            action="media.segment_closed",
            subject=subject(session_id),
            detail={"index": segment.index, "sha256": segment.sha256, "tracks": segment.tracks},
        )


async def _audit(
    db: Database, *, at: datetime, actor: str, action: str, session_id: str, detail: dict[str, Any]
) -> None:
    """One audit entry about the session, in its own transaction."""
    async with db.transaction() as tx:
        await record(
            tx,
            audit_events,
            at=at,
            actor=actor,
            action=action,
            subject=subject(session_id),
            detail=detail,
        )


async def sealed_segment(
    db: Database, *, at: datetime, session_id: str, segment: Segment, manifest: tuple[Path, str]
) -> None:
    """The segment is archived encrypted, with a manifest signed by the hub seal."""
    detail = {"index": segment.index, "manifest": manifest[0].name, "manifest_sha256": manifest[1]}
    await _audit(
        db,
        at=at,
        actor="recorder",
        action="media.segment_sealed",
        session_id=session_id,
        detail=detail,
    )


async def streams_sealed(
    db: Database, *, at: datetime, session_id: str, manifest: tuple[Path, str], streams: list[str]
) -> None:
    """The session's named streams are archived under one signed manifest."""
    detail = {"manifest": manifest[0].name, "manifest_sha256": manifest[1], "streams": streams}
    await _audit(
        db,
        at=at,
        actor="recorder",
        action="media.streams_sealed",
        session_id=session_id,
        detail=detail,
    )


async def plane_failed(
    db: Database, *, at: datetime, session_id: str, code: str, detail: str
) -> None:
    """The media plane failed the session (Janus down, its room gone, the room moved)."""
    await _audit(
        db,
        at=at,
        actor="media-plane",
        action="media.plane_failed",
        session_id=session_id,
        detail={"code": code, "detail": detail[:500]},
    )


async def log_event(db: Database, *, session_id: str, entry: LoggedEvent) -> None:
    async with db.transaction() as tx:
        await record(
            tx,
            audit_events,
            at=entry.at,
            actor=entry.participant,
            action="media.event",
            subject=subject(session_id),
            detail=entry.as_json(),
        )


async def end_session(db: Database, *, at: datetime, actor: Principal, session_id: str) -> None:
    async with db.transaction() as tx:
        session = await _open_session(tx, session_id)
        if session.state == "ended":
            raise Conflict("media.session_ended", N_("This video session has already ended."))
        session.state, session.ended_at = "ended", at
        await record(
            tx,
            audit_events,
            at=at,
            actor=actor,
            action="media.session_ended",
            subject=subject(session_id),
        )


async def load_session(db: Database, session_id: str) -> dict[str, Any]:
    """The session, its segments and its event log, for the case file."""
    async with db.transaction() as tx:
        return await session_record(tx, session_id)


async def session_record(tx: Any, session_id: str) -> dict[str, Any]:
    """:func:`load_session` in the caller's transaction, with the branch's manifest of it and
    how that compared with the hub's witness (``crosscheck``, ``None`` until it arrives)."""
    session = await _open_session(tx, session_id)
    segments = (
        await tx.scalars(
            select(RecordedSegment)
            .where(RecordedSegment.session_id == session_id)
            .order_by(RecordedSegment.idx)
        )
    ).all()
    events = (
        await tx.execute(
            select(audit_events.c.entry)
            .where(audit_events.c.subject == subject(session_id))
            .where(audit_events.c.action == "media.event")
            .order_by(audit_events.c.id)
        )
    ).scalars()
    return {
        "session_id": session.id,
        "case_id": session.case_id,
        "kind": session.kind,
        "state": session.state,
        "created_at": session.created_at.isoformat(),
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "segments": [
            {
                "index": s.idx,
                "file": s.file_name,
                "sha256": s.sha256,
                "tracks": json.loads(s.tracks),
                "frames": s.frames,
            }
            for s in segments
        ],
        "events": [json.loads(e)["detail"] for e in events],
        "crosscheck": await crosscheck_of(tx, session_id),
    }


async def audit_details(tx: Any, session_id: str, action: str) -> list[dict[str, Any]]:
    """The details of the session's audit entries of one action, oldest first."""
    rows = await tx.execute(
        select(audit_events.c.entry)
        .where(audit_events.c.subject == subject(session_id))
        .where(audit_events.c.action == action)
        .order_by(audit_events.c.id)
    )
    return [json.loads(entry)["detail"] for entry in rows.scalars()]


async def crosscheck_of(tx: Any, session_id: str) -> dict[str, Any] | None:
    """The branch's manifest of the session and how it compared, or ``None`` if none came."""
    manifests = await audit_details(tx, session_id, "media.branch_manifest")
    if not manifests:
        return None
    flagged = await audit_details(tx, session_id, "media.recordings_disagree")
    return {
        "branch_manifest": manifests[0],
        "agree": not flagged,
        "disagreements": flagged[0]["disagreements"] if flagged else [],
    }


async def recording_flags(db: Database, session_ids: list[str]) -> dict[str, str]:
    """For each session whose branch and hub recordings disagree, the segments at issue
    (``"0, 2"``), for the act or case page."""
    flags = {}
    async with db.transaction() as tx:
        for session_id in session_ids:
            for flagged in await audit_details(tx, session_id, "media.recordings_disagree"):
                indexes = sorted({int(d["index"]) for d in flagged["disagreements"]})
                flags[session_id] = ", ".join(str(i) for i in indexes)
    return flags
