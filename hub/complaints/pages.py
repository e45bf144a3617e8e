"""Pages: lodge a complaint, follow it with number and query code, the hub's deadline list."""

from __future__ import annotations

from aiohttp import web

from common.access import PUBLIC, Principal, Role
from common.errors import REFUSALS, Refusal
from common.i18n import translate
from common.service import DB, PAGES
from common.web import LOCALE, RouteTable
from hub.complaints import service
from hub.complaints.routes import OVERSEERS, _today, deadline_rows, lodge_from_form
from hub.complaints.schemas import RULES, progress_view, read_lodging

__all__ = ["page_routes"]

page_routes = RouteTable()
TAGS = ("pages", "complaints")


def _message(request: web.Request, exc: Refusal) -> str:
    return translate(request.get(LOCALE, "zh"), exc.message, **exc.params)


@page_routes.get("/complaints", access=PUBLIC, summary="Lodge a complaint or petition", tags=TAGS)
async def form_page(request: web.Request) -> web.Response:
    return request.app[PAGES].render(request, "complaints/lodge.html", rules=RULES, error="")


@page_routes.post(
    "/complaints", access=PUBLIC, summary="The lodging form, sent from the page", tags=TAGS
)
async def form_sent(request: web.Request) -> web.Response:
    pages = request.app[PAGES]
    try:
        form, uploads = await read_lodging(request)
        branch = form.branch or "MIL"
        actor = Principal(f"resident:{form.document}", Role.RESIDENT, branch=branch)
        c, code = await lodge_from_form(request, form, uploads, actor, branch)
    except REFUSALS as exc:
        return pages.render(
            request,
            "complaints/lodge.html",
            status=exc.status,
            rules=RULES,
            error=_message(request, exc),
        )
    return pages.render(
        request, "complaints/lodged.html", status=201, number=c.number, code=code, rules=RULES
    )


@page_routes.get(
    "/complaints/status",
    access=PUBLIC,
    summary="Follow a complaint with its query code",
    tags=TAGS,
    guessable=True,
)
async def status_page(request: web.Request) -> web.Response:
    number, code = request.query.get("number", ""), request.query.get("code", "")
    view, error, status = None, "", 200
    if number:
        try:
            async with request.app[DB].sessions() as session:
                c = await service.load_by_code(session, number, code)
                view = progress_view(c, await service.documents(session, c), _today(request))
        except REFUSALS as exc:
            error, status = _message(request, exc), exc.status
    return request.app[PAGES].render(
        request,
        "complaints/status.html",
        status=status,
        view=view,
        number=number,
        code=code,
        error=error,
        rules=RULES,
    )


@page_routes.get(
    "/complaints/deadlines",
    access=OVERSEERS,
    summary="Complaints with their deadlines: warnings and the overdue list",
    tags=TAGS,
)
async def deadlines_page(request: web.Request) -> web.Response:
    rows = await deadline_rows(request)
    return request.app[PAGES].render(
        request,
        "complaints/deadlines.html",
        overdue=[r for r in rows if r["urgency"] == "overdue"],
        soon=[r for r in rows if r["urgency"] == "due_soon"],
        others=[r for r in rows if r["urgency"] == "on_time"],
        today=_today(request),
        rules=RULES,
    )
