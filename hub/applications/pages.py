"""The officer's pages: the work queue with filters, one application with its guide, materials,
history and platform status, and the decisions (accept, return with one notice, reject) as forms
that post, redirect and show the result."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from common.access import Role, allow
from common.errors import N_, REFUSALS, Invalid, Refusal
from common.i18n import translate
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable, current_principal
from hub.applications import service
from hub.applications.labels import PLATFORM_LABELS, PROBLEM_LABELS, state_label
from hub.applications.model import State
from hub.applications.officer_view import OPEN_STATES, officer_view, queue_choices
from hub.applications.queries import QueueFilter, work_queue
from hub.applications.storage import STORE
from hub.calendars.service import working_days
from hub.zone import hub_date

__all__ = ["routes"]

routes = RouteTable()
TAGS = ("pages", "applications")
READERS = allow(Role.OFFICER, Role.SUPERVISOR, read_only=True)
DECIDERS = allow(Role.OFFICER, Role.SUPERVISOR)
DONE = {
    "accepted": N_("Accepted and queued for the provincial platform."),
    "returned": N_("Returned with the deficiency notice; the branch has been told."),
    "rejected": N_("Rejected; the reason is recorded and shown to the resident."),
}
_CODE = re.compile(r"[A-Z0-9-]{1,16}")


def _t(request: web.Request, message: str, **params: Any) -> str:
    return translate(request.get(LOCALE, "zh"), message, **params)


def _message(request: web.Request, exc: Refusal) -> str:
    locale = request.get(LOCALE, "zh")
    params = {k: translate(locale, v) if isinstance(v, str) else v for k, v in exc.params.items()}
    return translate(locale, exc.message, **params)


def _today(request: web.Request) -> date:
    return hub_date(request.app[CLOCK].now())


def _queue_filter(request: web.Request) -> QueueFilter:
    q = request.query
    values = {name: q.get(name, "").strip().upper() or None for name in ("branch", "item")}
    for name, value in values.items():
        if value and not _CODE.fullmatch(value):
            raise Invalid(
                "queue.bad_filter", N_("The filter {name} is not valid."), params={"name": name}
            )
    state = q.get("state", "").strip() or None
    if state and state not in OPEN_STATES:
        raise Invalid(
            "queue.bad_filter", N_("The filter {name} is not valid."), params={"name": "state"}
        )
    overdue = q.get("overdue") == "1"
    return QueueFilter(values["branch"], values["item"], state, overdue, drafts=False)


@routes.get(
    "/queue",
    access=READERS,
    summary="The officer's work queue: filters by branch, item, state and overdue (page)",
    tags=TAGS,
)
async def queue_page(request: web.Request) -> web.Response:
    today, error = _today(request), ""
    try:
        only = _queue_filter(request)
    except REFUSALS as exc:
        only, error = QueueFilter(drafts=False), _message(request, exc)
    async with request.app[DB].sessions() as session:
        calendar = await working_days(session, "CN", today)
        rows = await work_queue(session, today, only=only, calendar=calendar)
        choices = await queue_choices(session, request.get(LOCALE, "zh"))
    return request.app[PAGES].render(
        request,
        "applications/queue.html",
        status=422 if error else 200,
        queue=rows,
        only=only,
        choices=choices,
        error=error,
        state_label=state_label,
    )


async def _application_page(
    request: web.Request, *, error: str = "", status: int = 200
) -> web.Response:
    lang = request.get(LOCALE, "zh")
    async with request.app[DB].sessions() as session:
        app = await service.load_for(
            session, request.match_info["number"], current_principal(request)
        )
        view = await officer_view(session, app, _today(request), lang)
    done = DONE.get(request.query.get("done", ""), "")
    return request.app[PAGES].render(
        request,
        "applications/application.html",
        status=status,
        v=view,
        error=error,
        done=done,
        state_label=state_label,
        problem_labels=PROBLEM_LABELS,
        platform_labels=PLATFORM_LABELS,
        can_decide=current_principal(request).role in (Role.OFFICER, Role.SUPERVISOR),
        submitted=view["state"] == State.SUBMITTED.value,
    )


@routes.get(
    "/queue/{number}",
    access=READERS,
    summary="One application: resident, guide, materials, history, platform status (page)",
    tags=TAGS,
)
async def application_page(request: web.Request) -> web.Response:
    return await _application_page(request)


async def _decision(request: web.Request, done: str, decide: Any) -> web.Response:
    """Run one decision in a transaction; a refusal shows the page again with the message and
    leaves nothing stored, success redirects to the page (post-redirect-get)."""
    actor = current_principal(request)
    form = await request.post()
    now = request.app[CLOCK].now()
    try:
        async with request.app[DB].transaction() as session:
            app = await service.load_for(session, request.match_info["number"], actor, lock=True)
            await decide(session, app, actor, now, form)
    except REFUSALS as exc:
        return await _application_page(request, error=_message(request, exc), status=exc.status)
    lang = request.get(LOCALE, "zh")
    raise web.HTTPSeeOther(f"/queue/{request.match_info['number']}?done={done}&lang={lang}")


async def _accept(session: Any, app: Any, actor: Any, now: Any, form: Any) -> None:
    pending = [str(code) for code in form.getall("pending", [])]
    await service.accept(session, app=app, pending=pending, actor=actor, now=now)


def notice_from_form(form: MultiDictProxy[Any]) -> dict[str, str]:
    """The ticked materials with the reason typed beside each; a reason typed without a tick
    counts as ticked, so nothing the officer wrote is dropped."""
    ticked = {str(code) for code in form.getall("material", [])}
    typed = {
        key.removeprefix("reason_"): str(value).strip()
        for key, value in form.items()
        if key.startswith("reason_") and str(value).strip()
    }
    return {code: typed.get(code, "") for code in sorted(ticked | set(typed))}


async def _return(session: Any, app: Any, actor: Any, now: Any, form: Any) -> None:
    invalid = notice_from_form(form)
    await service.return_for_correction(session, app=app, invalid=invalid, actor=actor, now=now)


async def _reject(session: Any, app: Any, actor: Any, now: Any, form: Any) -> None:
    reason = str(form.get("reason", "")).strip()[:2000]
    await service.reject(session, app=app, reasons=[reason], actor=actor, now=now)


# the form's action → what it does, what the page says after it, the route's summary
DECISIONS = {
    "accept": (_accept, "accepted", "Accept (受理) from the page; forwarded in the same step"),
    "return": (_return, "returned", "Return (补正) from the page: one notice, a reason each"),
    "reject": (_reject, "rejected", "Reject (不予受理) from the page with a reason"),
}


def _decision_route(verb: str) -> None:
    decide, done, summary = DECISIONS[verb]

    async def handler(request: web.Request) -> web.Response:
        return await _decision(request, done, decide)

    handler.__name__ = f"{verb}_form"
    routes.post(f"/queue/{{number}}/{verb}", access=DECIDERS, summary=summary, tags=TAGS)(handler)


for _verb in DECISIONS:
    _decision_route(_verb)


@routes.get(
    "/queue/{number}/materials/{id:\\d+}",
    access=READERS,
    summary="A material's stored copy, to preview in the browser or (?download=1) to save",
    tags=TAGS,
)
async def material_page(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        app = await service.load_for(
            session, request.match_info["number"], current_principal(request)
        )
        held = await service.held_materials(session, app)
    wanted = int(request.match_info["id"])
    material = next((m for m in held if m.id == wanted and m.sha256), None)
    if material is None or material.sha256 is None:
        raise web.HTTPNotFound()
    disposition = "attachment" if request.query.get("download") == "1" else "inline"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", material.display_name or "material")
    return web.Response(
        body=request.app[STORE].get(material.sha256),
        content_type=material.content_type or "application/octet-stream",
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )
