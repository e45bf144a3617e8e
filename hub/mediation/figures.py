"""Mediation statistics per office: cases opened, settled, closed, and days to settlement."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from common.errors import N_, Invalid
from common.service import DB
from common.web import RouteTable
from hub.mediation import service
from hub.mediation.model import office_figures
from hub.mediation.routes import STATS

__all__ = ["routes", "statistics_of"]

routes = RouteTable()
TAGS = ("mediation",)


def _date(request: web.Request, name: str) -> date | None:
    raw = request.query.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            "mediation.bad_date", N_("{name} is not a date (YYYY-MM-DD)."), params={"name": name}
        ) from None


async def statistics_of(request: web.Request) -> dict[str, Any]:
    start, end = _date(request, "start"), _date(request, "end")
    async with request.app[DB].sessions() as session:
        records = await service.case_records(session)
    per, total = office_figures(records, start, end)
    return {"start": start, "end": end, "days": "calendar", "offices": per, "total": total}


@routes.get(
    "/api/mediation/statistics",
    access=STATS,
    summary="Mediation cases opened, settled and their duration, per office",
    tags=TAGS,
)
async def statistics_json(request: web.Request) -> web.Response:
    figures = await statistics_of(request)
    return web.json_response(
        {
            "start": figures["start"].isoformat() if figures["start"] else None,
            "end": figures["end"].isoformat() if figures["end"] else None,
            "days": "calendar",
            "offices": [vars(o) for o in figures["offices"]],
            "total": vars(figures["total"]),
        }
    )
