"""The node's own evidence of a session: its segments' hashes and the event log, audited."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from common.audit import record
from common.db import Database
from media import LoggedEvent, Segment
from overseas_node.db import audit_events

__all__ = ["event_logged", "segment_closed", "segments_of", "subject"]


def subject(session_id: str) -> str:
    return f"video_session:{session_id}"


async def segment_closed(db: Database, *, at: datetime, session_id: str, segment: Segment) -> None:
    async with db.transaction() as tx:
        await record(
            tx,
            audit_events,
            at=at,
            actor="recorder",
            action="media.segment_closed",
            subject=subject(session_id),
            detail={
                "index": segment.index,
                "file": segment.path.name,
                "sha256": segment.sha256,
                "tracks": list(segment.tracks),
            },
        )


async def event_logged(db: Database, *, session_id: str, entry: LoggedEvent) -> None:
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


async def segments_of(db: Database, session_id: str) -> list[dict[str, object]]:
    async with db.transaction() as tx:
        rows = await tx.execute(
            select(audit_events.c.entry)
            .where(audit_events.c.subject == subject(session_id))
            .where(audit_events.c.action == "media.segment_closed")
            .order_by(audit_events.c.id)
        )
        return [json.loads(entry)["detail"] for entry in rows.scalars()]
