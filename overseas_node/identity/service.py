"""Identity services: load, call the pure rules and the face engine, commit with an audit entry."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.audit import record
from common.clock import Clock
from common.db import Database
from common.errors import N_, Conflict, DomainError, Forbidden, Invalid, NotFound
from media.face import (
    Ed25519Signer,
    FaceEngine,
    ImageError,
    ImageProblem,
    face_distance,
    frame_hash,
    issue_challenge,
)
from overseas_node.db import audit_events
from overseas_node.identity.keys import TemplateCipher
from overseas_node.identity.ledger import pack_encoding, unpack_encoding
from overseas_node.identity.model import (
    LockoutPolicy,
    locked_until,
)
from overseas_node.identity.tables import attempts, lockouts, templates

__all__ = [
    "AttemptHook",
    "Identity",
    "UploadedFrame",
    "aware",
    "enrol",
    "image_refusal",
    "start_attempt",
    "template_of",
]


@dataclass(frozen=True)
class UploadedFrame:
    data: bytes
    content_type: str
    t_ms: int


@dataclass
class Identity:
    """Everything the identity services need, wired once by the app."""

    db: Database
    clock: Clock
    engine: FaceEngine
    cipher: TemplateCipher
    signer: Ed25519Signer
    branch: str
    threshold: float
    challenge_time: timedelta
    template_days: int
    frame_days: int
    hub_url: str = ""  # where the resident continues after the kiosk (the hub's pages)
    policy: LockoutPolicy = field(default_factory=LockoutPolicy)
    rng: random.Random = field(default_factory=random.SystemRandom)


def image_refusal(exc: ImageError) -> Invalid:
    """The problem document for an image the face engine could not decode."""
    if exc.problem is ImageProblem.PIXELS:
        return Invalid("identity.image_pixels", N_("An image has too many or too few pixels."))
    if exc.problem is ImageProblem.DAMAGED:
        return Invalid(
            "identity.image_damaged",
            N_("An image is damaged or cut short; please take or scan it again."),
        )
    return Invalid("identity.image_type", N_("Upload a JPEG or PNG image."))


async def _active_templates(session: AsyncSession, branch: str) -> list[Any]:
    rows = await session.execute(
        select(templates).where(templates.c.branch == branch, templates.c.deleted_at.is_(None))
    )
    return list(rows)


async def enrol(
    ctx: Identity, *, clerk: Principal, resident_id: str, photo: bytes
) -> dict[str, Any]:
    """Enrol ``resident_id`` from a reference photo the clerk checked."""
    if clerk.branch != ctx.branch:
        raise Forbidden("identity.other_branch", N_("This resident belongs to another branch."))
    try:
        analysis = await ctx.engine.enrolment(photo)
    except ImageError as exc:
        raise image_refusal(exc) from None
    if analysis.encoding is None:
        raise Invalid(
            "identity.photo_quality",
            N_("The reference photo cannot be used; see the reasons."),
            errors=[{"field": "photo", "reason": r.value} for r in analysis.quality.reasons],
        )
    now = ctx.clock.now()
    async with ctx.db.transaction() as session:
        others = await _active_templates(session, ctx.branch)
        if any(row.resident_id == resident_id for row in others):
            raise Conflict("identity.already_enrolled", N_("This resident is already enrolled."))
        review = _closest_other(ctx, others, analysis.encoding)
        template_id = str(uuid.uuid4())
        quality = json.dumps(_quality_doc(analysis.quality), sort_keys=True)
        await session.execute(
            insert(templates).values(
                id=template_id,
                resident_id=resident_id,
                branch=ctx.branch,
                sealed=ctx.cipher.seal(pack_encoding(analysis.encoding), resident_id.encode()),
                photo_sha256=frame_hash(photo),
                quality=quality,
                review_match=review,
                enrolled_at=now,
                enrolled_by=clerk.subject,
            )
        )
        detail = {"template": template_id, "review_match": review}
        await record(
            session,
            audit_events,
            at=now,
            actor=clerk,
            action="identity.enrolled",
            subject=f"resident:{resident_id}",
            detail=detail,
        )
    return {
        "template_id": template_id,
        "resident_id": resident_id,
        "review": review is not None,
        "quality": json.loads(quality),
    }


def _quality_doc(report: Any) -> dict[str, Any]:
    return {
        "face_px": report.face_px,
        "sharpness": report.sharpness,
        "brightness": report.brightness,
    }


def _closest_other(ctx: Identity, rows: Sequence[Any], encoding: tuple[float, ...]) -> str | None:
    """1:N check: the enrolled resident whose template is within the threshold, if any."""
    best: tuple[float, str] | None = None
    for row in rows:
        theirs = unpack_encoding(ctx.cipher.open(row.sealed, row.resident_id.encode()))
        distance = face_distance(encoding, theirs)
        if distance <= ctx.threshold and (best is None or distance < best[0]):
            best = (distance, row.resident_id)
    return best[1] if best else None


async def template_of(session: AsyncSession, ctx: Identity, resident_id: str) -> tuple[float, ...]:
    row = (
        await session.execute(
            select(templates).where(
                templates.c.resident_id == resident_id,
                templates.c.branch == ctx.branch,
                templates.c.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise NotFound("identity.not_enrolled", N_("This resident is not enrolled at this branch."))
    return unpack_encoding(ctx.cipher.open(row.sealed, resident_id.encode()))


async def _check_lockout(session: AsyncSession, ctx: Identity, resident_id: str) -> None:
    row = (
        await session.execute(select(lockouts).where(lockouts.c.resident_id == resident_id))
    ).first()
    if row is None:
        return
    until = locked_until(row.failures, aware(row.last_failure_at), ctx.policy)
    if until is not None and ctx.clock.now() < until:
        raise DomainError(
            "identity.locked",
            N_("Too many failed verifications; try again after {until}."),
            status=429,
            params={"until": until.isoformat(timespec="seconds")},
        )


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite returns naive UTC
    return value


# Called inside the attempt's transaction with its id (a kiosk grant binds itself there).
AttemptHook = Callable[[AsyncSession, str], Awaitable[None]]


async def start_attempt(
    ctx: Identity, *, resident: Principal, bind: AttemptHook | None = None
) -> dict[str, Any]:
    """Issue a liveness challenge in random order for one verification attempt."""
    now = ctx.clock.now()
    challenge = issue_challenge(ctx.rng)
    attempt_id = str(uuid.uuid4())
    async with ctx.db.transaction() as session:
        await template_of(session, ctx, resident.subject)
        await _check_lockout(session, ctx, resident.subject)
        await session.execute(
            insert(attempts).values(
                id=attempt_id,
                resident_id=resident.subject,
                branch=ctx.branch,
                challenge=",".join(a.value for a in challenge),
                state="issued",
                issued_at=now,
                expires_at=now + ctx.challenge_time,
            )
        )
        if bind is not None:
            await bind(session, attempt_id)
    return {
        "attempt_id": attempt_id,
        "challenge": [a.value for a in challenge],
        "expires_at": (now + ctx.challenge_time).isoformat(),
    }
