"""Remote notarization over HTTP: the clerk books, the resident proves identity and follows,
the notary runs the act, the clerk witnesses, anyone verifies a certificate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from common.access import PUBLIC, Role, Scope, allow
from common.auditlog.routes import AUDIT_LOG
from common.errors import N_, Conflict, Invalid
from common.service import CLOCK, DB
from common.web import PRINCIPAL, RouteTable, current_principal, parse_body
from hub.notarization import archive, service, signing
from hub.notarization.archive import act_view
from hub.notarization.model import Step
from hub.pki import PKI
from hub.sessions.live import LIVE
from hub.signatures.runtime import SIGNATURES

__all__ = ["VERIFY_BASE", "routes"]

routes = RouteTable()
TAGS = ("notarization",)
NOTARY = allow(Role.NOTARY, scope=Scope.ASSIGNED)
CLERK = allow(Role.CLERK, scope=Scope.OWN_BRANCH)
READERS = allow(Role.NOTARY, Role.CLERK, Role.AUDITOR, Role.SUPERVISOR, read_only=True)
VERIFY_BASE = web.AppKey("notarization_verify_base", str)
MAX_PDF = 20 * 1024 * 1024


class NewAct(BaseModel):
    act_type: str = Field(min_length=1, max_length=32)
    application_number: str = Field(min_length=1, max_length=32)
    booking_reference: str = Field(min_length=1, max_length=32)
    particulars: dict[str, Any]
    copies: int = Field(default=1)


class Identity(BaseModel):
    face_decision: dict[str, Any]


class JoinSession(BaseModel):
    video_session_id: str = Field(pattern=r"^[a-f0-9]{8,32}$")


class Tick(BaseModel):
    code: str = Field(min_length=1, max_length=40)


class Reason(BaseModel):
    reason: str = Field(max_length=4000)


def now(request: web.Request) -> datetime:
    return request.app[CLOCK].now()


def act_id(request: web.Request) -> str:
    return request.match_info["id"]


def _json(row: Any, status: int = 200) -> web.Response:
    return web.json_response(act_view(row), status=status)


@routes.post(
    "/api/notarizations",
    access=CLERK,
    body=NewAct,
    summary="Open a notarial act on the resident's application and the notary's booking",
    tags=TAGS,
)
async def post_act(request: web.Request) -> web.Response:
    body = await parse_body(request, NewAct)
    form = service.NewAct(
        body.act_type,
        body.application_number,
        body.booking_reference,
        body.particulars,
        body.copies,
    )
    row = await service.open_act(
        request.app[DB], form, actor=current_principal(request), at=now(request)
    )
    return _json(row, 201)


@routes.get(
    "/api/notarizations/{id}",
    access=READERS,
    summary="A notarial act and where it stands",
    tags=TAGS,
)
async def get_act(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        row = await service.load_act(session, act_id(request))
        service.assigned(row, current_principal(request))
        service.same_branch(row, current_principal(request))
        current = await signing.current_document(session, row)
    return web.json_response({**act_view(row), "current_sha256": current})


@routes.get(
    "/api/notarizations/{id}/status",
    access=PUBLIC,
    summary="The resident's view of the act (X-Query-Code: the application's query code)",
    tags=TAGS,
    guessable=True,
)
async def get_status(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        row = await service.act_for_resident(
            session, act_id(request), request.headers.get("X-Query-Code", "")
        )
        current = await signing.current_document(session, row)
    view = act_view(row)
    return web.json_response({**view, "current_sha256": current})


@routes.post(
    "/api/notarizations/{id}/video",
    access=PUBLIC,
    summary="The resident's invitation to the act's recorded video session (X-Query-Code)",
    tags=TAGS,
)
async def post_video(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        row = await service.act_for_resident(
            session, act_id(request), request.headers.get("X-Query-Code", "")
        )
    running = row.state in ("in_session", "presented", "witnessed")
    if not running or not row.video_session_id:
        raise Conflict(
            "notarization.no_session", N_("The notary has not started the video session yet.")
        )
    token = request.app[LIVE].issuer.issue(row.video_session_id, "resident", "resident")
    return web.json_response({"session": row.video_session_id, "token": token})


@routes.post(
    "/api/notarizations/{id}/identity",
    access=PUBLIC,
    body=Identity,
    summary="The resident brings the node's signed face + liveness decision (X-Query-Code)",
    tags=TAGS,
    guessable=True,
)
async def post_identity(request: web.Request) -> web.Response:
    body = await parse_body(request, Identity)
    row = await service.identify(
        request.app[DB],
        act_id(request),
        request.headers.get("X-Query-Code", ""),
        body.face_decision,
        at=now(request),
    )
    return _json(row)


@routes.post(
    "/api/notarizations/{id}/session",
    access=NOTARY,
    body=JoinSession,
    summary="The notary links the act's recorded video session (opened at /api/sessions)",
    tags=TAGS,
)
async def post_session(request: web.Request) -> web.Response:
    body = await parse_body(request, JoinSession)
    row = await service.join_session(
        request.app[DB],
        act_id(request),
        body.video_session_id,
        actor=current_principal(request),
        at=now(request),
    )
    return _json(row)


@routes.post(
    "/api/notarizations/{id}/advisements",
    access=NOTARY,
    body=Tick,
    summary="The notary ticks one advisement as read aloud",
    tags=TAGS,
)
async def post_tick(request: web.Request) -> web.Response:
    body = await parse_body(request, Tick)
    row = await service.tick(
        request.app[DB],
        act_id(request),
        body.code,
        actor=current_principal(request),
        at=now(request),
    )
    return _json(row)


@routes.post(
    "/api/notarizations/{id}/present",
    access=NOTARY,
    summary="Every advisement read: present the certificate to the resident for signature",
    tags=TAGS,
)
async def post_present(request: web.Request) -> web.Response:
    row = await signing.present(
        request.app[DB],
        request.app[SIGNATURES].store,
        act_id(request),
        actor=current_principal(request),
        at=now(request),
        verify_base=request.app[VERIFY_BASE],
    )
    return _json(row)


@routes.post(
    "/api/notarizations/{id}/witness",
    access=CLERK,
    summary="The branch clerk co-signs as witness of the session (after the resident)",
    tags=TAGS,
)
async def post_witness(request: web.Request) -> web.Response:
    return await _signature(request, signing.witness)


@routes.post(
    "/api/notarizations/{id}/issue",
    access=NOTARY,
    summary="The notary signs and the hub seal is applied: the certificate is issued",
    tags=TAGS,
)
async def post_issue(request: web.Request) -> web.Response:
    return await _signature(request, signing.issue)


async def _signature(request: web.Request, step: Callable[..., Awaitable[Any]]) -> web.Response:
    """A signing step on the act's certificate (``signing.witness`` or ``signing.issue``)."""
    row = await step(
        request.app[DB],
        request.app[SIGNATURES].store,
        request.app[PKI],
        act_id(request),
        actor=current_principal(request),
        at=now(request),
    )
    return _json(row)


async def _close(request: web.Request, step: Step) -> web.Response:
    body = await parse_body(request, Reason)
    row = await service.close_act(
        request.app[DB],
        act_id(request),
        step,
        body.reason,
        actor=current_principal(request),
        at=now(request),
    )
    return _json(row)


@routes.post(
    "/api/notarizations/{id}/refuse",
    access=NOTARY,
    body=Reason,
    summary="The notary refuses the act, with a reason",
    tags=TAGS,
)
async def post_refuse(request: web.Request) -> web.Response:
    return await _close(request, Step.REFUSE)


@routes.post(
    "/api/notarizations/{id}/adjourn",
    access=NOTARY,
    body=Reason,
    summary="The notary adjourns the act, with a reason",
    tags=TAGS,
)
async def post_adjourn(request: web.Request) -> web.Response:
    return await _close(request, Step.ADJOURN)


@routes.post(
    "/api/notarizations/{id}/resume",
    access=NOTARY,
    summary="An adjourned act is booked again (identity to be proved anew)",
    tags=TAGS,
)
async def post_resume(request: web.Request) -> web.Response:
    row = await service.resume(
        request.app[DB], act_id(request), actor=current_principal(request), at=now(request)
    )
    return _json(row)


async def _document(request: web.Request, row: Any, which: str) -> web.Response:
    store = request.app[SIGNATURES].store
    if which == "certificate":
        digest = row.certificate_sha256
    else:
        async with request.app[DB].transaction() as session:
            digest = await signing.current_document(session, row)
            if digest is None:
                pdf = await signing.certificate_of(session, row, request.app[VERIFY_BASE])
                return _pdf(pdf, f"{row.number}-draft.pdf")
    if digest is None:
        raise Invalid("notarization.not_issued", N_("The certificate has not been issued."))
    return _pdf(store.get(digest), f"{row.number}.pdf")


def _pdf(data: bytes, name: str) -> web.Response:
    return web.Response(
        body=data,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@routes.get(
    "/api/notarizations/{id}/document.pdf",
    access=PUBLIC,
    summary="The certificate as drafted or signed so far (staff, or the resident's query code)",
    tags=TAGS,
    guessable=True,
)
async def get_document(request: web.Request) -> web.Response:
    row = await _readable(request)
    return await _document(request, row, "current")


@routes.get(
    "/api/notarizations/{id}/certificate.pdf",
    access=PUBLIC,
    summary="The issued certificate (staff, or the resident's query code)",
    tags=TAGS,
    guessable=True,
)
async def get_certificate(request: web.Request) -> web.Response:
    row = await _readable(request)
    return await _document(request, row, "certificate")


async def _readable(request: web.Request) -> Any:
    viewer = request[PRINCIPAL]
    code = request.headers.get("X-Query-Code") or request.query.get("code", "")
    async with request.app[DB].transaction() as session:
        if viewer is not None and viewer.role in READERS.roles:
            row = await service.load_act(session, act_id(request))
            service.assigned(row, viewer)
            service.same_branch(row, viewer)
            return row
        return await service.act_for_resident(session, act_id(request), code)


@routes.get(
    "/api/notarizations/{id}/archive",
    access=allow(Role.NOTARY, Role.AUDITOR, Role.SUPERVISOR, read_only=True),
    summary="The act's archive: recording, documents, identity decision, consents, proofs",
    tags=TAGS,
)
async def get_archive(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        service.assigned(
            await service.load_act(session, act_id(request)), current_principal(request)
        )
    found = await archive.archive_of(request.app[DB], request.app[AUDIT_LOG], act_id(request))
    return web.json_response(found)
