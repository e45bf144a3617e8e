"""Pages of remote notarization: the notary's day, act and journal; the resident's act; the
clerk's witness page; the public verification page. Live steps run in the browser through
the JSON API (notarization.js), so the video session on the act page is never reloaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from common.access import PUBLIC, Role, allow
from common.errors import N_, REFUSALS, DomainError
from common.i18n import translate, translator
from common.pages import viewer_zone
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable
from hub.notarization import archive, desk, service, signing
from hub.notarization.archive import act_view
from hub.notarization.model import KINDS
from hub.notarization.routes import principal
from hub.sessions.live import LIVE
from hub.zone import hub_zone
from media.browser import browser_messages

__all__ = ["page_routes"]

page_routes = RouteTable()
TAGS = ("pages",)
STATIC = "/notarization/static/"

# Every text notarization.js shows.
SCRIPT_MESSAGES = (
    N_("Working… this can take a few seconds."),
    N_("Done."),
    N_("Enter the query code of your application."),
    N_("Read"),
    N_("Not read yet"),
    N_("Showing the certificate to the resident."),
    N_("Signing the certificate…"),
    N_("Your signature is on the certificate."),
    N_("Verifying your identity…"),
)
STATES = {
    "booked": N_("Booked"),
    "identified": N_("Identity verified"),
    "in_session": N_("In session with the notary"),
    "presented": N_("Ready for your signature"),
    "witnessed": N_("Witnessed by the branch"),
    "issued": N_("Certificate issued"),
    "refused": N_("Refused"),
    "adjourned": N_("Adjourned"),
}


def _messages(locale: str) -> dict[str, str]:
    texts = [*SCRIPT_MESSAGES, *STATES.values()]
    texts += [a.text for k in KINDS.values() for a in k.advisements]
    return {m: translate(locale, m) for m in texts}


def _when(value: str | None, request: web.Request) -> str:
    if not value:
        return ""
    zone = viewer_zone(request, hub_zone().key)
    return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M ") + zone.key


def _render(request: web.Request, template: str, **context: Any) -> web.Response:
    return request.app[PAGES].render(
        request,
        template,
        states=STATES,
        when=lambda v: _when(v, request),
        config={
            "messages": _messages(request[LOCALE]),
            "lang": request[LOCALE],
            "states": STATES,
            "zone": viewer_zone(request, hub_zone().key).key,
            "titles": {t.value: translate(request[LOCALE], k.title) for t, k in KINDS.items()},
        },
        **context,
    )


@page_routes.get(
    "/notary", access=allow(Role.NOTARY, read_only=True), summary="The notary's day", tags=TAGS
)
async def notary_day(request: web.Request) -> web.Response:
    day = (
        desk._day(request.query.get("day"), "day")
        or request.app[CLOCK].now().astimezone(viewer_zone(request, hub_zone().key)).date()
    )
    acts = await desk.queue_of(request, principal(request).subject, day)
    return _render(request, "notarization/notary_day.html", day=day, acts=acts)


async def _act_for_staff(request: web.Request) -> Any:
    async with request.app[DB].transaction() as session:
        row = await service.load_act(session, request.match_info["id"])
        service.assigned(row, principal(request))
        service.same_branch(row, principal(request))
        current = await signing.current_document(session, row)
    return {**act_view(row), "current_sha256": current}


@page_routes.get(
    "/notary/acts/{id}",
    access=allow(Role.NOTARY, read_only=True),
    summary="The act page: video session, draft, advisements, signatures",
    tags=TAGS,
)
async def notary_act(request: web.Request) -> web.Response:
    act = await _act_for_staff(request)
    live = request.app[LIVE]
    media = {
        "messages": browser_messages(translator(request[LOCALE])),
        "signalBase": "/api/sessions/",
        "iceServers": live.turn.browser_ice_servers("browser", live.clock),
        "lang": request[LOCALE],
    }
    return _render(request, "notarization/notary_act.html", act=act, media=media)


@page_routes.get(
    "/notary/journal",
    access=allow(Role.NOTARY, read_only=True),
    summary="The notary's electronic journal, with its export",
    tags=TAGS,
)
async def notary_journal(request: web.Request) -> web.Response:
    rows = await archive.journal_export(
        request.app[DB], notary=principal(request).subject, since=None, until=None
    )
    return _render(request, "notarization/journal.html", rows=rows)


@page_routes.get(
    "/notarization/acts/{id}",
    access=PUBLIC,
    summary="The resident's act: status, identity, consent and signature (kiosk or own device)",
    tags=TAGS,
)
async def resident_act(request: web.Request) -> web.Response:
    return _render(request, "notarization/resident.html", act_id=request.match_info["id"])


@page_routes.get(
    "/branch/notarizations/{id}",
    access=allow(Role.CLERK, read_only=True),
    summary="The clerk's witness co-signature of a notarial session",
    tags=TAGS,
)
async def clerk_witness(request: web.Request) -> web.Response:
    act = await _act_for_staff(request)
    return _render(request, "notarization/witness.html", act=act)


async def _verify_page(
    request: web.Request, code: str, pdf: bytes | None, status: int = 200
) -> web.Response:
    found: dict[str, Any] | None = None
    error = ""
    if code:
        try:
            found = await (
                desk.check(request, code, pdf)
                if pdf
                else archive.public_status(request.app[DB], code)
            )
        except REFUSALS as exc:
            error, status = translate(request[LOCALE], exc.message), exc.status
    return _render(
        request, "notarization/verify.html", code=code, found=found, error=error, status=status
    )


@page_routes.get(
    "/verify",
    access=PUBLIC,
    summary="Anyone checks a notarial certificate (?code=, from its QR code)",
    tags=TAGS,
    guessable=True,
)
async def verify_page(request: web.Request) -> web.Response:
    return await _verify_page(request, request.query.get("code", "").strip(), None)


@page_routes.post(
    "/verify",
    access=PUBLIC,
    summary="Check a PDF one holds against the certificate of a verification code",
    tags=TAGS,
    guessable=True,
)
async def verify_upload(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > desk.MAX_PDF:
        raise DomainError(
            "notarization.too_large", N_("The file is larger than 20 MB."), status=413
        )
    form = await request.post()
    upload = form.get("file")
    pdf = upload.file.read(desk.MAX_PDF + 1) if isinstance(upload, web.FileField) else b""
    return await _verify_page(request, str(form.get("code", "")).strip(), pdf or None)
