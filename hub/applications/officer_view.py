"""What the officer's pages read: one application with its guide's checklist beside what is held,
its history with who did what, its notices and the platform's status; the queue's filter
choices. Everything is named in the viewer's language here, so templates show no codes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.applications import service
from hub.applications.deadlines import working_days_left
from hub.applications.labels import material_name, name_in
from hub.applications.model import State
from hub.applications.queries import full_view
from hub.applications.tables import Application
from hub.calendars.service import working_days
from hub.catalogue.service import current_items, get_item
from hub.govnet.service import case_status

__all__ = ["OPEN_STATES", "officer_view", "queue_choices"]

OPEN_STATES = tuple(
    s.value for s in State if s not in (State.REJECTED, State.COMPLETED, State.DRAFT)
)


def _checklist(
    guide: dict[str, Any], materials: list[dict[str, Any]], lang: str
) -> list[dict[str, Any]]:
    """The guide's materials in its order, each with the copy held now (if any)."""
    rows = []
    for required in guide["materials"]:
        code = required["code"]
        mine = [m for m in materials if m["material"] == code]
        current = next((m for m in reversed(mine) if m["status"] in ("held", "pending")), None)
        rows.append(
            {
                "code": code,
                "name": name_in(required, lang),
                "essential": required["essential"],
                "original_required": required["original_required"],
                "common_mistakes": required.get(f"common_mistakes_{lang}", ""),
                "held": current if current and current["status"] == "held" else None,
                "pending": current if current and current["status"] == "pending" else None,
                "replaced": len([m for m in mine if m["status"] == "superseded"]),
            }
        )
    return rows


def _history(view: dict[str, Any], guide: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    steps = []
    for e in view["events"]:
        note = e.get("note") or {}
        steps.append(
            {
                "at": datetime.fromisoformat(e["at"]),
                "state": e["to"],
                "actor": e.get("actor", ""),
                "reasons": note.get("reasons", []),
                "deficiencies": [
                    {**d, "name": material_name(guide, d["material"], lang)}
                    for d in note.get("deficiencies", [])
                ],
                "platform": note.get("platform"),
                "platform_reason": note.get("reason"),
            }
        )
    return steps


async def officer_view(
    session: AsyncSession, app: Application, today: date, lang: str
) -> dict[str, Any]:
    view = await full_view(session, app, today)
    item = await get_item(session, app.item_code, app.item_version)
    guide = item.guide
    view["item_name"] = name_in(guide, lang)
    view["guide"] = guide
    view["category_name"] = guide.get(f"category_name_{lang}", "")
    view["department"] = guide.get(f"department_{lang}", "")
    view["checklist"] = _checklist(guide, view["materials"], lang)
    view["steps"] = _history(view, guide, lang)
    for notice in view["deficiency_notices"]:
        notice["issued_at"] = datetime.fromisoformat(notice["issued_at"])
        for entry in notice["items"]:
            entry["name"] = name_in(entry, lang)
    view["platform"] = await case_status(session, app.number)
    if app.deadline:
        calendar = await working_days(session, "CN", today)
        view["working_days_left"] = working_days_left(today, app.deadline, calendar)
    missing = {d["material"] for n in view["deficiency_notices"] for d in n["items"]}
    view["pending_choices"] = [
        row
        for row in view["checklist"]
        if guide.get("allows_pending") and not row["essential"] and not row["held"]
    ]
    view["open_notice_materials"] = missing
    view["held_count"] = len(await service.held_materials(session, app))
    return view


async def queue_choices(session: AsyncSession, lang: str) -> dict[str, Any]:
    """The branches and items the queue can be narrowed to: those with open applications."""
    rows = (
        await session.execute(
            select(Application.branch, Application.item_code)
            .where(Application.state.in_(OPEN_STATES))
            .distinct()
        )
    ).all()
    names = {i.code: name_in(i.guide, lang) for i in await current_items(session)}
    items = sorted({code for _, code in rows})
    return {
        "branches": sorted({branch for branch, _ in rows}),
        "items": [(code, names.get(code, code)) for code in items],
        "states": list(OPEN_STATES),
    }
