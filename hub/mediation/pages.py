"""Pages: the mediator's cases and case page, a party's own page with the signing step, the
supervisor's statistics per office and the auditor's package verification."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from common.access import Role, allow
from common.errors import N_, REFUSALS, Refusal
from common.i18n import translate
from common.service import DB, PAGES
from common.web import LOCALE, RouteTable, current_principal
from hub.mediation import service, signing
from hub.mediation.figures import statistics_of
from hub.mediation.model import still_voided, terms_of
from hub.mediation.package import verify_latest
from hub.mediation.routes import (
    MEDIATOR,
    READERS,
    STATS,
    _visible,
    add_note_to,
    case_rows,
    drafting_agreement,
    mediator_step,
)
from hub.mediation.runtime import signing_ports
from hub.mediation.schemas import staff_view
from hub.mediation.tables import SignedPackage
from hub.sessions import service as video

__all__ = ["case_response", "form_step", "message", "page_routes"]

page_routes = RouteTable()
TAGS = ("pages", "mediation")
AUDITORS = allow(Role.AUDITOR, Role.SUPERVISOR, read_only=True)


def message(request: web.Request, exc: Refusal) -> str:
    return translate(request.get(LOCALE, "zh"), exc.message, **exc.params)


def _render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    return request.app[PAGES].render(request, f"mediation/{template}", status=status, **context)


@page_routes.get("/mediation", access=READERS, summary="The mediator's cases", tags=TAGS)
async def index_page(request: web.Request) -> web.Response:
    rows = await case_rows(request)
    counts = {
        s: sum(1 for r in rows if r["state"] == s)
        for s in ("open", "mediating", "drafted", "settled", "closed")
    }
    return _render(request, "index.html", cases=rows, counts=counts, me=current_principal(request))


async def _case_view(request: web.Request) -> dict[str, Any]:
    async with request.app[DB].sessions() as session:
        case = await _visible(request, session, request.match_info["number"])
        f = await service.case_file(session, case)
    view = staff_view(f)
    view["case"] = case
    view["people"] = {p.id: p for p in f.people}
    view["session_rows"] = f.sessions
    view["note_rows"] = f.notes
    return view


@page_routes.get(
    "/mediation/cases/{number}",
    access=READERS,
    summary="A case: parties, sessions, notes, agreement",
    tags=TAGS,
)
async def case_page(request: web.Request) -> web.Response:
    return await case_response(request)


async def case_response(
    request: web.Request,
    error: str = "",
    status: int = 200,
    invitation: dict[str, Any] | None = None,
) -> web.Response:
    """The case page, with a refusal or a just-issued invitation when there is one."""
    view = await _case_view(request)
    docs = view["documents"]
    current = next(
        (d for d in reversed(docs) if d["kind"] == "agreement" and d["state"] != "void"), None
    )
    replaced = still_voided(docs)
    running = next((s for s in view["session_rows"] if s.ended_at is None), None)
    statements = {
        d["session"]: d for d in docs if d["kind"] == "statement" and d["state"] != "void"
    }
    mine = current_principal(request).subject == view["mediator"]
    async with request.app[DB].sessions() as session:
        package = await session.scalar(
            select(SignedPackage)
            .where(SignedPackage.case_id == view["case"].id)
            .order_by(SignedPackage.id.desc())
            .limit(1)
        )
    lang = request.get(LOCALE, "zh")
    hint = mediator_hint(view, running is not None, package is not None)
    return _render(
        request,
        "case.html",
        status,
        v=view,
        hint=translate(lang, hint[0], **hint[1]) if hint else "",
        package=package,
        agreement=current,
        terms=terms_of(current["text"]) if current else [],
        replaced=replaced,
        running=running,
        statements=statements,
        recording_flags=await video.recording_flags(
            request.app[DB], [s.video_session for s in view["session_rows"]]
        ),
        mine=mine,
        error=error,
        invitation=invitation,
        opened=request.query.get("opened") == "1",
    )


SIGN_ORDER = N_(
    "The parties sign the agreement on their own page; you sign after them, then the hub seal follows."  # noqa: E501
)


def mediator_hint(
    view: dict[str, Any], running: bool, packaged: bool
) -> tuple[str, dict[str, Any]] | None:
    """What the mediator does next on this case, in one sentence."""
    state = view["state"]
    waiting = [
        p["name"] for p in view["participants"] if p["role"] == "party" and not p["consented_at"]
    ]
    if running:
        return N_("A session is running: rejoin it or end it when the meeting is over."), {}
    if state == "open" and waiting:
        return (
            N_("Waiting for the consent of {names}. Send the invitations if they have none yet."),
            {"names": ", ".join(waiting)},
        )
    if state == "open":
        return N_("Every party has consented. Start the first recorded session."), {}
    if state == "mediating":
        return N_("Write your notes, then draft the agreement from the template."), {}
    if state == "drafted":
        return (
            SIGN_ORDER,
            {},
        )
    if state == "settled" and not packaged:
        return N_("Settled. Build the judicial-confirmation package for the court."), {}
    if state == "settled":
        return N_("Settled. The package for the court is ready to download."), {}
    return None


async def form_step(request: web.Request, run: Any) -> web.Response:
    try:
        await run(await request.post())
    except REFUSALS as exc:
        return await case_response(request, message(request, exc), exc.status)
    lang = request.get(LOCALE, "zh")
    raise web.HTTPSeeOther(f"/mediation/cases/{request.match_info['number']}?lang={lang}")


@page_routes.post(
    "/mediation/cases/{number}/notes",
    access=MEDIATOR,
    summary="The note form, sent from the case page",
    tags=TAGS,
)
async def note_form(request: web.Request) -> web.Response:
    async def run(form: Any) -> None:
        await mediator_step(
            request, "mediation.note_written", add_note_to(request, str(form.get("text", "")), None)
        )

    return await form_step(request, run)


@page_routes.post(
    "/mediation/cases/{number}/agreement",
    access=MEDIATOR,
    summary="The draft form, sent from the case page",
    tags=TAGS,
)
async def draft_form(request: web.Request) -> web.Response:
    async def run(form: Any) -> None:
        terms = [t for t in str(form.get("terms", "")).splitlines() if t.strip()]
        await drafting_agreement(request, terms)

    return await form_step(request, run)


@page_routes.post(
    "/mediation/cases/{number}/documents/{id:\\d+}/sign",
    access=MEDIATOR,
    summary="The mediator's signature, from the case page",
    tags=TAGS,
)
async def sign_form(request: web.Request) -> web.Response:
    async def run(form: Any) -> None:
        await signing.sign_as_mediator(
            signing_ports(request.app),
            request.match_info["number"],
            int(request.match_info["id"]),
            current_principal(request),
        )

    return await form_step(request, run)


@page_routes.get(
    "/mediation/statistics", access=STATS, summary="Mediation statistics per office", tags=TAGS
)
async def statistics_page(request: web.Request) -> web.Response:
    try:
        figures = await statistics_of(request)
    except REFUSALS as exc:
        return _render(
            request,
            "statistics.html",
            exc.status,
            f=None,
            error=message(request, exc),
            q=request.query,
        )
    return _render(request, "statistics.html", f=figures, error="", q=request.query)


@page_routes.get(
    "/mediation/audit",
    access=AUDITORS,
    summary="Settled cases and their packages, for the auditor",
    tags=TAGS,
)
async def audit_page(request: web.Request) -> web.Response:
    rows = [r for r in await case_rows(request) if r["state"] == "settled"]
    return _render(request, "audit.html", cases=rows)


@page_routes.get(
    "/mediation/audit/{number}",
    access=AUDITORS,
    summary="Every check of a case's package, as the offline verifier makes them",
    tags=TAGS,
)
async def audit_case_page(request: web.Request) -> web.Response:
    number = request.match_info["number"]
    try:
        row, verdict = await verify_latest(request, number)
    except REFUSALS as exc:
        return _render(
            request,
            "audit_case.html",
            exc.status,
            number=number,
            row=None,
            verdict=None,
            error=message(request, exc),
        )
    return _render(request, "audit_case.html", number=number, row=row, verdict=verdict, error="")
