"""HTTP API of the application lifecycle: parse, call a service, serialize."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from common.access import PUBLIC, Principal, Role, Scope, allow
from common.errors import N_, Invalid
from common.groupcommit import GroupCommit
from common.service import CLOCK, DB
from common.uploads import inspect_upload, read_multipart
from common.web import RouteTable, current_principal, parse_body
from hub.accounts.service import is_branch
from hub.applications import service
from hub.applications.model import RatingLevel, State, TrustLevel
from hub.applications.queries import full_view, progress_view, rating_summary, work_queue
from hub.applications.schemas import ResidentIn
from hub.applications.storage import STORE
from hub.zone import hub_zone

__all__ = ["intake_ctx", "routes"]

routes = RouteTable()
CLERKS = allow(Role.CLERK, Role.NODE, scope=Scope.OWN_BRANCH)
OFFICERS = allow(Role.OFFICER, Role.SUPERVISOR)
READERS = allow(
    Role.CLERK,
    Role.NODE,
    Role.OFFICER,
    Role.SUPERVISOR,
    Role.AUDITOR,
    scope=Scope.OWN_BRANCH,
    read_only=True,
)


class OpenApplication(BaseModel):
    item_code: str = Field(min_length=1, max_length=16)
    resident: ResidentIn


class SelfServiceApplication(OpenApplication):
    branch: str = Field(pattern=r"^[A-Z]{2,8}$")


class Accept(BaseModel):
    pending: list[str] = Field(default_factory=list, max_length=20)


class Reject(BaseModel):
    reasons: list[str] = Field(min_length=1, max_length=20)


class ReturnForCorrection(BaseModel):
    invalid: dict[str, str] = Field(default_factory=dict, max_length=40)


class Advance(BaseModel):
    target: State


class RatingIn(BaseModel):
    level: RatingLevel
    comment: str = Field(default="", max_length=2000)


def _today(request: web.Request) -> Any:
    return request.app[CLOCK].now().astimezone(hub_zone()).date()


# Applications opened at the same moment share one commit (see common.groupcommit); a random
# number already taken (rarely) makes that application alone be opened again with a new one.
INTAKE = web.AppKey("intake", GroupCommit[service.Order, service.Opened])


async def intake_ctx(app: web.Application) -> AsyncIterator[None]:
    db = app[DB]
    lanes = 1 if db.is_sqlite else 4  # PostgreSQL flushes concurrent commits together
    app[INTAKE] = GroupCommit(db, service.open_applications, lanes=lanes, retry=(IntegrityError,))
    yield


async def _opened(
    request: web.Request, body: OpenApplication, actor: Principal, branch: str
) -> web.Response:
    order = service.Order(
        item_code=body.item_code,
        resident=service.Resident(**body.resident.model_dump()),
        actor=actor,
        branch=branch,
        now=request.app[CLOCK].now(),
    )
    opened = await request.app[INTAKE].submit(order)
    return web.json_response(
        {"number": opened.number, "query_code": opened.query_code, "state": State.DRAFT.value},
        status=201,
    )


@routes.post(
    "/api/applications",
    access=CLERKS,
    body=OpenApplication,
    summary="Open an application for a resident (branch clerk)",
    tags=("applications",),
)
async def open_application(request: web.Request) -> web.Response:
    actor = current_principal(request)
    body = await parse_body(request, OpenApplication)
    return await _opened(request, body, actor, actor.branch or "")


@routes.post(
    "/api/self-service/applications",
    access=PUBLIC,
    body=SelfServiceApplication,
    summary="A resident starts an application from their own device",
    tags=("applications",),
)
async def open_self_service(request: web.Request) -> web.Response:
    body = await parse_body(request, SelfServiceApplication)
    async with request.app[DB].sessions() as session:
        if not await is_branch(session, body.branch):
            raise Invalid(
                "application.unknown_branch",
                N_("There is no branch office {branch}."),
                params={"branch": body.branch},
            )
    actor = Principal(
        subject=f"resident:{body.resident.document}", role=Role.RESIDENT, branch=body.branch
    )
    return await _opened(request, body, actor, body.branch)


@routes.get(
    "/api/applications/{number}",
    access=READERS,
    summary="One application in full",
    tags=("applications",),
)
async def get_application(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        app = await service.load_for(
            session, request.match_info["number"], current_principal(request)
        )
        return web.json_response(await full_view(session, app, _today(request)))


async def _read_upload(request: web.Request) -> tuple[str, TrustLevel, bytes, str | None]:
    form = await read_multipart(request, text=("material", "trust"))
    fields = form.fields
    data, name = form.file()
    try:
        trust = TrustLevel(fields.get("trust", "C"))
    except ValueError:
        raise Invalid("upload.bad_trust", N_("Trust level must be B or C.")) from None
    if not fields.get("material"):
        raise Invalid("upload.no_material", N_("Say which material this file is."))
    return fields["material"], trust, data, name


async def _attach(
    request: web.Request, actor: Principal, number: str, allowed_trust: set[TrustLevel]
) -> web.Response:
    material_code, trust, data, name = await _read_upload(request)
    if trust not in allowed_trust:
        raise Invalid(
            "upload.trust_not_allowed",
            N_("Only a clerk who saw the original can mark it as checked."),
        )
    upload = inspect_upload(data, name)
    store = request.app[STORE]
    now = request.app[CLOCK].now()
    # a commit that fails after the file was written leaves nothing behind
    async with store.keeping() as written, request.app[DB].transaction() as session:
        app = await service.load_for(session, number, actor)
        material, new_file = await service.attach_material(
            session,
            app=app,
            material_code=material_code,
            trust=trust,
            upload=upload,
            actor=actor,
            now=now,
            store=store,
        )
        if new_file and material.sha256:
            written.append(material.sha256)
    return web.json_response(
        {
            "id": material.id,
            "material": material_code,
            "trust": trust.value,
            "checked_against_original": trust is TrustLevel.B,
            "sha256": material.sha256,
        },
        status=201,
    )


@routes.post(
    "/api/applications/{number}/materials",
    access=CLERKS,
    summary="Attach a material (multipart: material, trust B|C, file)",
    tags=("applications",),
)
async def attach(request: web.Request) -> web.Response:
    return await _attach(
        request,
        current_principal(request),
        request.match_info["number"],
        {TrustLevel.B, TrustLevel.C},
    )


@routes.post(
    "/api/self-service/applications/{number}/materials",
    access=PUBLIC,
    summary="A resident uploads a material (query code in X-Query-Code)",
    tags=("applications",),
    guessable=True,
)
async def attach_self_service(request: web.Request) -> web.Response:
    number = request.match_info["number"]
    async with request.app[DB].transaction() as session:
        app = await service.load_by_code(session, number, request.headers.get("X-Query-Code", ""))
        actor = Principal(
            subject=f"resident:{app.resident_document}", role=Role.RESIDENT, branch=app.branch
        )
    return await _attach(request, actor, number, {TrustLevel.C})


@routes.get(
    "/api/applications/{number}/materials/{id:\\d+}",
    access=READERS,
    summary="The stored copy of a material",
    tags=("applications",),
)
async def material_file(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        app = await service.load_for(
            session, request.match_info["number"], current_principal(request)
        )
        view = await full_view(session, app, _today(request))
    wanted = int(request.match_info["id"])
    material = next((m for m in view["materials"] if m["id"] == wanted and m["sha256"]), None)
    if material is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=request.app[STORE].get(material["sha256"]),
        content_type=material["content_type"],
        headers={"Content-Disposition": "attachment"},
    )


async def _decide(request: web.Request, action: Any, *, submit: bool = False) -> web.Response:
    actor = current_principal(request)
    now = request.app[CLOCK].now()
    async with request.app[DB].transaction() as session:
        app = await service.load_for(session, request.match_info["number"], actor, lock=True)
        result = await action(session, app, actor, now)
        view = await full_view(session, app, _today(request))
    if result is not None:
        view["result"] = result
    return web.json_response(view)


@routes.post(
    "/api/applications/{number}/submit",
    access=CLERKS,
    summary="Submit, or resubmit after correction",
    tags=("applications",),
)
async def submit(request: web.Request) -> web.Response:
    async def act(session: Any, app: Any, actor: Principal, now: Any) -> None:
        await service.submit(session, app=app, actor=actor, now=now)

    return await _decide(request, act)


@routes.post(
    "/api/applications/{number}/accept",
    access=OFFICERS,
    body=Accept,
    summary="Accept (受理), optionally with non-essential materials to come (容缺)",
    tags=("applications",),
)
async def accept(request: web.Request) -> web.Response:
    body = await parse_body(request, Accept)

    async def act(session: Any, app: Any, actor: Principal, now: Any) -> None:
        await service.accept(session, app=app, pending=body.pending, actor=actor, now=now)

    return await _decide(request, act)


@routes.post(
    "/api/applications/{number}/reject",
    access=OFFICERS,
    body=Reject,
    summary="Reject (不予受理) with reasons",
    tags=("applications",),
)
async def reject(request: web.Request) -> web.Response:
    body = await parse_body(request, Reject)

    async def act(session: Any, app: Any, actor: Principal, now: Any) -> None:
        await service.reject(session, app=app, reasons=body.reasons, actor=actor, now=now)

    return await _decide(request, act)


@routes.post(
    "/api/applications/{number}/return",
    access=OFFICERS,
    body=ReturnForCorrection,
    summary="Return for correction (补正) with one notice listing every deficiency",
    tags=("applications",),
)
async def return_for_correction(request: web.Request) -> web.Response:
    body = await parse_body(request, ReturnForCorrection)

    async def act(session: Any, app: Any, actor: Principal, now: Any) -> dict[str, Any]:
        notice = await service.return_for_correction(
            session, app=app, invalid=body.invalid, actor=actor, now=now
        )
        return {"notice": notice.items}

    return await _decide(request, act)


@routes.post(
    "/api/applications/{number}/advance",
    access=OFFICERS,
    body=Advance,
    summary="Forwarded, in process or completed",
    tags=("applications",),
)
async def advance(request: web.Request) -> web.Response:
    body = await parse_body(request, Advance)

    async def act(session: Any, app: Any, actor: Principal, now: Any) -> None:
        await service.advance(session, app=app, target=body.target, actor=actor, now=now)

    return await _decide(request, act)


@routes.get(
    "/api/progress/{number}",
    access=PUBLIC,
    summary="Status and history by application number and query code (X-Query-Code)",
    tags=("progress",),
    guessable=True,
)
async def progress(request: web.Request) -> web.Response:
    code = request.headers.get("X-Query-Code") or request.query.get("code", "")
    async with request.app[DB].transaction() as session:
        app = await service.load_by_code(session, request.match_info["number"], code)
        return web.json_response(await progress_view(session, app, _today(request)))


@routes.post(
    "/api/progress/{number}/rating",
    access=PUBLIC,
    body=RatingIn,
    summary="Rate the service after completion (好差评)",
    tags=("progress",),
    guessable=True,
)
async def rate(request: web.Request) -> web.Response:
    body = await parse_body(request, RatingIn)
    code = request.headers.get("X-Query-Code", "")
    async with request.app[DB].transaction() as session:
        app = await service.load_by_code(session, request.match_info["number"], code)
        rating = await service.rate(
            session, app=app, level=body.level, comment=body.comment, now=request.app[CLOCK].now()
        )
    return web.json_response({"level": rating.level, "follow_up": rating.follow_up}, status=201)


@routes.get(
    "/api/queue",
    access=allow(Role.OFFICER, Role.SUPERVISOR, Role.CLERK, scope=Scope.OWN_BRANCH, read_only=True),
    summary="Open applications by deadline",
    tags=("applications",),
)
async def queue(request: web.Request) -> web.Response:
    principal = current_principal(request)
    branch = principal.branch if principal.role is Role.CLERK else request.query.get("branch")
    async with request.app[DB].transaction() as session:
        return web.json_response(await work_queue(session, _today(request), branch))


@routes.get(
    "/api/statistics/ratings",
    access=allow(Role.SUPERVISOR, Role.AUDITOR, read_only=True),
    summary="Ratings and overdue counts per item and office",
    tags=("statistics",),
)
async def ratings(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        return web.json_response(await rating_summary(session, _today(request)))
