"""One verification attempt: frames in, exactly one signed decision out, kept as evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.audit import record
from common.errors import N_, Conflict, NotFound
from media.face import (
    ENCODING_MODEL,
    REPLAY_LIMIT,
    Action,
    ImageError,
    SeriesAnalysis,
    SignedDecision,
    VerificationDecision,
    frame_hash,
    sign_decision,
)
from overseas_node.db import audit_events
from overseas_node.identity.ledger import DbFrameLedger, closest_replay, keep_prints
from overseas_node.identity.model import attempt_reason, decision_checks
from overseas_node.identity.service import (
    AttemptHook,
    Identity,
    UploadedFrame,
    aware,
    image_refusal,
    template_of,
)
from overseas_node.identity.tables import attempts, frame_hashes, frames, lockouts

__all__ = ["decision_of", "submit_frames"]


async def _claim_attempt(ctx: Identity, attempt_id: str, resident_id: str) -> Any:
    """Move the attempt from issued to processing, so it gets exactly one decision."""
    async with ctx.db.transaction() as session:
        claimed = await session.execute(
            update(attempts)
            .where(
                attempts.c.id == attempt_id,
                attempts.c.resident_id == resident_id,
                attempts.c.state == "issued",
            )
            .values(state="processing")
        )
        row = (await session.execute(select(attempts).where(attempts.c.id == attempt_id))).first()
    if row is None or row.resident_id != resident_id:
        raise NotFound("identity.no_attempt", N_("No such verification attempt."))
    if getattr(claimed, "rowcount", 0) != 1:
        raise Conflict("identity.attempt_used", N_("This attempt has already been decided."))
    return row


async def _release(ctx: Identity, attempt_id: str) -> None:
    async with ctx.db.transaction() as session:
        await session.execute(
            update(attempts).where(attempts.c.id == attempt_id).values(state="issued")
        )


async def _replayed(ctx: Identity, attempt_id: str, hashes: Sequence[str]) -> bool:
    async with ctx.db.sessions() as session:
        rows = await session.execute(
            select(frame_hashes.c.attempt_id).where(frame_hashes.c.sha256.in_(set(hashes)))
        )
        return any(owner != attempt_id for (owner,) in rows)


async def submit_frames(
    ctx: Identity,
    *,
    resident: Principal,
    attempt_id: str,
    uploaded: Sequence[UploadedFrame],
    decided: AttemptHook | None = None,
) -> SignedDecision:
    """Judge the frames of ``attempt_id`` and keep the signed decision; ``decided`` runs in the
    decision's transaction (a kiosk grant is spent there)."""
    attempt = await _claim_attempt(ctx, attempt_id, resident.subject)
    try:
        received = ctx.clock.now()
        hashes = [frame_hash(f.data) for f in uploaded]
        analysis: SeriesAnalysis | None = None
        if received > aware(attempt.expires_at):
            reason = "expired"
        elif await _replayed(ctx, attempt_id, hashes):
            reason = "replay"
        else:
            async with ctx.db.sessions() as session:
                reference = await template_of(session, ctx, resident.subject)
            challenge = [Action(a) for a in attempt.challenge.split(",")]
            try:
                analysis = await ctx.engine.verification(
                    [f.data for f in uploaded],
                    [f.t_ms for f in uploaded],
                    challenge,
                    reference,
                    ctx.threshold,
                )
            except ImageError as exc:
                raise image_refusal(exc) from None
            reason = attempt_reason(analysis)
        judged = _Judged(hashes, received, reason, analysis)
        return await _decide(ctx, attempt, uploaded, judged, decided)
    except BaseException:
        await _release(ctx, attempt_id)
        raise


def _decision(
    ctx: Identity,
    attempt: Any,
    uploaded: Sequence[UploadedFrame],
    hashes: list[str],
    received: datetime,
    reason: str,
    analysis: SeriesAnalysis | None,
    checks: dict[str, Any],
) -> VerificationDecision:
    steps = tuple(
        {"action": s.action.value, "frame": s.frame, "t_ms": s.t_ms, "measure": s.measure}
        for s in (analysis.liveness.steps if analysis else ())
    )
    return VerificationDecision(
        attempt_id=attempt.id,
        resident_id=attempt.resident_id,
        branch=ctx.branch,
        accepted=reason == "accepted",
        reason=reason,
        distance=analysis.match.distance if analysis else None,
        threshold=ctx.threshold,
        challenge=tuple(attempt.challenge.split(",")),
        steps=steps,
        issued_at=aware(attempt.issued_at).isoformat(),
        received_at=received.isoformat(),
        decided_at=ctx.clock.now().isoformat(),
        frames_span_ms=uploaded[-1].t_ms - uploaded[0].t_ms,
        processing_ms=analysis.processing_ms if analysis else 0,
        frame_hashes=tuple(hashes),
        encoded_frames=tuple(sorted(analysis.distances)) if analysis else (),
        model=ENCODING_MODEL,
        checks=checks,
    )


@dataclass(frozen=True)
class _Judged:
    hashes: list[str]
    received: datetime
    reason: str
    analysis: SeriesAnalysis | None


async def _decide(
    ctx: Identity,
    attempt: Any,
    uploaded: Sequence[UploadedFrame],
    judged: _Judged,
    decided: AttemptHook | None,
) -> SignedDecision:
    hashes, received, reason, analysis = (
        judged.hashes,
        judged.received,
        judged.reason,
        judged.analysis,
    )
    async with ctx.db.transaction() as session:
        replays = await DbFrameLedger(session, received).claim(attempt.id, hashes)
        if replays and reason != "replay":
            reason, analysis = "replay", None  # another attempt used them meanwhile
        prints = analysis.prints if analysis else ()
        score = await closest_replay(session, attempt.id, prints)
        if score is not None and score <= REPLAY_LIMIT and reason not in {"replay", "expired"}:
            reason = "replay_content"  # the same pictures as an earlier attempt, re-encoded
        await keep_prints(session, attempt.id, prints, received)
        checks = decision_checks(analysis, score)
        decision = _decision(ctx, attempt, uploaded, hashes, received, reason, analysis, checks)
        signed = sign_decision(decision, ctx.signer)
        await session.execute(
            update(attempts)
            .where(attempts.c.id == attempt.id)
            .values(
                state="decided",
                accepted=decision.accepted,
                distance=decision.distance,
                decision=decision.canonical().decode(),
                key_id=signed.key_id,
                signature=signed.signature,
                decided_at=ctx.clock.now(),
            )
        )
        await session.execute(
            insert(frames),
            [
                {
                    "attempt_id": attempt.id,
                    "idx": i,
                    "sha256": h,
                    "content_type": f.content_type,
                    "sealed": ctx.cipher.seal(f.data, f"{attempt.id}/{i}".encode()),
                    "stored_at": received,
                }
                for i, (f, h) in enumerate(zip(uploaded, hashes, strict=True))
            ],
        )
        await _count(session, attempt.resident_id, decision.accepted, received)
        if decided is not None:
            await decided(session, attempt.id)
        await record(
            session,
            audit_events,
            at=ctx.clock.now(),
            actor=f"node:{ctx.branch}",
            action="identity.verified" if decision.accepted else "identity.refused",
            subject=f"resident:{attempt.resident_id}",
            detail={
                "attempt": attempt.id,
                "reason": reason,
                "distance": decision.distance,
                "decision_sha256": frame_hash(decision.canonical()),
            },
        )
    return signed


async def _count(session: AsyncSession, resident_id: str, accepted: bool, at: datetime) -> None:
    """Consecutive failures drive the lock-out; a success clears them."""
    row = (
        await session.execute(select(lockouts).where(lockouts.c.resident_id == resident_id))
    ).first()
    failures = 0 if accepted else (row.failures if row else 0) + 1
    values = {"failures": failures, "last_failure_at": None if accepted else at}
    if row is None:
        await session.execute(insert(lockouts).values(resident_id=resident_id, **values))
    else:
        await session.execute(
            update(lockouts).where(lockouts.c.resident_id == resident_id).values(**values)
        )


async def decision_of(ctx: Identity, *, viewer: Principal, attempt_id: str) -> SignedDecision:
    async with ctx.db.sessions() as session:
        row = (await session.execute(select(attempts).where(attempts.c.id == attempt_id))).first()
    if row is None:
        own = False
    elif viewer.role is Role.CLERK:
        own = viewer.branch == row.branch
    else:
        own = viewer.role is Role.RESIDENT and row.resident_id == viewer.subject
    if row is None or not own:
        raise NotFound("identity.no_attempt", N_("No such verification attempt."))
    if row.decision is None:
        raise Conflict("identity.undecided", N_("This attempt has no decision yet."))
    return SignedDecision(
        VerificationDecision.from_dict(json.loads(row.decision)), row.key_id, row.signature
    )
