"""The branch kiosk's face verification: the clerk opens a grant, the kiosk page uses it.

* ``/kiosk`` — the clerk's page: choose the enrolled resident and the act they came for;
* ``/kiosk/verify`` — the kiosk page: the challenge step by step, the camera, the decision, and
  the hand-over to the hub's resident page (``#code=…&decision=…``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from common.access import PUBLIC, Role, Scope, allow
from common.errors import N_, DomainError
from common.i18n import translate
from common.service import PAGES
from common.web import LOCALE, RouteTable, current_principal, parse_body
from overseas_node.identity.kiosk import GRANT_HEADER, grant_view, open_grant
from overseas_node.identity.routes import IDENTITY

__all__ = ["STATIC_DIR", "routes"]

routes = RouteTable()
TAGS = ("identity", "kiosk")
STATIC_DIR = Path(__file__).parent / "static"

# Every text kiosk.js shows.
SCRIPT_MESSAGES = (
    N_("Starting…"),
    N_("Look straight at the camera."),
    N_("Blink your eyes."),
    N_("Turn your head to your left."),
    N_("Turn your head to your right."),
    N_("Step {n} of {total}"),
    N_("Checking your face… this takes a few seconds."),
    N_("Your identity is verified."),
    N_("The verification did not succeed."),
    N_("No camera could be opened. Please ask the clerk for help."),
    N_("This page has no kiosk verification. Please ask the clerk to open one."),
    N_("Opening the verification…"),
    N_("The kiosk verification is ready."),
)
REASONS = {
    "liveness": N_("The face did not follow the prompts. Please ask the clerk to try again."),
    "identity": N_("The face does not match the enrolled photo."),
    "expired": N_("The time for this verification ran out."),
    "replay": N_("These camera frames were already used."),
}


class KioskGrantIn(BaseModel):
    resident_id: str = Field(min_length=1, max_length=120)
    act_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    booking_reference: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,40}$")


@routes.post(
    "/api/identity/kiosk-grants",
    access=allow(Role.CLERK, scope=Scope.OWN_BRANCH),
    body=KioskGrantIn,
    summary="Open a short-lived, single-use kiosk verification for an enrolled resident",
    tags=TAGS,
)
async def post_grant(request: web.Request) -> web.Response:
    body = await parse_body(request, KioskGrantIn)
    opened = await open_grant(
        request.app[IDENTITY],
        clerk=current_principal(request),
        resident_id=body.resident_id.strip(),
        act_id=body.act_id,
        booking_reference=body.booking_reference,
    )
    return web.json_response(
        {
            "grant_id": opened.grant_id,
            "token": opened.token,
            "expires_at": opened.expires_at,
            "page": f"/kiosk/verify#grant={opened.token}",
        },
        status=201,
    )


@routes.get(
    "/api/identity/kiosk-grants/current",
    access=allow(Role.RESIDENT, scope=Scope.OWN, read_only=True),
    summary=f"The kiosk grant this request carries ({GRANT_HEADER}): whom, which act, until when",
    tags=TAGS,
)
async def get_current_grant(request: web.Request) -> web.Response:
    resident = current_principal(request)
    if "kiosk_grant" not in resident.extra:
        raise DomainError(
            "kiosk.grant_unknown",
            N_("This kiosk verification is not valid. Please ask the clerk to open a new one."),
            status=401,
        )
    return web.json_response(await grant_view(request.app[IDENTITY], resident))


def _config(request: web.Request) -> dict[str, Any]:
    locale = request[LOCALE]
    texts = [*SCRIPT_MESSAGES, *REASONS.values()]
    return {
        "lang": locale,
        "messages": {m: translate(locale, m) for m in texts},
        "reasons": REASONS,
    }


@routes.get(
    "/kiosk",
    access=allow(Role.CLERK, scope=Scope.OWN_BRANCH, read_only=True),
    summary="The clerk opens a kiosk verification for a resident at the branch",
    tags=("pages",),
)
async def clerk_page(request: web.Request) -> web.Response:
    return request.app[PAGES].render(request, "kiosk/open.html", config=_config(request))


@routes.get(
    "/kiosk/verify",
    access=PUBLIC,
    summary="The kiosk's face verification page (the grant travels in the address fragment)",
    tags=("pages",),
)
async def kiosk_page(request: web.Request) -> web.Response:
    return request.app[PAGES].render(request, "kiosk/verify.html", config=_config(request))
