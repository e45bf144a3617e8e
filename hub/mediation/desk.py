"""The mediator's desk (pages): a new case from a form, invitations handed out from the case
page, sessions started, rejoined and ended from it, and the witness statement of an evidence
session. Every form posts here and comes back with post-redirect-get, or with the page and the
refusal in the viewer's language; a refused form leaves nothing stored."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select

from common.access import Principal
from common.audit import record
from common.errors import N_, REFUSALS, Invalid, NotFound
from common.i18n import translate
from common.numbers import hash_query_code, new_query_code
from common.service import AUDIT, CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable, current_principal
from hub.mediation import service
from hub.mediation.meetings import mediator_invitation, start_session, stop_session
from hub.mediation.package import build
from hub.mediation.pages import case_response, form_step, message
from hub.mediation.routes import (
    FORM_OPENERS,
    MEDIATOR,
    OpenCase,
    OpenSession,
    case_subject,
    drafting_statement,
    opening_case,
)
from hub.mediation.tables import Participant

__all__ = ["desk_routes"]

desk_routes = RouteTable()
TAGS = ("pages", "mediation")
ROWS = 5  # people rows on the new-case form: two parties and up to three helpers
FIELDS = {
    "office": N_("Office that opens the case"),
    "subject": N_("Dispute"),
    "summary": N_("Facts"),
    "mediator": N_("Mediator"),
    "name": N_("Name"),
    "document": N_("Document number"),
    "country": N_("Country of residence (two letters, e.g. IT)"),
    "location": N_("Takes part from"),
    "lang": N_("Language"),
    "role": N_("Role"),
    "represents": N_("Assists"),
}


INVITED = N_(
    "You are invited to a remote mediation. Open the address below and enter the case number and your access code."  # noqa: E501
)
WHAT_NEXT = N_(
    "Your page shows the one step that is yours: first your consent, then the video session, then your signature on the agreement."  # noqa: E501
)


def _lang(request: web.Request) -> str:
    return str(request.get(LOCALE, "zh"))


async def _choices(request: web.Request) -> dict[str, Any]:
    async with request.app[DB].sessions() as session:
        offices, mediators = await service.form_choices(session)
    hub_offices = {o.code for o in offices if o.kind == "hub"}
    return {"offices": offices, "mediators": mediators, "hub_offices": hub_offices}


async def _new_page(
    request: web.Request, errors: list[str] | None = None, sent: Any = None, status: int = 200
) -> web.Response:
    me = current_principal(request)
    form = sent or {"office": me.branch or "", "mediator": me.subject}
    return request.app[PAGES].render(
        request,
        "mediation/new.html",
        status=status,
        errors=errors or [],
        form=form,
        rows=range(ROWS),
        **await _choices(request),
    )


@desk_routes.get("/mediation/new", access=FORM_OPENERS, summary="The new-case form", tags=TAGS)
async def new_case_page(request: web.Request) -> web.Response:
    return await _new_page(request)


def _people(form: Any) -> list[dict[str, Any]]:
    """The filled rows of the form, in their order (a row without a name is left out)."""
    people = []
    for i in range(ROWS):
        name = str(form.get(f"p{i}-name", "")).strip()
        if not name:
            continue
        represents = str(form.get(f"p{i}-represents", ""))
        people.append(
            {
                "role": str(form.get(f"p{i}-role", "party")),
                "name": name,
                "document": str(form.get(f"p{i}-document", "")).strip().upper(),
                "country": str(form.get(f"p{i}-country", "")).strip().upper(),
                "location": str(form.get(f"p{i}-location", "")),
                "lang": str(form.get(f"p{i}-lang", "zh")),
                "represents": int(represents) if represents.isdigit() else None,
            }
        )
    return people


def _field_errors(lang: str, exc: ValidationError) -> list[str]:
    """One line per wrong field, named as the form names it: "Person 2: Document number"."""
    lines: list[str] = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        label = translate(lang, FIELDS.get(loc[-1], N_("Some fields are missing or invalid.")))
        if loc[0] == "people" and len(loc) > 2 and loc[1].isdigit():
            line = translate(lang, N_("Person {n}: {field}"), n=int(loc[1]) + 1, field=label)
        elif loc[0] == "people":
            line = translate(lang, N_("Name at least two people: the parties."))
        else:
            line = label
        if line not in lines:
            lines.append(line)
    return lines


@desk_routes.post(
    "/mediation/new", access=FORM_OPENERS, summary="The new-case form, sent", tags=TAGS
)
async def new_case_sent(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    sent = {k: str(v) for k, v in form.items()}
    lang = _lang(request)
    try:
        body = OpenCase.model_validate(
            {
                "office": sent.get("office", ""),
                "subject": sent.get("subject", ""),
                "summary": sent.get("summary", ""),
                "mediator": sent.get("mediator", ""),
                "people": _people(form),
            }
        )
        view, _codes = await opening_case(request, body)
    except ValidationError as exc:
        return await _new_page(request, _field_errors(lang, exc), sent, 422)
    except REFUSALS as exc:
        return await _new_page(request, [message(request, exc)], sent, exc.status)
    raise web.HTTPSeeOther(f"/mediation/cases/{view['number']}?lang={lang}&opened=1")


def _number(request: web.Request) -> str:
    return request.match_info["number"]


@desk_routes.post(
    "/mediation/cases/{number}/people/{id:\\d+}/invitation",
    access=MEDIATOR,
    summary="A new invitation for one person: a fresh access code (the earlier one stops working)",
    tags=TAGS,
)
async def invite(request: web.Request) -> web.Response:
    actor, pid = current_principal(request), int(request.match_info["id"])
    try:
        async with request.app[DB].transaction() as session:
            case = await service.load(session, _number(request), lock=True)
            service.require_mediator(case, actor)
            person = await session.scalar(
                select(Participant).where(Participant.case_id == case.id, Participant.id == pid)
            )
            if person is None:
                raise NotFound("mediation.no_person", N_("No such person on this case."))
            code = new_query_code()
            person.access_code_hash = hash_query_code(code)
            await _record(request, session, actor, case_subject(case), person)
    except REFUSALS as exc:
        return await case_response(request, message(request, exc), exc.status)
    return await case_response(request, invitation=invitation_card(request, person, code))


def invitation_card(request: web.Request, person: Participant, code: str) -> dict[str, str]:
    """The invitation in the invited person's own language, to hand over or send on."""
    lang = person.lang

    def say(text: str, **params: Any) -> str:
        return translate(lang, text, **params)

    return {
        "lang": lang,
        "code": code,
        "address": f"{request.url.origin()}/mediation/my",
        "title": say(N_("Invitation for {name}"), name=person.name),
        "intro": say(INVITED),
        "case_label": say(N_("Case number")),
        "code_label": say(N_("Your access code")),
        "page_label": say(N_("Address")),
        "next": say(WHAT_NEXT),
    }


async def _record(
    request: web.Request, session: Any, actor: Principal, subject: str, person: Participant
) -> None:
    await record(
        session,
        request.app[AUDIT],
        at=request.app[CLOCK].now(),
        actor=actor,
        action="mediation.invited",
        subject=subject,
        detail={"participant": person.id, "role": person.role},
    )


def _session_page(request: web.Request, invitation: dict[str, str]) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{invitation['page']}&lang={_lang(request)}")


@desk_routes.post(
    "/mediation/cases/{number}/sessions",
    access=MEDIATOR,
    summary="Start a recorded session from the case page and go to it",
    tags=TAGS,
)
async def start_from_case(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    witness = str(form.get("witness", ""))
    try:
        body = OpenSession(
            kind="evidence" if form.get("kind") == "evidence" else "mediation",
            witness=int(witness) if witness.isdigit() else None,
        )
        opened = await start_session(request, _number(request), body)
    except REFUSALS as exc:
        return await case_response(request, message(request, exc), exc.status)
    raise _session_page(request, opened["invitations"][0])


@desk_routes.get(
    "/mediation/cases/{number}/sessions/{session_id}/join",
    access=MEDIATOR,
    summary="Rejoin the running session of the case",
    tags=TAGS,
)
async def rejoin(request: web.Request) -> web.StreamResponse:
    actor, session_id = current_principal(request), request.match_info["session_id"]
    async with request.app[DB].sessions() as session:
        case = await service.load(session, _number(request))
        service.require_mediator(case, actor)
        f = await service.case_file(session, case)
    if not any(s.video_session == session_id and s.ended_at is None for s in f.sessions):
        return await case_response(
            request, translate(_lang(request), N_("This session has already ended.")), 409
        )
    raise _session_page(request, mediator_invitation(request, session_id, actor))


@desk_routes.post(
    "/mediation/cases/{number}/sessions/{session_id}/end",
    access=MEDIATOR,
    summary="End the running session from the case page",
    tags=TAGS,
)
async def end_from_case(request: web.Request) -> web.StreamResponse:
    async def run(form: Any) -> None:
        await stop_session(request, _number(request), request.match_info["session_id"])

    return await form_step(request, run)


@desk_routes.post(
    "/mediation/cases/{number}/statements",
    access=MEDIATOR,
    summary="Write down what the witness stated in an evidence session (form)",
    tags=TAGS,
)
async def statement_sent(request: web.Request) -> web.StreamResponse:
    async def run(form: Any) -> None:
        statement = str(form.get("statement", ""))
        session_id = str(form.get("session", ""))
        if not statement.strip():
            raise Invalid("mediation.statement_required", N_("Write down what the witness stated."))
        await drafting_statement(request, session_id, statement)

    return await form_step(request, run)


@desk_routes.post(
    "/mediation/cases/{number}/package",
    access=MEDIATOR,
    summary="Build the judicial-confirmation package of a settled case (form)",
    tags=TAGS,
)
async def package_sent(request: web.Request) -> web.StreamResponse:
    async def run(form: Any) -> None:
        await build(request, _number(request), current_principal(request))

    return await form_step(request, run)
