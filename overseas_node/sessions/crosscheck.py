"""The branch's half of the recording cross-check (see :mod:`signing.crosscheck`).

After a session the node sends the hub, through its outbox, the manifest of the segment files
it keeps (hashed again from disk, so it states what the branch holds now). The hub answers with
its own manifest and the segment hashes it witnessed while the session ran; the node keeps that
answer in its audit log and compares it with its files on its own, flagging any disagreement.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.audit import record
from common.clock import Clock
from common.outbox.relay import DeliveryHook
from common.outbox.store import OutboxMessage, enqueue
from media import sha256_file
from overseas_node.db import audit_events, outbox_messages
from overseas_node.sessions.evidence import subject
from signing.crosscheck import compare_segments, held_by_index

__all__ = ["MANIFEST_KIND", "branch_manifest", "hub_answered", "hub_refused", "send_manifest"]

MANIFEST_KIND = "recording.manifest"


def branch_manifest(
    directory: Path, *, session_id: str, participant: str, segments: list[dict[str, Any]]
) -> dict[str, Any]:
    """Version 1 of the branch's manifest: every segment it recorded, hashed from its file now
    (an empty hash for a file that is gone). File work: run it in an executor."""
    entries = []
    for s in segments:
        path = directory / str(s["file"])
        entries.append(
            {
                "index": int(s["index"]),
                "file": str(s["file"]),
                "sha256": sha256_file(path) if path.is_file() else "",
                "tracks": list(s["tracks"]),
            }
        )
    return {"v": 1, "session_id": session_id, "participant": participant, "segments": entries}


async def send_manifest(
    session: AsyncSession, *, hub: str, manifest: dict[str, Any], now: datetime
) -> None:
    """Queue the manifest for the hub, in the caller's transaction (once per session)."""
    session_id = str(manifest["session_id"])
    await enqueue(
        session,
        outbox_messages,
        destination=hub,
        kind=MANIFEST_KIND,
        key=f"recording:{session_id}",
        payload=manifest,
        order_key=f"recording:{session_id}",
        now=now,
    )
    await record(
        session,
        audit_events,
        at=now,
        actor="recorder",
        action="media.branch_manifest",
        subject=subject(session_id),
        detail=manifest,
    )


def hub_answered(clock: Clock) -> DeliveryHook:
    """Outbox hook: keep the hub's manifest and compare its witness with our files."""

    async def answered(
        session: AsyncSession, message: OutboxMessage, receipt: dict[str, object]
    ) -> None:
        mine = message.payload
        session_id = str(mine["session_id"])
        witnessed = receipt.get("witnessed")
        seen = held_by_index(witnessed if isinstance(witnessed, list) else [])
        comparison = compare_segments(seen, held_by_index(mine["segments"]))
        now = clock.now()
        await record(
            session,
            audit_events,
            at=now,
            actor="hub",
            action="media.hub_manifest",
            subject=subject(session_id),
            detail={"hub": receipt.get("hub"), "witnessed": witnessed},
        )
        if comparison.disagreements:
            await record(
                session,
                audit_events,
                at=now,
                actor="recorder",
                action="media.recordings_disagree",
                subject=subject(session_id),
                detail=comparison.as_json(),
            )

    return answered


def hub_refused(clock: Clock) -> DeliveryHook:
    """Outbox dead hook: the hub refused the manifest; the branch's audit log says why."""

    async def refused(
        session: AsyncSession, message: OutboxMessage, receipt: dict[str, object]
    ) -> None:
        await record(
            session,
            audit_events,
            at=clock.now(),
            actor="hub",
            action="media.manifest_refused",
            subject=subject(str(message.payload["session_id"])),
            detail={k: receipt.get(k) for k in ("code", "title")},
        )

    return refused
