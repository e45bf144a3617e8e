"""The consultant's desk (page): their consultations, the video session, answer and publish."""

from __future__ import annotations

from aiohttp import web

from common.errors import REFUSALS, Refusal
from common.i18n import translate
from common.pages import viewer_zone
from common.service import DB, PAGES
from common.web import LOCALE, RouteTable, current_principal
from hub.consultation import service
from hub.consultation.model import LANGS
from hub.consultation.routes import (
    CONSULTANTS,
    PUBLISHERS,
    READERS,
    answer_consultation,
    is_live,
    publish_consultation,
)
from hub.consultation.schemas import staff_view, topic_label
from hub.consultation.sessions import close_session, open_session
from hub.zone import hub_zone

__all__ = ["desk_routes"]

desk_routes = RouteTable()
TAGS = ("pages", "consultation")


async def _desk(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    principal = current_principal(request)
    async with request.app[DB].sessions() as session:
        rows = await service.desk(session, principal)
        names = await service.staff_names(session, {c.consultant for c, _ in rows})
    lang = request.get(LOCALE, "zh")
    views = [
        (
            staff_view(c, b, names.get(c.consultant, ""), principal, live=is_live(request, c))
            | {"topic_label": topic_label(c.topic, lang)},  # in the viewer's language
            b,
        )
        for c, b in rows
    ]
    return request.app[PAGES].render(
        request,
        "consultation/desk.html",
        status=status,
        error=error,
        rows=views,
        me=principal.subject,
        supervisor=principal.role.value == "supervisor",
        viewer=viewer_zone(request, hub_zone().key),
    )


def _failed(request: web.Request, exc: Refusal) -> str:
    return translate(request.get(LOCALE, "zh"), exc.message, **exc.params)


def _back(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/consultations/desk?lang={request.get(LOCALE, 'zh')}")


@desk_routes.get(
    "/consultations/desk",
    access=READERS,
    summary="The consultant's consultations (supervisors: all)",
    tags=TAGS,
)
async def desk_page(request: web.Request) -> web.Response:
    return await _desk(request)


@desk_routes.post(
    "/consultations/desk/{number}/session",
    access=CONSULTANTS,
    summary="Open the video session and go to it (form)",
    tags=TAGS,
)
async def open_from_desk(request: web.Request) -> web.StreamResponse:
    principal = current_principal(request)
    try:
        invitation = await open_session(request, request.match_info["number"], principal)
    except REFUSALS as exc:
        return await _desk(request, _failed(request, exc), exc.status)
    raise web.HTTPSeeOther(f"{invitation['page']}&lang={request.get(LOCALE, 'zh')}")


@desk_routes.post(
    "/consultations/desk/{number}/end",
    access=CONSULTANTS,
    summary="End the video session (form)",
    tags=TAGS,
)
async def end_from_desk(request: web.Request) -> web.StreamResponse:
    principal = current_principal(request)
    try:
        await close_session(request, request.match_info["number"], principal)
    except REFUSALS as exc:
        return await _desk(request, _failed(request, exc), exc.status)
    raise _back(request)


async def _texts(request: web.Request, prefix: str) -> dict[str, str]:
    data = await request.post()
    return {lang: str(data.get(f"{prefix}_{lang}", ""))[:20000] for lang in LANGS}


@desk_routes.post(
    "/consultations/desk/{number}/answer",
    access=CONSULTANTS,
    summary="Write the answer (form)",
    tags=TAGS,
)
async def answer_from_desk(request: web.Request) -> web.StreamResponse:
    try:
        await answer_consultation(request, await _texts(request, "answer"))
    except REFUSALS as exc:
        return await _desk(request, _failed(request, exc), exc.status)
    raise _back(request)


@desk_routes.post(
    "/consultations/desk/{number}/publish",
    access=PUBLISHERS,
    summary="Publish the answered question in the knowledge base (form)",
    tags=TAGS,
)
async def publish_from_desk(request: web.Request) -> web.StreamResponse:
    try:
        entry_id = await publish_consultation(request, await _texts(request, "question"), None)
    except REFUSALS as exc:
        return await _desk(request, _failed(request, exc), exc.status)
    raise web.HTTPSeeOther(f"/kb/{entry_id}?lang={request.get(LOCALE, 'zh')}")
