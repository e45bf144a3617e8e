"""HTTP API of complaints and petitions: parse, call a service, audit, serialize."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from common.access import PUBLIC, Principal, Role, Scope, allow
from common.errors import N_, Invalid, NotFound
from common.service import CLOCK, DB, audit
from common.uploads import inspect_upload, read_multipart
from common.web import RouteTable, current_principal, parse_body
from hub.applications.storage import MaterialStore
from hub.complaints import service
from hub.complaints.model import urgency
from hub.complaints.schemas import LodgingForm, progress_view, read_lodging, staff_view
from hub.complaints.service import Complainant, Lodging
from hub.complaints.tables import Complaint
from hub.seal import HUB_SEAL
from hub.zone import hub_date

__all__ = ["COMPLAINT_STORE", "lodge_from_form", "routes"]

COMPLAINT_STORE = web.AppKey("complaint_store", MaterialStore)
routes = RouteTable()
TAGS = ("complaints",)
CLERKS = allow(Role.CLERK, Role.NODE, scope=Scope.OWN_BRANCH)
DECIDERS = allow(Role.OFFICER, Role.SUPERVISOR)
HANDLER = allow(Role.OFFICER, Role.SUPERVISOR, scope=Scope.ASSIGNED)
READERS = allow(Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, read_only=True)
OVERSEERS = allow(Role.SUPERVISOR, Role.OFFICER, Role.AUDITOR, read_only=True)


class Accept(BaseModel):
    department: str = Field(min_length=1, max_length=32)
    handler: str = Field(min_length=1, max_length=64)


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=5000)


class Extension(Reason):
    days: int


def _today(request: web.Request) -> date:
    return hub_date(request.app[CLOCK].now())


def _subject(c: Complaint) -> str:
    return f"complaint:{c.number}"


async def lodge_from_form(
    request: web.Request, form: LodgingForm, uploads: list[Any], actor: Principal, branch: str
) -> tuple[Complaint, str]:
    """Store a lodging in one transaction; a failure leaves neither rows nor files behind."""
    store, now = request.app[COMPLAINT_STORE], request.app[CLOCK].now()
    lodging = Lodging(
        form.kind,
        form.facts.strip(),
        form.request.strip(),
        Complainant(form.name, form.document, form.contact, form.country, form.lang),
    )
    async with store.keeping() as written, request.app[DB].transaction() as session:
        c, code = await service.lodge(
            session,
            lodging=lodging,
            attachments=uploads,
            actor=actor,
            branch=branch,
            now=now,
            store=store,
            written=written,
        )
        detail = {"kind": c.kind, "branch": branch, "attachments": len(uploads)}
        await audit(request, session, "complaint.lodged", _subject(c), detail)
    return c, code


def _lodged(c: Complaint, code: str) -> web.Response:
    body = {"number": c.number, "query_code": code, "state": c.state}
    return web.json_response(body, status=201)


@routes.post(
    "/api/self-service/complaints",
    access=PUBLIC,
    summary="A resident lodges a complaint or petition (multipart)",
    tags=TAGS,
)
async def lodge_self_service(request: web.Request) -> web.Response:
    form, uploads = await read_lodging(request)
    if form.branch is None:
        raise Invalid("complaint.branch_required", N_("Say which branch office you belong to."))
    actor = Principal(f"resident:{form.document}", Role.RESIDENT, branch=form.branch)
    return _lodged(*await lodge_from_form(request, form, uploads, actor, form.branch))


@routes.post(
    "/api/complaints",
    access=CLERKS,
    summary="A branch clerk lodges a complaint for a resident (multipart)",
    tags=TAGS,
)
async def lodge_for_resident(request: web.Request) -> web.Response:
    actor = current_principal(request)
    form, uploads = await read_lodging(request)
    return _lodged(*await lodge_from_form(request, form, uploads, actor, actor.branch or ""))


def _code(request: web.Request) -> str:
    return request.headers.get("X-Query-Code") or request.query.get("code", "")


@routes.get(
    "/api/self-service/complaints/{number}",
    access=PUBLIC,
    summary="Progress of a complaint (query code in X-Query-Code)",
    tags=TAGS,
    guessable=True,
)
async def progress(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        c = await service.load_by_code(session, request.match_info["number"], _code(request))
        docs = await service.documents(session, c)
    return web.json_response(progress_view(c, docs, _today(request)))


async def _file(request: web.Request, c: Complaint, doc_id: int, kinds: set[str]) -> web.Response:
    async with request.app[DB].sessions() as session:
        docs = [d for d in await service.documents(session, c) if d.id == doc_id]
    if not docs or docs[0].kind not in kinds:
        raise NotFound("complaint.no_document", N_("No such document."))
    data = request.app[COMPLAINT_STORE].get(docs[0].sha256)
    disposition = (
        f'attachment; filename="{c.number}-{docs[0].id}.{docs[0].content_type.rsplit("/", 1)[-1]}"'
    )
    return web.Response(
        body=data, content_type=docs[0].content_type, headers={"Content-Disposition": disposition}
    )


@routes.get(
    "/api/self-service/complaints/{number}/documents/{id:\\d+}",
    access=PUBLIC,
    summary="The hub's signed reply, for the holder of the query code",
    tags=TAGS,
    guessable=True,
)
async def public_document(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        c = await service.load_by_code(session, request.match_info["number"], _code(request))
    return await _file(request, c, int(request.match_info["id"]), {"reply", "review_answer"})


@routes.post(
    "/api/self-service/complaints/{number}/review",
    access=PUBLIC,
    body=Reason,
    summary="The resident asks for a review (复查) of the reply",
    tags=TAGS,
    guessable=True,
)
async def ask_review(request: web.Request) -> web.Response:
    body = await parse_body(request, Reason)
    now = request.app[CLOCK].now()
    async with request.app[DB].transaction() as session:
        c = await service.load_by_code(
            session, request.match_info["number"], _code(request), lock=True
        )
        service.request_review(c, reason=body.reason, now=now)
        await audit(
            request, session, "complaint.review_requested", _subject(c), {"by": "complainant"}
        )
        docs = await service.documents(session, c)
        return web.json_response(progress_view(c, docs, _today(request)))


@routes.get(
    "/api/complaints/deadlines",
    access=OVERSEERS,
    summary="Complaints the hub owes a step on, with warnings and the overdue ones",
    tags=TAGS,
)
async def deadlines(request: web.Request) -> web.Response:
    rows = await deadline_rows(request)
    if request.query.get("overdue") == "1":
        rows = [r for r in rows if r["urgency"] == "overdue"]
    return web.json_response({"days": "calendar", "complaints": rows})


async def deadline_rows(request: web.Request) -> list[dict[str, Any]]:
    today = _today(request)
    async with request.app[DB].sessions() as session:
        found = await service.open_deadlines(session, branch=request.query.get("branch") or None)
    return [
        {
            "number": c.number,
            "branch": c.branch,
            "state": c.state,
            "step": d.step,
            "due": d.due.isoformat(),
            "days_left": (d.due - today).days,
            "urgency": urgency(d.due, today),
            "handler": c.handler,
            "department": c.department,
        }
        for c, d in found
    ]


@routes.get(
    "/api/complaints/{number}",
    access=READERS,
    summary="One complaint; the complainant's identity only for its handler",
    tags=TAGS,
)
async def get_complaint(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        c = await service.load(session, request.match_info["number"])
        docs = await service.documents(session, c)
    return web.json_response(staff_view(c, docs, current_principal(request), _today(request)))


@routes.get(
    "/api/complaints/{number}/documents/{id:\\d+}",
    access=READERS,
    summary="An attachment (handlers only) or a signed reply",
    tags=TAGS,
)
async def staff_document(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        c = await service.load(session, request.match_info["number"])
    kinds = {"reply", "review_answer"}
    if service.handles(c, current_principal(request)):
        kinds.add("attachment")
    return await _file(request, c, int(request.match_info["id"]), kinds)


async def _decision(
    request: web.Request, action: str, detail: dict[str, Any], apply: Any
) -> web.Response:
    actor, now = current_principal(request), request.app[CLOCK].now()
    async with request.app[DB].transaction() as session:
        c = await service.load(session, request.match_info["number"], lock=True)
        await apply(session, c, actor, now)
        await audit(request, session, action, _subject(c), detail)
        docs = await service.documents(session, c)
        return web.json_response(staff_view(c, docs, actor, _today(request)))


@routes.post(
    "/api/complaints/{number}/accept",
    access=DECIDERS,
    body=Accept,
    summary="Accept a complaint and hand it to a department and officer",
    tags=TAGS,
)
async def accept(request: web.Request) -> web.Response:
    body = await parse_body(request, Accept)

    async def apply(session: Any, c: Complaint, actor: Principal, now: Any) -> None:
        await service.accept(
            session, c=c, department=body.department, handler=body.handler, actor=actor, now=now
        )

    return await _decision(request, "complaint.accepted", body.model_dump(), apply)


@routes.post(
    "/api/complaints/{number}/refuse",
    access=DECIDERS,
    body=Reason,
    summary="Refuse to accept a complaint (不予受理), with the reason",
    tags=TAGS,
)
async def refuse(request: web.Request) -> web.Response:
    body = await parse_body(request, Reason)

    async def apply(session: Any, c: Complaint, actor: Principal, now: Any) -> None:
        await service.refuse(session, c=c, reason=body.reason, actor=actor, now=now)

    return await _decision(request, "complaint.refused", {"reason": body.reason}, apply)


@routes.post(
    "/api/complaints/{number}/extend",
    access=HANDLER,
    body=Extension,
    summary="Extend the answer's time limit once (≤30 calendar days, with a reason)",
    tags=TAGS,
)
async def extend(request: web.Request) -> web.Response:
    body = await parse_body(request, Extension)

    async def apply(session: Any, c: Complaint, actor: Principal, now: Any) -> None:
        service.extend(c, days=body.days, reason=body.reason, actor=actor)

    return await _decision(request, "complaint.extended", body.model_dump(), apply)


async def _read_pdf(request: web.Request) -> tuple[bytes, bool]:
    form = await read_multipart(request, text=("seal",))
    seal = form.fields.get("seal", "").strip().lower() in {"1", "yes", "true", "on"}
    upload = inspect_upload(*form.file())
    if upload.kind != "pdf":
        raise Invalid("complaint.reply_not_pdf", N_("A reply is a PDF document."))
    return upload.data, seal


@routes.post(
    "/api/complaints/{number}/reply",
    access=HANDLER,
    summary="The signed reply or review answer (multipart: file, seal=yes to apply the hub seal)",
    tags=TAGS,
)
async def reply(request: web.Request) -> web.Response:
    actor, number = current_principal(request), request.match_info["number"]
    pdf, seal = await _read_pdf(request)
    async with request.app[DB].sessions() as session:  # refuse early, before any signing work
        service.require_handler(await service.load(session, number), actor)
    hub_seal = request.app[HUB_SEAL]
    if seal:
        pdf = await hub_seal.seal(pdf, reason=f"Reply to {number}")
    status = await hub_seal.check(pdf, request.app[CLOCK].now())
    store, now = request.app[COMPLAINT_STORE], request.app[CLOCK].now()
    async with store.keeping() as written, request.app[DB].transaction() as session:
        c = await service.load(session, number, lock=True)
        doc = await service.record_signed(
            session,
            c=c,
            pdf=pdf,
            status=status,
            actor=actor,
            now=now,
            store=store,
            written=written,
        )
        detail = {"document": doc.kind, "sha256": doc.sha256, "signers": doc.signers}
        await audit(request, session, f"complaint.{c.state}", _subject(c), detail)
        docs = await service.documents(session, c)
        view = staff_view(c, docs, actor, _today(request))
    return web.json_response(view, status=201)
