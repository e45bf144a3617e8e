"""Retention: templates and frames older than the configured periods are deleted, audited."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from common.audit import record
from overseas_node.db import audit_events
from overseas_node.identity.model import retention_cutoff
from overseas_node.identity.service import Identity
from overseas_node.identity.tables import frames, templates

__all__ = ["purge_expired"]


async def purge_expired(ctx: Identity, *, actor: str = "retention") -> dict[str, int]:
    """Delete what the retention periods no longer allow us to keep; one audit entry each."""
    now = ctx.clock.now()
    template_cut = retention_cutoff(now, ctx.template_days)
    frame_cut = retention_cutoff(now, ctx.frame_days)
    async with ctx.db.transaction() as session:
        old_templates = list(
            await session.execute(
                select(templates.c.id, templates.c.resident_id).where(
                    templates.c.deleted_at.is_(None), templates.c.enrolled_at < template_cut
                )
            )
        )
        for template_id, resident_id in old_templates:
            await session.execute(
                update(templates)
                .where(templates.c.id == template_id)
                .values(sealed=None, deleted_at=now)
            )
            await record(
                session,
                audit_events,
                at=now,
                actor=actor,
                action="identity.template_deleted",
                subject=f"resident:{resident_id}",
                detail={"template": template_id, "retention_days": ctx.template_days},
            )
        old_frames = list(
            await session.execute(
                select(frames.c.attempt_id, frames.c.idx).where(frames.c.stored_at < frame_cut)
            )
        )
        by_attempt: dict[str, int] = {}
        for attempt_id, _idx in old_frames:
            by_attempt[attempt_id] = by_attempt.get(attempt_id, 0) + 1
        for attempt_id, count in sorted(by_attempt.items()):
            await session.execute(delete(frames).where(frames.c.attempt_id == attempt_id))
            await record(
                session,
                audit_events,
                at=now,
                actor=actor,
                action="identity.frames_deleted",
                subject=f"attempt:{attempt_id}",
                detail={"frames": count, "retention_days": ctx.frame_days},
            )
    return {"templates": len(old_templates), "frames": len(old_frames)}
