"""HTTP API of mediation cases for staff: open, sessions, notes, drafts, close, statistics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role, Scope, allow
from common.errors import N_, Invalid, NotFound
from common.names import PersonName
from common.service import CLOCK, DB, audit
from common.web import RouteTable, current_principal, parse_body
from hub.mediation import service
from hub.mediation.model import CaseState, Step
from hub.mediation.runtime import MEDIATION
from hub.mediation.schemas import staff_view
from hub.mediation.service import CaseFile, NewCase, NewPerson
from hub.mediation.tables import CaseNote, MediationCase

__all__ = [
    "FORM_OPENERS",
    "MEDIATOR",
    "OPENERS",
    "READERS",
    "STATS",
    "OpenCase",
    "Person",
    "case_subject",
    "drafting_statement",
    "opening_case",
    "routes",
]

routes = RouteTable()
TAGS = ("mediation",)
OPENERS = allow(Role.OFFICER, Role.CLERK, Role.SUPERVISOR, scope=Scope.OWN_BRANCH)
# A mediator opens the cases they take on from the new-case page (and may name an invited one).
FORM_OPENERS = allow(
    Role.MEDIATOR, Role.OFFICER, Role.CLERK, Role.SUPERVISOR, scope=Scope.OWN_BRANCH
)
READERS = allow(Role.MEDIATOR, Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, read_only=True)
MEDIATOR = allow(Role.MEDIATOR, scope=Scope.ASSIGNED)
STATS = allow(Role.SUPERVISOR, Role.OFFICER, Role.AUDITOR, read_only=True)
CODE = r"^[A-Z]{2,8}$"


class Person(BaseModel):
    role: Literal["party", "representative", "interpreter", "witness"] = "party"
    name: PersonName
    document: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    location: str = Field(pattern=CODE)
    lang: str = Field(default="zh", pattern=r"^(zh|en|it)$")
    represents: int | None = Field(default=None, ge=0, le=20)


class OpenCase(BaseModel):
    office: str = Field(pattern=CODE)
    subject: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=20000)
    mediator: str = Field(min_length=1, max_length=64)
    people: list[Person] = Field(min_length=2, max_length=20)


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=20000)
    session: str | None = Field(default=None, max_length=32)


class OpenSession(BaseModel):
    kind: Literal["mediation", "evidence"] = "mediation"
    witness: int | None = None


class Draft(BaseModel):
    terms: list[str] = Field(min_length=1, max_length=50)


class Statement(BaseModel):
    session: str = Field(min_length=1, max_length=32)
    statement: str = Field(min_length=1, max_length=20000)


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=5000)


def case_subject(case: MediationCase) -> str:
    return f"mediation:{case.number}"


@routes.post(
    "/api/mediation/cases",
    access=OPENERS,
    body=OpenCase,
    summary="Open a mediation case",
    tags=TAGS,
)
async def open_case(request: web.Request) -> web.Response:
    body = await parse_body(request, OpenCase)
    view, codes = await opening_case(request, body)
    for person in view["participants"]:
        person["access_code"] = codes[person["id"]]  # shown this once, to hand to each person
    return web.json_response(view, status=201)


async def opening_case(
    request: web.Request, body: OpenCase
) -> tuple[dict[str, Any], dict[int, str]]:
    """Open the case (API or form); its view and each person's access code."""
    actor, now = current_principal(request), request.app[CLOCK].now()
    people = sorted(body.people, key=lambda p: p.role != "party")  # parties first
    if people != body.people:
        raise Invalid("mediation.parties_first", N_("List the parties before their helpers."))
    new = NewCase(
        body.office,
        body.subject.strip(),
        body.summary.strip(),
        body.mediator,
        [
            NewPerson(
                p.role, p.name.strip(), p.document, p.country, p.location, p.lang, p.represents
            )
            for p in people
        ],
    )
    async with request.app[DB].transaction() as session:
        case, codes = await service.open_case(session, new=new, actor=actor, now=now)
        detail = {"office": case.office, "mediator": case.mediator, "people": len(codes)}
        await audit(request, session, "mediation.opened", case_subject(case), detail)
        f = await service.case_file(session, case)
    return staff_view(f), codes


async def _visible(request: web.Request, session: AsyncSession, number: str) -> MediationCase:
    case = await service.load(session, number)
    actor = current_principal(request)
    if actor.role is Role.MEDIATOR and case.mediator != actor.subject:
        raise NotFound(
            "mediation.not_found", N_("No mediation case {number}."), params={"number": number}
        )
    return case


@routes.get(
    "/api/mediation/cases", access=READERS, summary="Mediation cases (a mediator's own)", tags=TAGS
)
async def list_cases(request: web.Request) -> web.Response:
    rows = await case_rows(request)
    for row in rows:
        for key in ("opened_at", "settled_at"):
            row[key] = row[key].isoformat() if row[key] else None
    return web.json_response({"cases": rows})


async def case_rows(request: web.Request) -> list[dict[str, Any]]:
    actor = current_principal(request)
    query = select(MediationCase).order_by(MediationCase.opened_at.desc())
    if actor.role is Role.MEDIATOR:
        query = query.where(MediationCase.mediator == actor.subject)
    if request.query.get("office"):
        query = query.where(MediationCase.office == request.query["office"])
    async with request.app[DB].sessions() as session:
        cases = (await session.scalars(query)).all()
    return [
        {
            "number": c.number,
            "office": c.office,
            "subject": c.subject,
            "state": c.state,
            "mediator": c.mediator,
            "mediator_name": c.mediator_name,
            "opened_at": c.opened_at,
            "settled_at": c.settled_at,
        }
        for c in cases
    ]


@routes.get(
    "/api/mediation/cases/{number}", access=READERS, summary="One mediation case", tags=TAGS
)
async def get_case(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        case = await _visible(request, session, request.match_info["number"])
        f = await service.case_file(session, case)
    return web.json_response(staff_view(f))


Change = Callable[[AsyncSession, CaseFile, Principal], Awaitable[dict[str, Any]]]


async def mediator_step(
    request: web.Request, action: str, change: Change, status: int = 200
) -> web.Response:
    """Load the case locked, let its assigned mediator change it, audit, answer the new view."""
    actor, number = current_principal(request), request.match_info["number"]
    async with request.app[DB].transaction() as session:
        case = await service.load(session, number, lock=True)
        service.require_mediator(case, actor)
        f = await service.case_file(session, case)
        detail = await change(session, f, actor)
        await audit(request, session, action, case_subject(case), detail)
        await session.flush()
        view = staff_view(await service.case_file(session, case))
    return web.json_response(view, status=status)


@routes.post(
    "/api/mediation/cases/{number}/notes",
    access=MEDIATOR,
    body=Note,
    summary="The mediator writes a note",
    tags=TAGS,
)
async def add_note(request: web.Request) -> web.Response:
    body = await parse_body(request, Note)
    change = add_note_to(request, body.text, body.session)
    return await mediator_step(request, "mediation.note_written", change, 201)


def add_note_to(request: web.Request, text: str, on: str | None) -> Change:
    async def change(session: AsyncSession, f: CaseFile, actor: Principal) -> dict[str, Any]:
        f.check(Step.NOTE)
        if not text.strip():
            raise Invalid("mediation.note_empty", N_("Write the note first."))
        if on and on not in {s.video_session for s in f.sessions}:
            raise NotFound(
                "mediation.no_session", N_("No session {id} on this case."), params={"id": on}
            )
        note = CaseNote(
            case_id=f.case.id,
            video_session=on,
            text=text.strip(),
            written_by=actor.subject,
            written_at=request.app[CLOCK].now(),
        )
        session.add(note)
        return {"session": on, "length": len(note.text)}

    return change


@routes.post(
    "/api/mediation/cases/{number}/agreement",
    access=MEDIATOR,
    body=Draft,
    summary="Draft the agreement from the template (voids earlier drafts and their signatures)",
    tags=TAGS,
)
async def draft_agreement(request: web.Request) -> web.Response:
    body = await parse_body(request, Draft)
    return await drafting_agreement(request, body.terms)


async def drafting_agreement(request: web.Request, terms: list[str]) -> web.Response:
    return await _drafting(
        request,
        "mediation.agreement_drafted",
        lambda f, actor, written: service.draft_agreement(
            f,
            terms=terms,
            actor=actor,
            now=request.app[CLOCK].now(),
            store=request.app[MEDIATION].store,
            written=written,
        ),
    )


@routes.post(
    "/api/mediation/cases/{number}/statements",
    access=MEDIATOR,
    body=Statement,
    summary="Write down an evidence session's statement for the witness to sign",
    tags=TAGS,
)
async def draft_statement(request: web.Request) -> web.Response:
    body = await parse_body(request, Statement)
    return await drafting_statement(request, body.session, body.statement)


async def drafting_statement(request: web.Request, on: str, statement: str) -> web.Response:
    def make(f: CaseFile, actor: Principal, written: list[str]) -> Any:
        doc = service.draft_statement(
            f,
            video_session=on,
            statement=statement,
            actor=actor,
            now=request.app[CLOCK].now(),
            store=request.app[MEDIATION].store,
            written=written,
        )
        return doc, []

    return await _drafting(request, "mediation.statement_drafted", make)


async def _drafting(
    request: web.Request, action: str, make: Callable[[CaseFile, Principal, list[str]], Any]
) -> web.Response:
    async def change(session: AsyncSession, f: CaseFile, actor: Principal) -> dict[str, Any]:
        doc, voided = make(f, actor, written)
        session.add(doc)
        await session.flush()
        return {
            "document": doc.id,
            "kind": doc.kind,
            "version": doc.version,
            "text_sha256": doc.text_sha256,
            "pdf_sha256": doc.draft_sha256,
            "voided": [d.id for d in voided],
        }

    async with request.app[MEDIATION].store.keeping() as written:
        return await mediator_step(request, action, change, 201)


@routes.post(
    "/api/mediation/cases/{number}/close",
    access=MEDIATOR,
    body=Reason,
    summary="Close a case without agreement",
    tags=TAGS,
)
async def close_case(request: web.Request) -> web.Response:
    body = await parse_body(request, Reason)

    async def change(session: AsyncSession, f: CaseFile, actor: Principal) -> dict[str, Any]:
        f.check(Step.CLOSE)
        f.case.state, f.case.closed_at, f.case.close_reason = (
            CaseState.CLOSED.value,
            request.app[CLOCK].now(),
            body.reason.strip(),
        )
        return {"reason": body.reason.strip()}

    return await mediator_step(request, "mediation.closed", change)
