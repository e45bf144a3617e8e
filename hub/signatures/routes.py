"""HTTP routes of signatures: enrolment, node keys, signing requests and their three steps."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import PUBLIC, Role, allow
from common.errors import N_, Conflict, Invalid, NotFound
from common.service import CLOCK, DB, audit
from common.web import PRINCIPAL, RouteTable, current_principal, parse_body
from hub.applications.service import load_by_code
from hub.applications.tables import Application
from hub.signatures.consent import checked_face, enrol_resident, identity_proof
from hub.signatures.runtime import SIGNATURES
from hub.signatures.service import (
    create_request,
    load_request,
    resident_id_of,
)
from hub.signatures.tables import node_keys
from media.face import key_id_of
from signing.primitives import load_ed25519_public

__all__ = ["routes"]

routes = RouteTable()
TAGS = ("signatures",)
STAFF = (Role.OFFICER, Role.NOTARY, Role.SUPERVISOR, Role.AUDITOR)


class ByCode(BaseModel):
    number: str = Field(min_length=1, max_length=32)
    query_code: str = Field(min_length=1, max_length=32)


class Enrol(ByCode):
    # the node's signed face decision for this resident; needed where no clerk checked the
    # document (a self-service application) and for every re-enrolment
    face_decision: dict[str, Any] | None = None


class NodeKey(BaseModel):
    branch: str = Field(pattern=r"^[A-Z]{2,8}$")
    public_key: str = Field(description="Ed25519 public key, 32 bytes, base64")


class NewRequest(BaseModel):
    application_number: str = Field(min_length=1, max_length=32)
    notary: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=160)
    document: str = Field(description="The PDF, base64")


def _now(request: web.Request) -> datetime:
    return request.app[CLOCK].now()


async def _resident(request: web.Request, session: AsyncSession, row: Any) -> Application:
    """The resident proves who they are with the application's query code (X-Query-Code)."""
    app = await load_by_code(
        session, row.application_number, request.headers.get("X-Query-Code", "")
    )
    if resident_id_of(app) != row.resident_id:
        raise NotFound("signing.no_request", N_("No such signing request."))
    return app


@routes.post(
    "/api/signatures/enrolment",
    access=PUBLIC,
    body=Enrol,
    summary="A resident enrols an authenticator app (application number and query code, and "
    "a face decision where no clerk checked the document or to replace an enrolment)",
    tags=TAGS,
    guessable=True,
)
async def post_enrolment(request: web.Request) -> web.Response:
    body = await parse_body(request, Enrol)
    now = _now(request)
    async with request.app[DB].transaction() as session:
        app = await load_by_code(session, body.number, body.query_code)
        account = resident_id_of(app)
        face = None
        if body.face_decision is not None:
            face, _evidence = await checked_face(
                session, body.face_decision, resident_id=account, at=now
            )
    proof = identity_proof(opened_by_clerk=not app.owner.startswith("resident:"), face=face)
    enrolment = await enrol_resident(
        request.app[DB],
        request.app[SIGNATURES].box,
        account=account,
        label=app.resident_name,
        at=now,
        proof=proof,
    )
    return web.json_response(
        {
            "account": resident_id_of(app),
            "otpauth_uri": enrolment.uri,
            "qr_png": base64.b64encode(enrolment.qr_png).decode(),
        },
        status=201,
    )


@routes.post(
    "/api/signatures/node-keys",
    access=allow(Role.ADMIN),
    body=NodeKey,
    summary="Register a node's identity-decision key (its /api/identity/decision-key)",
    tags=TAGS,
)
async def post_node_key(request: web.Request) -> web.Response:
    body = await parse_body(request, NodeKey)
    try:
        key = load_ed25519_public(base64.b64decode(body.public_key, validate=True))
    except (ValueError, binascii.Error):
        raise Invalid(
            "signing.bad_node_key", N_("The key is not a base64 Ed25519 public key.")
        ) from None
    key_id = key_id_of(key)
    try:
        async with request.app[DB].transaction() as session:
            await session.execute(
                insert(node_keys).values(
                    key_id=key_id,
                    branch=body.branch,
                    public_key=base64.b64decode(body.public_key),
                    registered_at=_now(request),
                    registered_by=current_principal(request).subject,
                )
            )
            await audit(
                request,
                session,
                "signature.node_key_registered",
                f"node:{body.branch}",
                {"key_id": key_id},
            )
    except IntegrityError:
        raise Conflict(
            "signing.node_key_exists", N_("This node key is registered already.")
        ) from None
    return web.json_response({"key_id": key_id, "branch": body.branch}, status=201)


@routes.post(
    "/api/signatures/requests",
    access=allow(Role.OFFICER, Role.NOTARY),
    body=NewRequest,
    summary="Ask a resident to sign a document (then the assigned notary, then the seal)",
    tags=TAGS,
)
async def post_request(request: web.Request) -> web.Response:
    body = await parse_body(request, NewRequest)
    try:
        pdf = base64.b64decode(body.document, validate=True)
    except binascii.Error:
        raise Invalid("signing.not_a_pdf", N_("The document must be a PDF file.")) from None
    result = await create_request(
        request.app[DB],
        request.app[SIGNATURES].store,
        number=body.application_number,
        notary=body.notary,
        title=body.title,
        pdf=pdf,
        actor=current_principal(request),
        at=_now(request),
    )
    return web.json_response(result, status=201)


def _view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "application_number": row.application_number,
        "title": row.title,
        "notary": row.notary,
        "state": row.state,
        "document_sha256": row.document_sha256,
        "current_sha256": row.current_sha256,
        "updated_at": row.updated_at.isoformat(),
    }


@routes.get(
    "/api/signatures/requests/{id}",
    access=allow(*STAFF, read_only=True),
    summary="A signing request and where it stands",
    tags=TAGS,
)
async def get_request(request: web.Request) -> web.Response:
    async with request.app[DB].transaction() as session:
        row = await load_request(session, request.match_info["id"])
    return web.json_response(_view(row))


@routes.get(
    "/api/signatures/requests/{id}/document",
    access=PUBLIC,
    summary="The document as signed so far (staff, or the resident with X-Query-Code)",
    tags=TAGS,
    guessable=True,
)
async def get_document(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    async with request.app[DB].transaction() as session:
        row = await load_request(session, request.match_info["id"])
        if principal is None or principal.role not in STAFF:
            await _resident(request, session, row)
    pdf = request.app[SIGNATURES].store.get(row.current_sha256)
    return web.Response(body=pdf, content_type="application/pdf")
