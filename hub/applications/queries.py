"""Read models: an application's full view, its public progress, the work queue, statistics."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.i18n import LOCALES
from hub.applications.deadlines import CHINA, urgency, working_days_left
from hub.applications.labels import name_in
from hub.applications.model import State
from hub.applications.tables import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    DeficiencyNotice,
    Rating,
)
from hub.calendars.model import WorkingDays
from hub.catalogue.service import current_items, get_item

__all__ = ["QueueFilter", "full_view", "progress_view", "rating_summary", "work_queue"]

FINAL = (State.REJECTED.value, State.COMPLETED.value)


async def _events(session: AsyncSession, app: Application) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == app.id)
        .order_by(ApplicationEvent.id)
    )
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "from": e.from_state,
            "to": e.to_state,
            "note": e.note,
        }
        for e in rows.all()
    ]


def _names(named: dict[str, Any]) -> dict[str, str]:
    return {f"name_{lang}": name_in(named, lang) for lang in LOCALES}


async def _notices(
    session: AsyncSession, app: Application, guide: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each notice item by item: the material's names and the officer's reason (``detail``)."""
    rows = await session.scalars(
        select(DeficiencyNotice)
        .where(DeficiencyNotice.application_id == app.id)
        .order_by(DeficiencyNotice.id)
    )
    by_code = {m["code"]: m for m in guide.get("materials", ())}
    return [
        {
            "issued_at": n.issued_at.isoformat(),
            "items": [
                {**item, **_names(by_code.get(item["material"], {"code": item["material"]}))}
                for item in n.items
            ],
            "resolved_at": n.resolved_at.isoformat() if n.resolved_at else None,
        }
        for n in rows.all()
    ]


def _reasons(events: list[dict[str, Any]]) -> list[str]:
    """The reasons of a rejection, from the event that recorded it."""
    for e in reversed(events):
        if e["to"] == State.REJECTED.value:
            return [str(r) for r in e["note"].get("reasons", [])]
    return []


async def progress_view(session: AsyncSession, app: Application, today: date) -> dict[str, Any]:
    """What anyone holding the number and query code may see: the item, status, history, the
    notices, a rejection's reasons and the rating; not the resident nor the materials."""
    guide = (await get_item(session, app.item_code, app.item_version)).guide
    events = await _events(session, app)
    rating = await session.scalar(select(Rating).where(Rating.application_id == app.id))
    return {
        "number": app.number,
        "item_code": app.item_code,
        "item": {"code": app.item_code, **_names(guide)},
        "branch": app.branch,
        "state": app.state,
        "deadline": app.deadline.isoformat() if app.deadline else None,
        "urgency": urgency(app.deadline, today)
        if app.deadline and app.state not in FINAL
        else None,
        "history": [{"at": e["at"], "state": e["to"]} for e in events],
        "deficiency_notices": await _notices(session, app, guide),
        "reasons": _reasons(events),
        "rating": None
        if rating is None
        else {"level": rating.level, "comment": rating.comment, "at": rating.at.isoformat()},
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


@dataclass(frozen=True)
class QueueFilter:
    """What the officer narrows the queue to; ``None`` / ``False`` leave it open."""

    branch: str | None = None
    item: str | None = None
    state: str | None = None
    overdue: bool = False
    drafts: bool = True  # the officer's page leaves out drafts the branch is still preparing


async def work_queue(
    session: AsyncSession,
    today: date,
    branch: str | None = None,
    *,
    only: QueueFilter | None = None,
    calendar: WorkingDays = CHINA,
) -> list[dict[str, Any]]:
    """Open applications, the nearest deadline first; those without one yet come last.

    Each row names its item in the three languages and counts the working days left."""
    only = only or QueueFilter(branch=branch)
    query = select(Application).where(Application.state.not_in(FINAL))
    if only.branch:
        query = query.where(Application.branch == only.branch)
    if only.item:
        query = query.where(Application.item_code == only.item)
    if only.state:
        query = query.where(Application.state == only.state)
    if only.overdue:
        query = query.where(Application.deadline < today)
    if not only.drafts:
        query = query.where(Application.state != State.DRAFT.value)
    apps = list((await session.scalars(query)).all())
    apps.sort(key=lambda a: (a.deadline is None, a.deadline or date.max, a.created_at))
    names = {i.code: _names(i.guide) for i in await current_items(session)}
    return [
        {
            "number": a.number,
            "item_code": a.item_code,
            "item": {"code": a.item_code, **names.get(a.item_code, {})},
            "branch": a.branch,
            "state": a.state,
            "owner": a.owner,
            "resident_name": a.resident_name,
            "created_at": a.created_at.isoformat(),
            "deadline": a.deadline.isoformat() if a.deadline else None,
            "urgency": urgency(a.deadline, today, calendar=calendar) if a.deadline else None,
            "working_days_left": working_days_left(today, a.deadline, calendar)
            if a.deadline
            else None,
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
