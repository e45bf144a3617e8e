"""The clerk's catalogue pages: search by name or code, browse by category, read one guide."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from common.errors import N_, NotFound
from common.service import DB, PAGES
from common.web import RouteTable
from overseas_node.catalogue.model import categories, search
from overseas_node.intake.routes import CLERK
from overseas_node.intake.tables import catalogue_copy

__all__ = ["guides", "routes"]

routes = RouteTable()


async def guides(request: web.Request) -> list[dict[str, Any]]:
    """Every guide of the branch's copy (59 today: read whole, searched in memory)."""
    async with request.app[DB].sessions() as session:
        rows = await session.execute(select(catalogue_copy.c.guide))
    return [dict(g) for (g,) in rows]


@routes.get(
    "/intake/catalogue",
    access=CLERK,
    summary="Search the catalogue by name (zh, en, it) or code, or by category (page)",
    tags=("pages",),
)
async def catalogue_page(request: web.Request) -> web.Response:
    everything = await guides(request)
    query = request.query.get("q", "")[:80]
    category = request.query.get("category", "")[:32]
    return request.app[PAGES].render(
        request,
        "catalogue/search.html",
        query=query,
        category=category,
        categories=categories(everything),
        items=search(everything, query, category),
        searched=bool(query or category),
    )


@routes.get(
    "/intake/catalogue/{code}",
    access=CLERK,
    summary="One service item's full guide, with the form to open an application (page)",
    tags=("pages",),
)
async def guide_page(request: web.Request) -> web.Response:
    code = request.match_info["code"][:16]
    async with request.app[DB].sessions() as session:
        guide = await session.scalar(
            select(catalogue_copy.c.guide).where(catalogue_copy.c.code == code)
        )
    if guide is None:
        raise NotFound(
            "intake.unknown_item",
            N_("No service item {code} in the branch's catalogue."),
            params={"code": code},
        )
    return request.app[PAGES].render(
        request, "catalogue/guide.html", guide=guide, form={}, errors={}
    )
