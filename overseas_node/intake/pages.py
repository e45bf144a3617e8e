"""The clerk's intake pages: forms that call the same services as the API (post-redirect-get)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from common.errors import REFUSALS
from common.i18n import LOCALES, translate
from common.outbox.store import queue_stats
from common.service import CLOCK, DB, PAGES
from common.uploads import inspect_upload
from common.web import LOCALE, RouteTable, current_principal
from overseas_node.db import outbox_messages
from overseas_node.intake import service
from overseas_node.intake.forms import parse_due, parse_resident
from overseas_node.intake.model import (
    BRANCH_STATES,
    HUB_STATES,
    NOTICE_PROBLEMS,
    material_name,
    promisable,
    readiness,
    refusal_message,
)
from overseas_node.intake.routes import CLERK, FILES, LINK, _multipart
from overseas_node.intake.tables import catalogue_copy, node_applications

__all__ = ["routes"]

routes = RouteTable()


async def _item_names(request: web.Request) -> dict[str, dict[str, str]]:
    async with request.app[DB].sessions() as session:
        rows = await session.execute(select(catalogue_copy.c.code, catalogue_copy.c.guide))
    return {code: {lang: material_name(g, lang) for lang in ("zh", "en", "it")} for code, g in rows}


@routes.get("/intake", access=CLERK, summary="The clerk's intake page", tags=("pages",))
async def intake_page(request: web.Request) -> web.Response:
    now = request.app[CLOCK].now()
    async with request.app[DB].sessions() as session:
        apps = (
            await session.execute(
                select(node_applications).order_by(node_applications.c.created_at.desc()).limit(100)
            )
        ).all()
        refused = (
            await session.execute(
                select(node_applications)
                .where(node_applications.c.state == "refused")
                .order_by(node_applications.c.updated_at)
            )
        ).all()
        stats = await queue_stats(session, outbox_messages, now=now, window=timedelta(hours=1))
    link = request.app[LINK].state if LINK in request.app else None
    return request.app[PAGES].render(
        request,
        "intake/list.html",
        applications=apps,
        refused=refused,
        names=await _item_names(request),
        refusal_text=refusal_message,
        branch_states=BRANCH_STATES,
        hub_states=HUB_STATES,
        link={"up": bool(link and link.up), "since": link.since if link else None},
        waiting=sum(s.depth for s in stats),
    )


@routes.post("/intake/open", access=CLERK, summary="Open an application (form)", tags=("pages",))
async def open_form(request: web.Request) -> web.StreamResponse:
    form = {k: str(v) for k, v in (await request.post()).items()}
    parsed, errors = parse_resident(form)
    if parsed is None:
        async with request.app[DB].sessions() as session:
            guide = await session.scalar(
                select(catalogue_copy.c.guide).where(
                    catalogue_copy.c.code == form.get("item_code", "")[:16]
                )
            )
        if guide is not None:
            return request.app[PAGES].render(
                request, "catalogue/guide.html", status=422, guide=guide, form=form, errors=errors
            )
        raise web.HTTPSeeOther("/intake/catalogue")
    resident = parsed.model_dump(exclude={"item_code"}) | {"zone": service.BRANCH_ZONE}
    async with request.app[DB].transaction() as session:
        number, _code = await service.open_application(
            session,
            item_code=parsed.item_code,
            resident=resident,
            clerk=current_principal(request),
            now=request.app[CLOCK].now(),
        )
    raise _see(request, f"/intake/{number}")


def _see(request: web.Request, path: str) -> web.HTTPSeeOther:
    """Post-redirect-get to ``path``, in the language the form was posted in."""
    lang = request.query.get("lang")
    return web.HTTPSeeOther(f"{path}?lang={lang}" if lang in LOCALES else path)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def _detail(
    request: web.Request, number: str, error: str = "", status: int = 200
) -> web.Response:
    async with request.app[DB].sessions() as session:
        prepared = await service.prepare(session, number)
    app, notice = prepared.app, prepared.notice
    context: dict[str, Any] = {
        "app": app,
        "guide": prepared.guide,
        "lines": prepared.lines,
        "notice": notice,
        "notice_at": _moment(notice.get("issued_at")) if notice else None,
        "refused_at": _moment((app.refusal or {}).get("at")),
        "readiness": readiness(prepared.lines),
        "promisable": promisable(prepared.guide, prepared.lines) if notice is None else [],
        "problem_labels": NOTICE_PROBLEMS,
        "refusal_text": refusal_message,
        "branch_states": BRANCH_STATES,
        "hub_states": HUB_STATES,
        "editable": prepared.editable,
        "chosen": request.query.get("material", ""),
        "error": error,
    }
    return request.app[PAGES].render(request, "intake/detail.html", status=status, **context)


def _refused(request: web.Request, exc: Any) -> str:
    return translate(request[LOCALE], exc.message, **exc.params)


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
                clerk=current_principal(request),
                now=request.app[CLOCK].now(),
                files=request.app[FILES],
            )
    except REFUSALS as exc:
        return await _detail(request, number, _refused(request, exc), exc.status)
    raise _see(request, f"/intake/{number}")


@routes.post("/intake/{number}/submit", access=CLERK, summary="Submit (form)", tags=("pages",))
async def submit_form(request: web.Request) -> web.StreamResponse:
    number = request.match_info["number"]
    form = await request.post()
    choice = service.SubmitChoice(
        confirmed=form.get("confirm") == "yes",
        later=tuple(str(v) for v in form.getall("later", [])),
        due=parse_due(str(form.get("due", ""))),
    )
    try:
        async with request.app[DB].transaction() as session:
            await service.submit(
                session,
                number=number,
                clerk=current_principal(request),
                now=request.app[CLOCK].now(),
                files=request.app[FILES],
                choice=choice,
            )
    except REFUSALS as exc:
        return await _detail(request, number, _refused(request, exc), exc.status)
    raise _see(request, f"/intake/{number}")
