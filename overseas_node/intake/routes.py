"""The clerk's intake API at the branch; it works whether or not the hub can be reached."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from common.access import PUBLIC, Role, Scope, allow
from common.errors import N_, Invalid
from common.filestore import FileStore
from common.i18n import translate
from common.names import PersonName
from common.outbox.store import queue_stats
from common.service import CLOCK, DB
from common.uploads import inspect_upload, read_multipart
from common.web import LOCALE, RouteTable, current_principal, parse_body
from overseas_node.db import outbox_messages
from overseas_node.intake import service
from overseas_node.intake.forms import FIELD_MESSAGES
from overseas_node.intake.link import HubLink
from overseas_node.intake.tables import catalogue_copy, node_applications, node_materials

__all__ = ["FILES", "LINK", "routes"]

FILES = web.AppKey("intake_files", FileStore)
LINK = web.AppKey("hub_link", HubLink)
CLERK = allow(Role.CLERK, scope=Scope.OWN_BRANCH)
routes = RouteTable()


class ResidentIn(BaseModel):
    name: PersonName
    document: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    zone: str = Field(default="Europe/Rome", max_length=64)
    lang: str = Field(default="it", pattern=r"^(zh|en|it)$")


class OpenIn(BaseModel):
    item_code: str = Field(min_length=1, max_length=16)
    resident: ResidentIn


@routes.get(
    "/api/catalogue",
    access=PUBLIC,
    tags=("catalogue",),
    summary="The branch's copy of the catalogue (works offline)",
)
async def catalogue(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        rows = (
            await session.execute(
                select(
                    catalogue_copy.c.code,
                    catalogue_copy.c.version,
                    catalogue_copy.c.name_zh,
                    catalogue_copy.c.name_en,
                    catalogue_copy.c.category,
                ).order_by(catalogue_copy.c.code)
            )
        ).all()
    return web.json_response([dict(r._mapping) for r in rows])


@routes.post(
    "/api/intake/applications",
    access=CLERK,
    body=OpenIn,
    tags=("intake",),
    summary="Open an application for a resident",
)
async def open_application(request: web.Request) -> web.Response:
    try:
        body = await parse_body(request, OpenIn)
    except Invalid as exc:  # each wrong field said in the caller's language, as on the page
        raise Invalid(exc.code, exc.message, errors=_in_words(request, exc.errors)) from None
    async with request.app[DB].transaction() as session:
        number, code = await service.open_application(
            session,
            item_code=body.item_code,
            resident=body.resident.model_dump(),
            clerk=current_principal(request),
            now=request.app[CLOCK].now(),
        )
    return web.json_response({"number": number, "query_code": code, "state": "draft"}, status=201)


def _in_words(request: web.Request, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    said = []
    for error in errors:
        name = str(error.get("field", "")).rsplit(".", 1)[-1]
        message = FIELD_MESSAGES.get(name)
        text = translate(request[LOCALE], message) if message else error.get("message")
        said.append({**error, "message": text})
    return said


@routes.post(
    "/api/intake/applications/{number}/materials",
    access=CLERK,
    tags=("intake",),
    summary="Attach a material (multipart: material, trust B|C, file)",
)
async def attach(request: web.Request) -> web.Response:
    fields, data, name = await _multipart(request)
    trust = fields.get("trust", "C")
    if trust not in ("B", "C"):
        raise Invalid("upload.bad_trust", N_("Trust level must be B or C."))
    upload = inspect_upload(data, name)
    files = request.app[FILES]
    async with files.keeping() as written, request.app[DB].transaction() as session:
        material_id, new_file = await service.attach_material(
            session,
            number=request.match_info["number"],
            material_code=fields.get("material", ""),
            trust=trust,
            upload=upload,
            clerk=current_principal(request),
            now=request.app[CLOCK].now(),
            files=files,
        )
        if new_file:
            written.append(upload.sha256)
    return web.json_response(
        {"id": material_id, "sha256": upload.sha256, "trust": trust}, status=201
    )


async def _multipart(request: web.Request) -> tuple[dict[str, str], bytes, str | None]:
    form = await read_multipart(request, text=("material", "trust"))
    return (form.fields, *form.file())


@routes.post(
    "/api/intake/applications/{number}/submit",
    access=CLERK,
    tags=("intake",),
    summary="Submit (or resubmit after correction): queued for the hub at once",
)
async def submit(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        action = await service.submit(
            session,
            number=request.match_info["number"],
            clerk=current_principal(request),
            now=request.app[CLOCK].now(),
            files=request.app[FILES],
        )
    return web.json_response(
        {"number": request.match_info["number"], "state": "queued", "action": action}
    )


@routes.get(
    "/api/intake/applications/{number}",
    access=CLERK,
    tags=("intake",),
    summary="One application as the branch knows it",
)
async def view(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        app = await service.load(session, request.match_info["number"])
        materials = (
            await session.execute(
                select(node_materials)
                .where(node_materials.c.number == app.number)
                .order_by(node_materials.c.id)
            )
        ).all()
    return web.json_response(_view(app, materials))


def _view(app: Any, materials: Sequence[Any]) -> dict[str, Any]:
    return {
        "number": app.number,
        "item_code": app.item_code,
        "state": app.state,
        "hub_state": app.hub_state,
        "history": app.hub_history,
        "rounds": app.rounds,
        "refusal": app.refusal,
        "notices": app.hub_notices,
        "promises": app.promises,
        "resident": app.resident,
        "updated_at": app.updated_at.isoformat(),
        "materials": [
            {
                "material": m.material_code,
                "trust": m.trust,
                "round": m.round,
                "display_name": m.display_name,
                "sha256": m.sha256,
            }
            for m in materials
        ],
    }


@routes.get(
    "/api/intake/applications",
    access=CLERK,
    tags=("intake",),
    summary="The branch's applications, newest first",
)
async def listing(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        rows = (
            await session.execute(
                select(node_applications).order_by(node_applications.c.created_at.desc()).limit(200)
            )
        ).all()
    return web.json_response([_view(r, []) for r in rows])


@routes.get(
    "/api/link",
    access=CLERK,
    tags=("intake",),
    summary="The link to the hub: up or down, since when, what waits to go",
)
async def link_state(request: web.Request) -> web.Response:
    state = request.app[LINK].state if LINK in request.app else None
    async with request.app[DB].sessions() as session:
        stats = await queue_stats(
            session, outbox_messages, now=request.app[CLOCK].now(), window=timedelta(hours=1)
        )
    waiting = {s.destination: {"waiting": s.depth, "dead": s.dead} for s in stats}
    return web.json_response(
        {
            "up": bool(state and state.up),
            "since": state.since.isoformat() if state and state.since else None,
            "last_error": state.last_error if state else "link disabled",
            "queue": waiting,
        }
    )
