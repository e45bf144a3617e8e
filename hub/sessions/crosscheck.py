"""The hub's half of the recording cross-check (see :mod:`signing.crosscheck`).

A branch node sends, after a session, the manifest of the segment files it keeps. The hub
compares it with the segment hashes the node announced into the session's sealed log while it
ran, keeps the branch's manifest and the outcome in its audit log, and answers with its own
manifest and its witness, so that the branch compares on its own side too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from common.audit import record
from common.errors import N_, DomainError, Forbidden
from hub.db import audit_events
from hub.sessions.service import (
    StaffOf,
    audit_details,
    record_offices,
    session_record,
    subject,
)
from signing.crosscheck import compare_segments, held_by_index

__all__ = ["MANIFEST_KIND", "BranchManifest", "RecordingPending", "check_branch_manifest"]

MANIFEST_KIND = "recording.manifest"  # the sealed message's kind

NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SHA256 = r"^([0-9a-f]{64})?$"  # empty: the branch no longer has the file


class BranchSegment(BaseModel):
    index: int = Field(ge=0, le=100_000)
    file: str = Field(min_length=1, max_length=200)
    sha256: str = Field(pattern=SHA256)
    tracks: list[str] = Field(max_length=16)


class BranchManifest(BaseModel):
    """Version 1 of the branch's manifest of its own recording of a session."""

    v: Literal[1]
    session_id: str = Field(pattern=r"^[a-f0-9]{8,32}$")
    participant: str = Field(pattern=NAME)
    segments: list[BranchSegment] = Field(max_length=1000)


class RecordingPending(DomainError):
    """The hub's recording of the session is not finished yet: the node sends again later."""

    status = 503


async def _witnessed(tx: AsyncSession, session_id: str, participant: str) -> list[dict[str, Any]]:
    """The segments ``participant`` announced during the session, from the sealed log."""
    events = await audit_details(tx, session_id, "media.event")
    return [
        dict(e["payload"])
        for e in events
        if e.get("kind") == "segment_closed" and e.get("participant") == participant
    ]


async def check_branch_manifest(
    tx: AsyncSession,
    *,
    sender: str,
    manifest: BranchManifest,
    now: datetime,
    staff_of: Mapping[str, StaffOf],
) -> dict[str, Any]:
    """Compare, record (the first time) and answer; in the caller's transaction."""
    found = await session_record(tx, manifest.session_id)
    if found["state"] != "ended":
        raise RecordingPending(
            "media.recording_pending", N_("The hub's recording of this session is not finished.")
        )
    witnessed = await _witnessed(tx, manifest.session_id, manifest.participant)
    offices = await record_offices(tx, found["kind"], found["case_id"], staff_of)
    if (offices and sender not in offices) or (not offices and not witnessed):
        raise Forbidden(
            "media.not_your_session", N_("This branch took no part in this video session.")
        )
    branch = [s.model_dump() for s in manifest.segments]
    comparison = compare_segments(held_by_index(witnessed), held_by_index(branch))
    answer = {
        "status": "compared",
        "hub": {"session_id": manifest.session_id, "segments": found["segments"]},
        "witnessed": witnessed,
        **comparison.as_json(),
    }
    if await audit_details(tx, manifest.session_id, "media.branch_manifest"):
        return answer  # the same manifest delivered again: nothing new to record
    about = subject(manifest.session_id)
    detail = {"branch": sender, **manifest.model_dump()}
    await record(
        tx,
        audit_events,
        at=now,
        actor=sender,
        action="media.branch_manifest",
        subject=about,
        detail=detail,
    )
    if comparison.disagreements:
        await record(
            tx,
            audit_events,
            at=now,
            actor="recorder",
            action="media.recordings_disagree",
            subject=about,
            detail={"branch": sender, **comparison.as_json()},
        )
    return answer
