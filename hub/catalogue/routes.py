"""The public catalogue: service items and their guides."""

from __future__ import annotations

from aiohttp import web

from common.access import PUBLIC
from common.errors import N_, Invalid
from common.service import DB
from common.web import RouteTable
from hub.catalogue.runtime import OFFICE_CONTACT
from hub.catalogue.service import categories, current_items, get_item

__all__ = ["routes"]

routes = RouteTable()


@routes.get(
    "/api/catalogue",
    access=PUBLIC,
    summary="Current service items (?category=)",
    tags=("catalogue",),
)
async def catalogue(request: web.Request) -> web.Response:
    category = request.query.get("category")
    async with request.app[DB].transaction() as session:
        if category is not None and category not in await categories(session):
            raise Invalid(
                "catalogue.unknown_category",
                N_("Unknown category {category}."),
                params={"category": category[:40]},
            )
        items = await current_items(session, category=category)
    return web.json_response(
        [
            {
                "code": i.code,
                "version": i.version,
                "category": i.category,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "name_it": i.guide.get("name_it", i.name_en),
                "promised_days": i.promised_days,
                "needs_video": i.guide["needs_video"],
                "zero_visit": i.guide["zero_visit"],
            }
            for i in items
        ]
    )


@routes.get(
    "/api/catalogue/{code}",
    access=PUBLIC,
    summary="One item's guide, current or a given ?version=",
    tags=("catalogue",),
)
async def guide(request: web.Request) -> web.Response:
    raw = request.query.get("version")
    if raw is not None and not raw.isdigit():
        raise Invalid("catalogue.bad_version", N_("The version must be a whole number."))
    async with request.app[DB].transaction() as session:
        item = await get_item(session, request.match_info["code"], int(raw) if raw else None)
    related = {"knowledge_base": f"/kb?category={item.category}", "consultation": "/consultations"}
    contact = str(request.app[OFFICE_CONTACT])
    return web.json_response(
        {"version": item.version, "current": item.current, **item.guide, **related}
        | {"contact": contact}
    )
