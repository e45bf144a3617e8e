"""The platform's API and its status page.

Access: the case API is declared PUBLIC because the RFC 9421 signature *is* the
authentication — each handler verifies it (and refuses stale or replayed requests) before it
reads anything. The fault switches are PUBLIC but answer only callers on the loopback
interface: they exist for tests and demos on one machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.access import PUBLIC
from common.errors import N_, DomainError, Forbidden, Invalid, NotFound
from common.httpsig import SignatureRefused
from common.outbox import queue_stats
from common.service import CLOCK, DB, PAGES
from common.web import RouteTable, parse_body
from govnet_sim import service
from govnet_sim.context import PLATFORM
from govnet_sim.model import FaultPlan, Faults, IdempotencyDecision, RequestFault, request_hash
from govnet_sim.tables import outbox

__all__ = ["routes"]

routes = RouteTable()
_HOUR = timedelta(hours=1)
SIGNED = "Signed (RFC 9421): the signature is the authentication, verified in the handler."


class Submission(BaseModel):
    """A forwarded application; the platform keeps the whole document."""

    model_config = ConfigDict(extra="allow")
    reference: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")


class StatusQuery(BaseModel):
    references: list[str] = Field(min_length=1, max_length=500)


class FaultSwitches(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    slow_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_s: float = Field(default=30.0, ge=0, le=600)
    slow_s: float = Field(default=2.0, ge=0, le=600)
    drop_callback_rate: float = Field(default=0.0, ge=0, le=1)
    duplicate_callback_rate: float = Field(default=0.0, ge=0, le=1)
    seed: int | None = None


async def _authenticate(request: web.Request, body: bytes) -> str:
    """Verify the signature and that its nonce is new; returns the client's key id."""
    ctx = request.app[PLATFORM]
    signed = ctx.verifier.verify(
        method=request.method, url=str(request.url), headers=request.headers, body=body
    )
    fresh = await service.first_use_of_nonce(
        request.app[DB], key_id=signed.key_id, nonce=signed.nonce, now=request.app[CLOCK].now()
    )
    if not fresh:
        raise SignatureRefused("the nonce was used before (a replayed request)")
    return signed.key_id


def _submission(body: bytes) -> Submission:
    try:
        return Submission.model_validate_json(body)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        raise Invalid(
            "request.invalid", N_("Some fields are missing or invalid."), errors=errors
        ) from None


@routes.post(
    "/api/v1/cases", access=PUBLIC, summary=f"Receive a forwarded case. {SIGNED}", tags=("cases",)
)
async def receive_case(request: web.Request) -> web.Response:
    body = await request.read()
    client_id = await _authenticate(request, body)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 200:
        raise DomainError(
            "idempotency.missing", N_("The Idempotency-Key header is required."), status=400
        )
    submission = _submission(body)
    ctx = request.app[PLATFORM]
    fault = ctx.faults.request()
    if fault is RequestFault.ERROR:
        raise DomainError(
            "platform.unavailable", N_("The platform is unavailable; try again later."), status=503
        )
    # A client that gives up does not stop the platform: the work runs to its end, shielded
    # from the disconnect, and its answer is kept under the key for the client's retry.
    return await asyncio.shield(
        _answer(request, client_id, key, request_hash(body), submission, fault)
    )


async def _answer(
    request: web.Request,
    client_id: str,
    key: str,
    body_hash: str,
    submission: Submission,
    fault: RequestFault,
) -> web.Response:
    db, now = request.app[DB], request.app[CLOCK].now()
    decision, stored = await service.begin_request(
        db, client_id=client_id, key=key, body_hash=body_hash, now=now
    )
    if decision is IdempotencyDecision.REPLAY and stored is not None:
        return web.json_response(
            stored.body, status=stored.status, headers={"Idempotent-Replayed": "true"}
        )
    if decision is IdempotencyDecision.MISMATCH:
        raise Invalid(
            "idempotency.mismatch",
            N_("This Idempotency-Key was already used with a different request."),
        )
    if decision is IdempotencyDecision.IN_FLIGHT:
        raise DomainError(
            "idempotency.in_flight",
            N_("A request with this Idempotency-Key is still being processed."),
            status=409,
        )
    return await _process(request, client_id, key, submission, fault)


async def _process(
    request: web.Request, client_id: str, key: str, submission: Submission, fault: RequestFault
) -> web.Response:
    ctx = request.app[PLATFORM]
    try:
        if fault is RequestFault.TIMEOUT:
            await asyncio.sleep(ctx.faults.plan.timeout_s)
        elif fault is RequestFault.SLOW:
            await asyncio.sleep(ctx.faults.plan.slow_s)
        answer = await service.create_case(
            request.app[DB],
            client_id=client_id,
            key=key,
            reference=submission.reference,
            payload=submission.model_dump(mode="json"),
            callback_url=ctx.settings.callback_url,
            now=request.app[CLOCK].now(),
        )
    except Exception:
        await service.release_key(request.app[DB], client_id=client_id, key=key)
        raise
    return web.json_response(answer.body, status=answer.status)


@routes.get(
    "/api/v1/cases/{case_no}", access=PUBLIC, summary=f"Poll one case. {SIGNED}", tags=("cases",)
)
async def poll_case(request: web.Request) -> web.Response:
    client_id = await _authenticate(request, await request.read())
    view = await service.case_by_number(
        request.app[DB], client_id=client_id, case_no=request.match_info["case_no"]
    )
    if view is None:
        raise NotFound("case.unknown", N_("No such case."))
    return web.json_response(view)


@routes.post(
    "/api/v1/cases/query",
    access=PUBLIC,
    summary=f"Poll many cases by the client's references. {SIGNED}",
    tags=("cases",),
)
async def query_cases(request: web.Request) -> web.Response:
    body = await request.read()
    client_id = await _authenticate(request, body)
    try:
        query = StatusQuery.model_validate_json(body)
    except ValidationError:
        raise Invalid("request.invalid", N_("Some fields are missing or invalid.")) from None
    found = await service.cases_by_reference(
        request.app[DB], client_id=client_id, references=query.references
    )
    unknown = [r for r in query.references if r not in found]
    return web.json_response({"cases": list(found.values()), "unknown": unknown})


def _loopback_only(request: web.Request) -> None:
    if request.remote not in ("127.0.0.1", "::1"):
        raise Forbidden("access.loopback_only", N_("Only callers on this machine may do this."))


def _plan_view(plan: FaultPlan) -> dict[str, Any]:
    return dataclasses.asdict(plan)


@routes.get(
    "/api/v1/admin/faults",
    access=PUBLIC,
    summary="Current fault switches (loopback callers only)",
    tags=("admin",),
)
async def get_faults(request: web.Request) -> web.Response:
    _loopback_only(request)
    return web.json_response(_plan_view(request.app[PLATFORM].faults.plan))


@routes.put(
    "/api/v1/admin/faults",
    access=PUBLIC,
    body=FaultSwitches,
    summary="Set the fault switches (loopback callers only)",
    tags=("admin",),
)
async def put_faults(request: web.Request) -> web.Response:
    _loopback_only(request)
    switches = await parse_body(request, FaultSwitches)
    try:
        plan = FaultPlan(**switches.model_dump())
    except ValueError as exc:
        raise Invalid(
            "faults.invalid",
            N_("These fault switches do not fit together."),
            errors=[{"field": "", "message": str(exc)}],
        ) from None
    request.app[PLATFORM].faults = Faults(plan)
    return web.json_response(_plan_view(plan))


# what the status page calls each case status and fault switch
STATUS_LABELS = {
    "received": N_("received by the platform"),
    "in_process": N_("being processed by the department"),
    "completed": N_("concluded by the department"),
    "returned": N_("returned by the platform"),
}
FAULT_LABELS = {
    "error_rate": N_("share of requests answered with an error"),
    "timeout_rate": N_("share of requests left without an answer"),
    "slow_rate": N_("share of requests answered slowly"),
    "timeout_s": N_("seconds before an unanswered request is dropped"),
    "slow_s": N_("seconds a slow answer takes"),
    "drop_callback_rate": N_("share of status callbacks not sent"),
    "duplicate_callback_rate": N_("share of status callbacks sent twice"),
    "seed": N_("seed of the random faults"),
}


@routes.get("/status", access=PUBLIC, summary="The simulator's status page", tags=("pages",))
async def status_page(request: web.Request) -> web.Response:
    db = request.app[DB]
    counts = await service.status_counts(db)
    async with db.transaction() as s:
        queues = await queue_stats(s, outbox, now=request.app[CLOCK].now(), window=_HOUR)
    return request.app[PAGES].render(
        request,
        "govnet_status.html",
        counts=counts,
        queues=queues,
        faults=_plan_view(request.app[PLATFORM].faults.plan),
        status_labels=STATUS_LABELS,
        fault_labels=FAULT_LABELS,
    )
