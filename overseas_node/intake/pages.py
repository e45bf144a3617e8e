"""The clerk's intake pages: forms that call the same services as the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from common.errors import REFUSALS
from common.i18n import translate
from common.outbox.store import queue_stats
from common.service import CLOCK, DB, PAGES
from common.uploads import inspect_upload
from common.web import LOCALE, RouteTable
from overseas_node.db import outbox_messages
from overseas_node.intake import service
from overseas_node.intake.routes import CLERK, FILES, LINK, _clerk, _multipart
from overseas_node.intake.tables import catalogue_copy, node_applications, node_materials

__all__ = ["routes"]

routes = RouteTable()


@routes.get("/intake", access=CLERK, summary="The clerk's intake page", tags=("pages",))
async def intake_page(request: web.Request) -> web.Response:
    now = request.app[CLOCK].now()
    async with request.app[DB].sessions() as session:
        items = (
            await session.execute(select(catalogue_copy).order_by(catalogue_copy.c.code))
        ).all()
        apps = (
            await session.execute(
                select(node_applications).order_by(node_applications.c.created_at.desc()).limit(100)
            )
        ).all()
        stats = await queue_stats(session, outbox_messages, now=now, window=timedelta(hours=1))
    link = request.app[LINK].state if LINK in request.app else None
    return request.app[PAGES].render(
        request,
        "intake/list.html",
        items=items,
        applications=apps,
        link={"up": bool(link and link.up), "since": link.since if link else None},
        waiting=sum(s.depth for s in stats),
    )


@routes.post("/intake/open", access=CLERK, summary="Open an application (form)", tags=("pages",))
async def open_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    resident = {k: str(form.get(k, ""))[:120] for k in ("name", "document", "country", "lang")}
    resident["zone"] = "Europe/Rome"
    async with request.app[DB].transaction() as session:
        number, code = await service.open_application(
            session,
            item_code=str(form.get("item_code", "")),
            resident=resident,
            clerk=_clerk(request),
            now=request.app[CLOCK].now(),
        )
    raise web.HTTPSeeOther(f"/intake/{number}?code={code}")


async def _detail(
    request: web.Request, number: str, error: str = "", status: int = 200
) -> web.Response:
    async with request.app[DB].sessions() as session:
        app = await service.load(session, number)
        materials = (
            await session.execute(
                select(node_materials)
                .where(node_materials.c.number == number)
                .order_by(node_materials.c.id)
            )
        ).all()
        guide = (
            await session.execute(
                select(catalogue_copy.c.guide).where(catalogue_copy.c.code == app.item_code)
            )
        ).scalar()
    editable = app.state != "queued" and app.hub_state in service.EDITABLE_AT_HUB
    context: dict[str, Any] = {
        "app": app,
        "materials": materials,
        "guide": guide or {},
        "editable": editable,
        "error": error,
        "query_code": request.query.get("code", ""),
    }
    return request.app[PAGES].render(request, "intake/detail.html", status=status, **context)


@routes.get("/intake/{number}", access=CLERK, summary="One application (page)", tags=("pages",))
async def detail_page(request: web.Request) -> web.Response:
    return await _detail(request, request.match_info["number"])


@routes.post(
    "/intake/{number}/materials", access=CLERK, summary="Attach a material (form)", tags=("pages",)
)
async def attach_form(request: web.Request) -> web.StreamResponse:
    number = request.match_info["number"]
    try:
        fields, data, name = await _multipart(request)
        upload = inspect_upload(data, name)
        async with request.app[DB].transaction() as session:
            await service.attach_material(
                session,
                number=number,
                material_code=fields.get("material", ""),
                trust="B" if fields.get("trust") == "B" else "C",
                upload=upload,
                clerk=_clerk(request),
                now=request.app[CLOCK].now(),
                files=request.app[FILES],
            )
    except REFUSALS as exc:
        return await _detail(
            request, number, translate(request[LOCALE], exc.message, **exc.params), exc.status
        )
    raise web.HTTPSeeOther(f"/intake/{number}")


@routes.post("/intake/{number}/submit", access=CLERK, summary="Submit (form)", tags=("pages",))
async def submit_form(request: web.Request) -> web.StreamResponse:
    number = request.match_info["number"]
    try:
        async with request.app[DB].transaction() as session:
            await service.submit(
                session,
                number=number,
                clerk=_clerk(request),
                now=request.app[CLOCK].now(),
                files=request.app[FILES],
            )
    except REFUSALS as exc:
        return await _detail(
            request, number, translate(request[LOCALE], exc.message, **exc.params), exc.status
        )
    raise web.HTTPSeeOther(f"/intake/{number}")
