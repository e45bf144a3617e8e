"""Status callbacks from the platform.

Access: PUBLIC, because the RFC 9421 signature with the platform's key is the authentication;
the handler verifies it, refuses stale or replayed requests, and dedups on the event id before
the status reaches the :class:`~hub.govnet.service.StatusSink`\\ s.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from common.access import PUBLIC
from common.errors import N_, Invalid
from common.httpsig import SignatureRefused
from common.outbox import accept_once
from common.service import CLOCK, DB
from common.web import RouteTable
from hub.db import inbox_keys
from hub.govnet.model import PlatformStatus, Source
from hub.govnet.runtime import GOVNET, STATUS_SINKS
from hub.govnet.service import apply_status

__all__ = ["routes"]

routes = RouteTable()


class CallbackEvent(BaseModel):
    event_id: str = Field(min_length=1, max_length=200)
    case_no: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=64)
    status: str = Field(pattern=r"^(received|in_process|completed|returned)$")
    version: int = Field(ge=1)
    reason: str | None = None


@routes.post(
    "/api/v1/govnet/callbacks",
    access=PUBLIC,
    summary="A case status from the provincial platform. Signed (RFC 9421): the signature is "
    "the authentication, verified in the handler.",
    tags=("govnet",),
)
async def platform_callback(request: web.Request) -> web.Response:
    body = await request.read()
    signed = request.app[GOVNET].verifier.verify(
        method=request.method, url=str(request.url), headers=request.headers, body=body
    )
    try:
        event = CallbackEvent.model_validate_json(body)
    except ValidationError:
        raise Invalid("request.invalid", N_("Some fields are missing or invalid.")) from None
    now = request.app[CLOCK].now()
    async with request.app[DB].transaction() as s:
        if not await accept_once(
            s, inbox_keys, source=f"nonce:{signed.key_id}", key=signed.nonce, now=now
        ):
            raise SignatureRefused("the nonce was used before (a replayed request)")
        fresh = await accept_once(
            s, inbox_keys, source="govnet-callback", key=event.event_id, now=now
        )
        applied = fresh and await apply_status(
            s,
            request.app[STATUS_SINKS],
            PlatformStatus.from_platform(event.model_dump(), Source.CALLBACK),
            now=now,
        )
    return web.json_response({"duplicate": not fresh, "applied": applied})
