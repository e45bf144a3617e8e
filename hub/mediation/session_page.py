"""The video session of a mediation case, as its people see it: the session page (picture,
recording notice, connection) named after the case, with each person expected by name and role
(party, representative, interpreter, mediator) and, beside the video, the viewer's own next
step. The invitation in the address (``session``, ``token``) says who the viewer is; the
signalling checks it again when the page connects."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from common.access import PUBLIC
from common.errors import N_, NotFound
from common.i18n import translate
from common.service import DB, PAGES
from common.web import LOCALE, RouteTable
from hub.mediation import service
from hub.mediation.meetings import SESSION_PAGE, invited_to, mediator_participant
from hub.mediation.tables import CaseSession, MediationCase
from hub.sessions.live import LIVE
from hub.sessions.page import session_page_context
from media import TokenRejected

__all__ = ["people_of", "session_page_routes"]

session_page_routes = RouteTable()
SUBJECTS = {
    "mediation": N_("Mediation case {case}"),
    "evidence": N_("Remote evidence-taking, case {case}"),
}


def people_of(case: MediationCase, held: CaseSession, f: service.CaseFile) -> list[dict[str, str]]:
    """Everyone the session invites, under the participant name of their invitation."""
    mediator = mediator_participant(case.mediator)
    people = [{"participant": mediator, "name": case.mediator_name, "role": "mediator"}]
    for p in invited_to(held.kind, held.witness, f.people):
        role = "witness" if held.kind == "evidence" and p.id == held.witness else p.role
        people.append({"participant": f"p{p.id}", "name": p.name, "role": role})
    return people


@session_page_routes.get(
    SESSION_PAGE,
    access=PUBLIC,
    summary="The video session of a mediation case: the people by name and role, the next step",
    tags=("pages", "mediation"),
)
async def session_page(request: web.Request) -> web.Response:
    session_id = request.query.get("session", "")
    gone = NotFound(
        "mediation.no_session", N_("No session {id} on this case."), params={"id": session_id}
    )
    try:  # an expired invitation may still rejoin: the signalling decides, the page only names
        claims = request.app[LIVE].issuer.verify(
            request.query.get("token", ""), session_id, rejoin=lambda _claims: True
        )
    except TokenRejected:
        raise gone from None
    async with request.app[DB].sessions() as session:
        held = await session.scalar(
            select(CaseSession).where(CaseSession.video_session == session_id)
        )
        if held is None:
            raise gone
        case = await session.get(MediationCase, held.case_id)
        if case is None:
            raise gone
        f = await service.case_file(session, case)
    people = people_of(case, held, f)
    lang = request[LOCALE]
    return request.app[PAGES].render(
        request,
        "mediation/session.html",
        number=case.number,
        mediator=claims.role == "mediator",
        ended=held.ended_at is not None,
        session_subject=translate(lang, SUBJECTS[held.kind], case=case.number),
        **session_page_context(request, people, live=held.ended_at is None),
    )
