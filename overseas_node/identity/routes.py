"""HTTP routes of identity at the node: enrolment (clerk), verification (resident)."""

from __future__ import annotations

import base64

from aiohttp import web
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from common.access import PUBLIC, Role, Scope, allow
from common.ratelimit import enforce
from common.web import RouteTable, current_principal
from overseas_node.identity.kiosk import binder, check_own_attempt, spender
from overseas_node.identity.retention import purge_expired
from overseas_node.identity.service import Identity, enrol, start_attempt
from overseas_node.identity.uploads import read_enrolment, read_frames
from overseas_node.identity.verification import decision_of, submit_frames

__all__ = ["IDENTITY", "routes"]

IDENTITY = web.AppKey("identity", Identity)
routes = RouteTable()
TAGS = ("identity",)


@routes.post(
    "/api/identity/enrolments",
    access=allow(Role.CLERK, scope=Scope.OWN_BRANCH),
    summary="Enrol a resident from a reference photo the clerk checked",
    tags=TAGS,
)
async def post_enrolment(request: web.Request) -> web.Response:
    resident_id, photo = await read_enrolment(request)
    result = await enrol(
        request.app[IDENTITY],
        clerk=current_principal(request),
        resident_id=resident_id,
        photo=photo,
    )
    return web.json_response(result, status=201)


@routes.post(
    "/api/identity/attempts",
    access=allow(Role.RESIDENT, scope=Scope.OWN),
    summary="Start a verification attempt: the liveness challenge, in random order",
    tags=TAGS,
)
async def post_attempt(request: web.Request) -> web.Response:
    resident, ctx = current_principal(request), request.app[IDENTITY]
    await enforce(request, "verification", resident.subject)
    result = await start_attempt(ctx, resident=resident, bind=binder(ctx, resident))
    return web.json_response(result, status=201)


@routes.post(
    "/api/identity/attempts/{attempt_id}/frames",
    access=allow(Role.RESIDENT, scope=Scope.OWN),
    summary="Send the attempt's camera frames; returns the signed decision",
    tags=TAGS,
)
async def post_frames(request: web.Request) -> web.Response:
    resident, ctx = current_principal(request), request.app[IDENTITY]
    attempt_id = request.match_info["attempt_id"]
    await enforce(request, "verification", resident.subject)
    decided = spender(ctx, resident, attempt_id)  # a kiosk may send only its own attempt
    uploaded = await read_frames(request)
    signed = await submit_frames(
        ctx, resident=resident, attempt_id=attempt_id, uploaded=uploaded, decided=decided
    )
    return web.json_response(signed.to_dict())


@routes.get(
    "/api/identity/attempts/{attempt_id}",
    access=allow(Role.RESIDENT, Role.CLERK, scope=Scope.OWN, read_only=True),
    summary="The signed decision of an attempt (the resident's own, or the branch's)",
    tags=TAGS,
)
async def get_decision(request: web.Request) -> web.Response:
    viewer = current_principal(request)
    check_own_attempt(viewer, request.match_info["attempt_id"])
    signed = await decision_of(
        request.app[IDENTITY],
        viewer=current_principal(request),
        attempt_id=request.match_info["attempt_id"],
    )
    return web.json_response(signed.to_dict())


@routes.get(
    "/api/identity/decision-key",
    access=PUBLIC,
    summary="The public key that signs this node's identity decisions",
    tags=TAGS,
)
async def get_decision_key(request: web.Request) -> web.Response:
    signer = request.app[IDENTITY].signer
    raw = signer.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return web.json_response(
        {
            "key_id": signer.key_id,
            "algorithm": "Ed25519",
            "public_key": base64.b64encode(raw).decode(),
        }
    )


@routes.post(
    "/api/identity/retention",
    access=allow(Role.ADMIN),
    summary="Delete templates and frames past their retention period (audited)",
    tags=TAGS,
)
async def post_retention(request: web.Request) -> web.Response:
    counts = await purge_expired(request.app[IDENTITY], actor=current_principal(request).subject)
    return web.json_response(counts)
