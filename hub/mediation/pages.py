"""Pages: the mediator's cases and case page, a party's own page with the signing step, the
supervisor's statistics per office and the auditor's package verification."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from common.access import PUBLIC, Role, allow
from common.errors import REFUSALS, Refusal
from common.i18n import translate
from common.service import DB, PAGES
from common.web import LOCALE, RouteTable
from hub.mediation import service, signing
from hub.mediation.figures import statistics_of
from hub.mediation.package import verify_latest
from hub.mediation.party import party_case
from hub.mediation.routes import (
    MEDIATOR,
    READERS,
    STATS,
    _visible,
    add_note_to,
    case_rows,
    drafting_agreement,
    mediator_step,
    principal_of,
)
from hub.mediation.schemas import staff_view

__all__ = ["page_routes"]

page_routes = RouteTable()
TAGS = ("pages", "mediation")
AUDITORS = allow(Role.AUDITOR, Role.SUPERVISOR, read_only=True)


def _message(request: web.Request, exc: Refusal) -> str:
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
    return _render(request, "index.html", cases=rows, counts=counts, me=principal_of(request))


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
    return await _case_response(request)


async def _case_response(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    view = await _case_view(request)
    current = next(
        (
            d
            for d in reversed(view["documents"])
            if d["kind"] == "agreement" and d["state"] != "void"
        ),
        None,
    )
    mine = principal_of(request).subject == view["mediator"]
    return _render(request, "case.html", status, v=view, agreement=current, mine=mine, error=error)


async def _form_step(request: web.Request, run: Any) -> web.Response:
    try:
        await run(await request.post())
    except REFUSALS as exc:
        return await _case_response(request, _message(request, exc), exc.status)
    raise web.HTTPSeeOther(f"/mediation/cases/{request.match_info['number']}")


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

    return await _form_step(request, run)


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

    return await _form_step(request, run)


@page_routes.post(
    "/mediation/cases/{number}/documents/{id:\\d+}/sign",
    access=MEDIATOR,
    summary="The mediator's signature, from the case page",
    tags=TAGS,
)
async def sign_form(request: web.Request) -> web.Response:
    async def run(form: Any) -> None:
        await signing.sign_as_mediator(
            request,
            request.match_info["number"],
            int(request.match_info["id"]),
            principal_of(request),
        )

    return await _form_step(request, run)


@page_routes.get(
    "/mediation/my",
    access=PUBLIC,
    summary="A party's own page: case status and the signing step",
    tags=TAGS,
    guessable=True,
)
async def party_page(request: web.Request) -> web.Response:
    number, code = (
        request.query.get("number", "").strip(),
        request.query.get("code", "").strip().upper(),
    )
    view, error, status = None, "", 200
    if number:
        try:
            view = await party_case(request, number, code)
        except REFUSALS as exc:
            error, status = _message(request, exc), exc.status
    return _render(request, "party.html", status, v=view, number=number, code=code, error=error)


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
            error=_message(request, exc),
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
            error=_message(request, exc),
        )
    return _render(request, "audit_case.html", number=number, row=row, verdict=verdict, error="")
