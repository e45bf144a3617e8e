"""Pages of remote notarization: the notary's day, act and journal; the resident's act; the
clerk's witness page; the public verification page. Live steps run in the browser through
the JSON API (notarization.js), so the video session on the act page is never reloaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from common.access import PUBLIC, Role, allow
from common.errors import N_, REFUSALS, DomainError
from common.i18n import translate
from common.pages import viewer_zone
from common.service import DB, PAGES
from common.web import LOCALE, RouteTable, current_principal
from hub.notarization import archive, desk, service, signing
from hub.notarization.archive import act_view
from hub.notarization.model import KINDS
from hub.sessions import service as video
from hub.sessions.page import session_page_context
from hub.zone import hub_zone

__all__ = ["CLERK_NEXT", "NOTARY_NEXT", "page_routes", "render_page", "stage_of"]

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


# What comes next for each role, by the act's stage: its state, and "presented_signed" once
# the resident has signed what the notary presented.
NOTARY_NEXT = {
    "": N_("Open the act on the resident's application"),
    "booked": N_("Waiting for the resident's face check at the branch"),
    "identified": N_("Start the recorded video session"),
    "in_session": N_("Read the advisements aloud, then present the certificate"),
    "presented": N_("Waiting for the resident's signature and the branch clerk's witness"),
    "presented_signed": N_("The resident has signed: waiting for the branch clerk's witness"),
    "witnessed": N_("Sign and seal the certificate"),
    "issued": N_("Issued: anyone can verify the certificate"),
    "refused": N_("Refused: nothing more to do"),
    "adjourned": N_("Adjourned: resume it when the resident is ready"),
}
RESIDENT_NEXT = {
    "booked": N_("Next: prove your identity with the face check at the branch kiosk."),
    "identified": N_(
        "Identity verified. Next: the notary starts the recorded video session; stay here."
    ),
    "in_session": N_(
        "Join the video session: the notary reads you the advisements, then asks you to sign."
    ),
    "presented": N_(
        "Read the certificate, then sign it with the code from your authenticator app."
    ),
    "presented_signed": N_(
        "You have signed. Next: the branch clerk witnesses, then the notary signs and seals."
    ),
    "witnessed": N_("Witnessed. Next: the notary signs and seals the certificate."),
    "issued": N_("Your certificate has been issued. You can download it below."),
    "refused": N_("The notary refused this act. The reason is below."),
    "adjourned": N_("The notary adjourned this act; the branch will book a new appointment."),
}
CLERK_NEXT = {
    "booked": N_("Next: the resident proves identity at the kiosk."),
    "identified": N_("Next: the notary starts the recorded video session with the resident."),
    "in_session": N_("The session is running: stay beside the resident until they sign."),
    "presented": N_("Waiting for the resident's signature; then you co-sign as witness."),
    "presented_signed": N_(
        "The resident has signed: co-sign as witness if you saw the whole session."
    ),
    "witnessed": N_("You co-signed. Next: the notary signs and seals the certificate."),
    "issued": N_("The certificate has been issued."),
    "refused": N_("The notary refused this act."),
    "adjourned": N_("The notary adjourned this act; book a new appointment with the resident."),
}


def stage_of(act: dict[str, Any]) -> str:
    """The act's state, or "presented_signed" once the resident signed what was presented."""
    current = act.get("current_sha256")
    if act["state"] == "presented" and current and current != act["document_sha256"]:
        return "presented_signed"
    return str(act["state"])


def _messages(locale: str) -> dict[str, str]:
    texts = [*SCRIPT_MESSAGES, *STATES.values()]
    texts += [a.text for k in KINDS.values() for a in k.advisements]
    return {m: translate(locale, m) for m in texts}


def _when(value: str | None, request: web.Request) -> str:
    if not value:
        return ""
    zone = viewer_zone(request, hub_zone().key)
    return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M ") + zone.key


def render_page(
    request: web.Request,
    template: str,
    *,
    next_steps: dict[str, str] | None = None,
    **context: Any,
) -> web.Response:
    locale = request[LOCALE]
    return request.app[PAGES].render(
        request,
        template,
        states=STATES,
        when=lambda v: _when(v, request),
        config={
            "messages": _messages(locale),
            "lang": locale,
            "states": STATES,
            "zone": viewer_zone(request, hub_zone().key).key,
            "titles": {t.value: translate(locale, k.title) for t, k in KINDS.items()},
            "next": {k: translate(locale, v) for k, v in (next_steps or {}).items()},
        },
        **context,
    )


async def _act_for_staff(request: web.Request) -> Any:
    async with request.app[DB].transaction() as session:
        row = await service.load_act(session, request.match_info["id"])
        service.assigned(row, current_principal(request))
        service.same_branch(row, current_principal(request))
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
    async with request.app[DB].transaction() as session:
        notary = await service.staff_name(session, act["notary"])
    running = act["state"] in ("in_session", "presented", "witnessed")
    live = running and bool(
        act["video_session_id"]
        and request.query.get("session") == act["video_session_id"]
        and request.query.get("token")
    )
    people = [
        {"participant": "notary", "name": notary, "role": "notary"},
        {"participant": "resident", "name": act["resident_name"], "role": "resident"},
    ]
    return render_page(
        request,
        "notarization/notary_act.html",
        next_steps=NOTARY_NEXT,
        act=act,
        stage=stage_of(act),
        recording_flag=(
            await video.recording_flags(request.app[DB], [act["video_session_id"]])
        ).get(act["video_session_id"])
        if act["video_session_id"]
        else None,
        **session_page_context(request, people, live=live),
    )


@page_routes.get(
    "/notary/journal",
    access=allow(Role.NOTARY, read_only=True),
    summary="The notary's electronic journal, with its export",
    tags=TAGS,
)
async def notary_journal(request: web.Request) -> web.Response:
    rows = await archive.journal_export(
        request.app[DB], notary=current_principal(request).subject, since=None, until=None
    )
    return render_page(request, "notarization/journal.html", rows=rows)


@page_routes.get(
    "/notarization/acts/{id}",
    access=PUBLIC,
    summary="The resident's act: status, identity, consent and signature (kiosk or own device)",
    tags=TAGS,
)
async def resident_act(request: web.Request) -> web.Response:
    people = [
        {
            "participant": "notary",
            "name": translate(request[LOCALE], N_("Notary")),
            "role": "notary",
        },
        {
            "participant": "resident",
            "name": translate(request[LOCALE], N_("You")),
            "role": "resident",
        },
    ]
    return render_page(
        request,
        "notarization/resident.html",
        next_steps=RESIDENT_NEXT,
        act_id=request.match_info["id"],
        **session_page_context(request, people, live=False),
    )


@page_routes.get(
    "/branch/notarizations/{id}",
    access=allow(Role.CLERK, read_only=True),
    summary="The clerk's witness co-signature of a notarial session",
    tags=TAGS,
)
async def clerk_witness(request: web.Request) -> web.Response:
    act = await _act_for_staff(request)
    return render_page(
        request,
        "notarization/witness.html",
        next_steps=CLERK_NEXT,
        act=act,
        stage=stage_of(act),
    )


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
    return render_page(
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
