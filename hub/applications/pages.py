"""The officer's work queue and the resident's progress lookup, as pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from common.access import PUBLIC, Role, allow
from common.errors import REFUSALS
from common.i18n import translate
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable
from hub.applications import service
from hub.applications.queries import progress_view, work_queue
from hub.zone import hub_zone

__all__ = ["routes"]

routes = RouteTable()


@routes.get(
    "/queue",
    access=allow(Role.OFFICER, Role.SUPERVISOR, read_only=True),
    summary="The officer's work queue by deadline (page)",
    tags=("pages",),
)
async def queue_page(request: web.Request) -> web.Response:
    today = request.app[CLOCK].now().astimezone(hub_zone()).date()
    async with request.app[DB].sessions() as session:
        queue = await work_queue(session, today, request.query.get("branch"))
    return request.app[PAGES].render(request, "applications/queue.html", queue=queue)


@routes.get(
    "/progress",
    access=PUBLIC,
    summary="Follow an application (page)",
    tags=("pages",),
    guessable=True,
)
async def progress_page(request: web.Request) -> web.Response:
    number, code = request.query.get("number", "")[:32], request.query.get("code", "")[:16]
    view: dict[str, Any] | None = None
    error = ""
    if number and code:
        today = request.app[CLOCK].now().astimezone(hub_zone()).date()
        try:
            async with request.app[DB].sessions() as session:
                app = await service.load_by_code(session, number, code)
                view = await progress_view(session, app, today)
            for step in view["history"]:
                step["at"] = datetime.fromisoformat(step["at"])
        except REFUSALS as exc:
            error = translate(request[LOCALE], exc.message, **exc.params)
    return request.app[PAGES].render(
        request,
        "applications/progress.html",
        number=number,
        view=view,
        error=error,
        status=404 if error else 200,
    )
