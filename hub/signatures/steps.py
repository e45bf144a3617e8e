"""The three signatures of a signing request: the resident (after the node's face decision and
with a one-time code), the assigned notary, the hub seal."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import update

from common.access import PUBLIC, Principal, Role, Scope, allow
from common.errors import N_, Forbidden, NotFound
from common.service import DB, audit
from common.web import RouteTable, current_principal, parse_body
from hub.pki import PKI
from hub.signatures.consent import checked_face, consent_to_sign, face_of, secret_of
from hub.signatures.model import RequestState, expect_state
from hub.signatures.routes import _now, _resident
from hub.signatures.runtime import OWNED_REQUESTS, SIGNATURES
from hub.signatures.service import SignatureStep, advance, load_request
from hub.signatures.tables import signing_requests
from hub.signing_step import resident_stamp, seal_stamp, staff_stamp
from signing.ca import Role as CaRole
from signing.pades import Placement
from signing.totp import TotpPolicy

__all__ = ["routes"]

routes = RouteTable()
TAGS = ("signatures",)


class Challenge(BaseModel):
    face_decision: dict[str, Any]


class ResidentSignature(BaseModel):
    code: str = Field(max_length=16)
    document_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


@routes.post(
    "/api/signatures/requests/{id}/challenge",
    access=PUBLIC,
    body=Challenge,
    summary="The resident brings the node's signed face decision; the code is then bound",
    tags=TAGS,
    guessable=True,
)
async def post_challenge(request: web.Request) -> web.Response:
    body = await parse_body(request, Challenge)
    now = _now(request)
    async with request.app[DB].transaction() as session:
        row = await load_request(session, request.match_info["id"])
        await _resident(request, session, row)
        expect_state(row, RequestState.AWAITING_RESIDENT)
        face, evidence = await checked_face(
            session, body.face_decision, resident_id=row.resident_id, at=now
        )
        t = signing_requests
        await session.execute(
            update(t)
            .where(t.c.id == row.id, t.c.state == RequestState.AWAITING_RESIDENT.value)
            .values(
                session_id=face.session_id,
                challenge_opened_at=now,
                face_decision=evidence,
                updated_at=now,
            )
        )
        await audit(
            request,
            session,
            "signature.consent_requested",
            f"signing:{row.id}",
            {"attempt": face.session_id},
        )
    return web.json_response(
        {
            "document_sha256": row.document_sha256,
            "session_id": face.session_id,
            "expires_at": (now + TotpPolicy().challenge_ttl).isoformat(),
        }
    )


@routes.post(
    "/api/signatures/requests/{id}/resident",
    access=PUBLIC,
    body=ResidentSignature,
    summary="The resident signs with the one-time code (after the face decision)",
    tags=TAGS,
    guessable=True,
)
async def post_resident_signature(request: web.Request) -> web.Response:
    body = await parse_body(request, ResidentSignature)
    now, db, runtime = _now(request), request.app[DB], request.app[SIGNATURES]
    async with db.transaction() as session:
        row = await load_request(session, request.match_info["id"])
        app = await _resident(request, session, row)
        expect_state(row, RequestState.AWAITING_RESIDENT)
        secret = await secret_of(session, runtime.box, row.resident_id)
    if row.face_decision is None or row.session_id is None:  # no face decision brought yet
        raise Forbidden(
            "signing.face_required",
            N_("A successful face verification of the signer is required before signing."),
        )
    consent, auth = await consent_to_sign(
        db,
        resident_id=row.resident_id,
        resident_name=row.resident_name,
        face=face_of(row.face_decision),
        session_id=row.session_id,
        bound_sha256=row.document_sha256,
        opened_at=row.challenge_opened_at,
        secret=secret,
        code=body.code,
        offered_sha256=body.document_sha256,
        at=now,
    )
    actor = Principal(subject=row.resident_id, role=Role.RESIDENT, branch=app.branch)
    step = SignatureStep(
        row.id,
        RequestState.AWAITING_RESIDENT,
        RequestState.RESIDENT_SIGNED,
        "signature.resident_signed",
        actor,
        {
            "attempt": row.session_id,
            "time_step": consent.time_step,
            "document_sha256": row.document_sha256,
        },
    )

    sign = resident_stamp(
        request.app[PKI],
        auth,
        at=now,
        reason="Signed by the applicant",
        placement=Placement(slot=0),
    )
    return web.json_response(await advance(db, runtime.store, step, row=row, sign=sign, at=now))


@routes.post(
    "/api/signatures/requests/{id}/notary",
    access=allow(Role.NOTARY, scope=Scope.ASSIGNED),
    summary="The assigned notary signs after the resident",
    tags=TAGS,
)
async def post_notary_signature(request: web.Request) -> web.Response:
    principal, now, db = current_principal(request), _now(request), request.app[DB]
    owned = request.app.get(OWNED_REQUESTS)
    async with db.transaction() as session:
        row = await load_request(session, request.match_info["id"])
        owner = await owned.owner_of(session, row.id) if owned is not None else None
    if row.notary != principal.subject:
        raise NotFound("signing.no_request", N_("No such signing request."))
    if owned is not None and owner is not None:  # e.g. a notarial act: its domain takes the step
        runtime = request.app[SIGNATURES]
        await owned.notary_signs(db, runtime.store, request.app[PKI], row, owner, principal, now)
        async with db.sessions() as session:
            done = await load_request(session, row.id)
        return web.json_response(
            {"id": done.id, "state": done.state, "current_sha256": done.current_sha256}
        )
    expect_state(row, RequestState.RESIDENT_SIGNED)
    sign = await staff_stamp(
        request.app[PKI],
        principal,
        CaRole.NOTARY,
        field="Notary",
        reason="Notarized",
        placement=Placement(slot=1),
    )
    step = SignatureStep(
        row.id,
        RequestState.RESIDENT_SIGNED,
        RequestState.NOTARIZED,
        "signature.notarized",
        principal,
        {},
    )
    return web.json_response(
        await advance(db, request.app[SIGNATURES].store, step, row=row, sign=sign, at=now)
    )


@routes.post(
    "/api/signatures/requests/{id}/seal",
    access=allow(Role.NOTARY, Role.OFFICER),
    summary="The hub seal closes the document after the notary",
    tags=TAGS,
)
async def post_seal(request: web.Request) -> web.Response:
    principal, now, db = current_principal(request), _now(request), request.app[DB]
    async with db.transaction() as session:
        row = await load_request(session, request.match_info["id"])
    expect_state(row, RequestState.NOTARIZED)
    sign = await seal_stamp(
        request.app[PKI], field="Seal", reason="Sealed by the hub", placement=Placement(slot=2)
    )
    step = SignatureStep(
        row.id, RequestState.NOTARIZED, RequestState.SEALED, "signature.sealed", principal, {}
    )
    return web.json_response(
        await advance(db, request.app[SIGNATURES].store, step, row=row, sign=sign, at=now)
    )
