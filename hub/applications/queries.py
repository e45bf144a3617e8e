"""Read models: an application's full view, its public progress, the work queue, statistics."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.applications.deadlines import urgency
from hub.applications.model import State
from hub.applications.tables import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    DeficiencyNotice,
    Rating,
)

__all__ = ["full_view", "progress_view", "rating_summary", "work_queue"]

FINAL = (State.REJECTED.value, State.COMPLETED.value)


async def _events(session: AsyncSession, app: Application) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == app.id)
        .order_by(ApplicationEvent.id)
    )
    return [
        {"at": e.at.isoformat(), "from": e.from_state, "to": e.to_state, "note": e.note}
        for e in rows.all()
    ]


async def _notices(session: AsyncSession, app: Application) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(DeficiencyNotice)
        .where(DeficiencyNotice.application_id == app.id)
        .order_by(DeficiencyNotice.id)
    )
    return [
        {
            "issued_at": n.issued_at.isoformat(),
            "items": n.items,
            "resolved_at": n.resolved_at.isoformat() if n.resolved_at else None,
        }
        for n in rows.all()
    ]


async def progress_view(session: AsyncSession, app: Application, today: date) -> dict[str, Any]:
    """What anyone holding the number and query code may see: status and history, nothing else."""
    return {
        "number": app.number,
        "item_code": app.item_code,
        "state": app.state,
        "deadline": app.deadline.isoformat() if app.deadline else None,
        "urgency": urgency(app.deadline, today)
        if app.deadline and app.state not in FINAL
        else None,
        "history": [{"at": e["at"], "state": e["to"]} for e in await _events(session, app)],
        "deficiency_notices": await _notices(session, app),
    }


async def full_view(session: AsyncSession, app: Application, today: date) -> dict[str, Any]:
    materials = await session.scalars(
        select(ApplicationMaterial)
        .where(ApplicationMaterial.application_id == app.id)
        .order_by(ApplicationMaterial.id)
    )
    view = await progress_view(session, app, today)
    view.update(
        {
            "item_version": app.item_version,
            "branch": app.branch,
            "owner": app.owner,
            "resident": {
                "name": app.resident_name,
                "document": app.resident_document,
                "country": app.resident_country,
                "zone": app.resident_zone,
                "lang": app.resident_lang,
            },
            "events": await _events(session, app),
            "materials": [
                {
                    "id": m.id,
                    "material": m.material_code,
                    "status": m.status,
                    "trust": m.trust,
                    "checked_against_original": m.trust == "B",
                    "checked_by": m.checked_by,
                    "display_name": m.display_name,
                    "content_type": m.content_type,
                    "sha256": m.sha256,
                    "size": m.size,
                    "invalid_reason": m.invalid_reason,
                    "pending_due": m.pending_due.isoformat() if m.pending_due else None,
                }
                for m in materials.all()
            ],
        }
    )
    return view


async def work_queue(
    session: AsyncSession, today: date, branch: str | None = None
) -> list[dict[str, Any]]:
    """Open applications, the nearest deadline first; those without one yet come last."""
    query = select(Application).where(Application.state.not_in(FINAL))
    if branch:
        query = query.where(Application.branch == branch)
    apps = list((await session.scalars(query)).all())
    apps.sort(key=lambda a: (a.deadline is None, a.deadline or date.max, a.created_at))
    return [
        {
            "number": a.number,
            "item_code": a.item_code,
            "branch": a.branch,
            "state": a.state,
            "owner": a.owner,
            "resident_name": a.resident_name,
            "created_at": a.created_at.isoformat(),
            "deadline": a.deadline.isoformat() if a.deadline else None,
            "urgency": urgency(a.deadline, today) if a.deadline else None,
        }
        for a in apps
    ]


async def rating_summary(session: AsyncSession, today: date) -> dict[str, Any]:
    """Ratings and overdue counts per service item and per office."""
    apps = {a.id: a for a in (await session.scalars(select(Application))).all()}
    ratings = (await session.scalars(select(Rating))).all()
    per: dict[str, dict[str, dict[str, Any]]] = {
        "items": defaultdict(_blank),
        "offices": defaultdict(_blank),
    }
    for r in ratings:
        app = apps[r.application_id]
        for bucket, key in (("items", app.item_code), ("offices", app.branch)):
            row = per[bucket][key]
            row["ratings"] += 1
            row["sum"] += r.level
            row["poor"] += int(r.level <= 2)
    for app in apps.values():
        if app.deadline and app.state not in FINAL and today > app.deadline:
            per["items"][app.item_code]["overdue"] += 1
            per["offices"][app.branch]["overdue"] += 1
    return {
        bucket: {key: _finish(row) for key, row in sorted(rows.items())}
        for bucket, rows in per.items()
    }


def _blank() -> dict[str, Any]:
    return {"ratings": 0, "sum": 0, "poor": 0, "overdue": 0}


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    average = round(row["sum"] / row["ratings"], 2) if row["ratings"] else None
    return {
        "ratings": row["ratings"],
        "average": average,
        "poor": row["poor"],
        "overdue": row["overdue"],
    }
