"""HTTP API for a party on their own device (case number and access code) and the signature
steps: the party's (face decision, then one-time code), the mediator's; the documents."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from common.access import PUBLIC, Principal, Role
from common.audit import record
from common.errors import N_, NotFound
from common.service import AUDIT, CLOCK, DB
from common.web import RouteTable, current_principal, parse_body
from hub.mediation import service, signing
from hub.mediation.model import Step
from hub.mediation.routes import MEDIATOR, READERS, _visible
from hub.mediation.runtime import MEDIATION, signing_ports
from hub.mediation.schemas import party_view
from hub.mediation.service import signer_key
from hub.mediation.tables import Participant
from hub.signatures.consent import Proof, enrol_resident
from hub.signatures.runtime import SIGNATURES

__all__ = ["access_code", "enrol_party", "routes"]

routes = RouteTable()
TAGS = ("mediation",)


class Challenge(BaseModel):
    face_decision: dict[str, Any]


class PartySignature(BaseModel):
    code: str = Field(max_length=16)
    document_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def access_code(request: web.Request) -> str:
    return request.headers.get("X-Access-Code") or request.query.get("code", "")


def _number(request: web.Request) -> str:
    return request.match_info["number"]


def _doc_id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def party_case(request: web.Request, number: str, code: str) -> dict[str, Any]:
    async with request.app[DB].sessions() as session:
        case, me = await service.load_for_party(session, number, code)
        view = party_view(await service.case_file(session, case), me)
    return view


@routes.get(
    "/api/mediation/my/{number}",
    access=PUBLIC,
    summary="A participant's own view of the case (X-Access-Code)",
    tags=TAGS,
    guessable=True,
)
async def my_case(request: web.Request) -> web.Response:
    return web.json_response(await party_case(request, _number(request), access_code(request)))


@routes.post(
    "/api/mediation/my/{number}/consent",
    access=PUBLIC,
    summary="A party consents to mediation and to the recording of its sessions",
    tags=TAGS,
    guessable=True,
)
async def consent(request: web.Request) -> web.Response:
    now = request.app[CLOCK].now()
    async with request.app[DB].transaction() as session:
        case, me = await service.load_for_party(
            session, _number(request), access_code(request), lock=True
        )
        f = await service.case_file(session, case)
        f.check(Step.CONSENT)
        if me.consented_at is None:
            me.consented_at = now
            actor = Principal(
                subject=f"resident:{me.document}", role=Role.RESIDENT, branch=me.location
            )
            detail = {"participant": me.id, "to": ["mediation", "recording"]}
            await record(
                session,
                request.app[AUDIT],
                at=now,
                actor=actor,
                action="mediation.consented",
                subject=f"mediation:{case.number}",
                detail=detail,
            )
        view = party_view(f, me)
    return web.json_response(view)


@routes.post(
    "/api/mediation/my/{number}/enrolment",
    access=PUBLIC,
    summary="A party enrols an authenticator app for signing",
    tags=TAGS,
    guessable=True,
)
async def enrolment(request: web.Request) -> web.Response:
    me, enrolled = await enrol_party(request, _number(request), access_code(request))
    body = {
        "account": f"resident:{me.document}",
        "otpauth_uri": enrolled.uri,
        "qr_png": base64.b64encode(enrolled.qr_png).decode(),
    }
    return web.json_response(body, status=201)


async def enrol_party(request: web.Request, number: str, code: str) -> tuple[Participant, Any]:
    """The participant holding ``code`` gets an authenticator secret for signing (API or page)."""
    async with request.app[DB].sessions() as session:
        _case, me = await service.load_for_party(session, number, code)
    enrolled = await enrol_resident(
        request.app[DB],
        request.app[SIGNATURES].box,
        account=f"resident:{me.document}",
        label=me.name,
        at=request.app[CLOCK].now(),
        # named with their document by the staff who opened the case, and reached only with
        # the access code sent to them; replacing an enrolment still takes a face decision
        proof=Proof.CLERK,
    )
    return me, enrolled


async def _pdf(request: web.Request, sha256: str, name: str) -> web.Response:
    data = request.app[MEDIATION].store.get(sha256)
    headers = {"Content-Disposition": f'inline; filename="{name}"', "X-Document-SHA256": sha256}
    return web.Response(body=data, content_type="application/pdf", headers=headers)


@routes.get(
    "/api/mediation/my/{number}/documents/{id:\\d+}",
    access=PUBLIC,
    summary="A document of the case as signed so far (for its signers)",
    tags=TAGS,
    guessable=True,
)
async def my_document(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        case, me = await service.load_for_party(session, _number(request), access_code(request))
        f = await service.case_file(session, case)
    doc = next((d for d in f.documents if d.id == _doc_id(request)), None)
    if doc is None or (doc.kind != "agreement" and signer_key(me) not in doc.signers):
        raise NotFound("mediation.no_document", N_("No such document on this case."))
    return await _pdf(request, doc.current_sha256, f"{case.number}-{doc.kind}-v{doc.version}.pdf")


@routes.post(
    "/api/mediation/my/{number}/documents/{id:\\d+}/challenge",
    access=PUBLIC,
    body=Challenge,
    summary="The party brings the node's signed face decision for this document",
    tags=TAGS,
    guessable=True,
)
async def challenge(request: web.Request) -> web.Response:
    body = await parse_body(request, Challenge)
    found = await signing.open_challenge(
        signing_ports(request.app),
        _number(request),
        access_code(request),
        _doc_id(request),
        body.face_decision,
    )
    return web.json_response(found)


@routes.post(
    "/api/mediation/my/{number}/documents/{id:\\d+}/sign",
    access=PUBLIC,
    body=PartySignature,
    summary="The party signs with the one-time code bound to the exact file",
    tags=TAGS,
    guessable=True,
)
async def party_sign(request: web.Request) -> web.Response:
    body = await parse_body(request, PartySignature)
    result = await signing.sign_as_party(
        signing_ports(request.app),
        _number(request),
        access_code(request),
        _doc_id(request),
        body.code,
        body.document_sha256,
    )
    return web.json_response(result)


@routes.get(
    "/api/mediation/my/{number}/documents/{id:\\d+}/progress",
    access=PUBLIC,
    summary="Where the party's running signature stands",
    tags=TAGS,
    guessable=True,
)
async def progress(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        _case, me = await service.load_for_party(session, _number(request), access_code(request))
    stage = request.app[MEDIATION].progress.get(_doc_id(request), signer_key(me))
    return web.json_response({"stage": stage or "idle"})


@routes.post(
    "/api/mediation/cases/{number}/documents/{id:\\d+}/sign",
    access=MEDIATOR,
    summary="The mediator signs after every party; the hub seal follows",
    tags=TAGS,
)
async def mediator_sign(request: web.Request) -> web.Response:
    result = await signing.sign_as_mediator(
        signing_ports(request.app), _number(request), _doc_id(request), current_principal(request)
    )
    return web.json_response(result)


@routes.get(
    "/api/mediation/cases/{number}/documents/{id:\\d+}",
    access=READERS,
    summary="A document of the case as signed so far",
    tags=TAGS,
)
async def staff_document(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        case = await _visible(request, session, _number(request))
        f = await service.case_file(session, case)
    doc = next((d for d in f.documents if d.id == _doc_id(request)), None)
    if doc is None:
        raise NotFound("mediation.no_document", N_("No such document on this case."))
    return await _pdf(request, doc.current_sha256, f"{case.number}-{doc.kind}-v{doc.version}.pdf")
