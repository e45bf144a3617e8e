"""The resident's pages, phone first: follow an application by number and query code (item,
every step in the viewer's zone, result, what to do next, whom to ask) and rate the service
(好差评) once it is concluded, then see what was recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from common.access import PUBLIC
from common.errors import N_, REFUSALS, Invalid
from common.i18n import translate
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable
from hub.applications import service
from hub.applications.labels import NEXT_STEP, PROBLEM_LABELS, state_label
from hub.applications.model import RatingLevel, State
from hub.applications.queries import progress_view
from hub.catalogue.runtime import OFFICE_CONTACT
from hub.zone import hub_date

__all__ = ["RATING_LABELS", "routes"]

routes = RouteTable()
TAGS = ("pages", "progress")
RATING_LABELS = {
    RatingLevel.VERY_SATISFIED: N_("very satisfied"),
    RatingLevel.SATISFIED: N_("satisfied"),
    RatingLevel.BASICALLY_SATISFIED: N_("basically satisfied"),
    RatingLevel.DISSATISFIED: N_("dissatisfied"),
    RatingLevel.VERY_DISSATISFIED: N_("very dissatisfied"),
}


def _lookup(request: web.Request, source: Any) -> tuple[str, str]:
    return str(source.get("number", "")).strip()[:32], str(source.get("code", "")).strip()[:16]


async def _view(request: web.Request, number: str, code: str) -> dict[str, Any]:
    async with request.app[DB].sessions() as session:
        app = await service.load_by_code(session, number, code)
        view = await progress_view(session, app, hub_date(request.app[CLOCK].now()))
    for step in view["history"]:
        step["at"] = datetime.fromisoformat(step["at"])
    if view["rating"]:
        view["rating"]["at"] = datetime.fromisoformat(view["rating"]["at"])
    view["next_step"] = NEXT_STEP.get(State(view["state"]), "")
    view["open_notice"] = next(
        (n for n in view["deficiency_notices"] if not n["resolved_at"]), None
    )
    return view


def _render(request: web.Request, **context: Any) -> web.Response:
    defaults: dict[str, Any] = {"number": "", "code": "", "view": None, "error": "", "rated": False}
    status = context.pop("status", 200)
    return request.app[PAGES].render(
        request,
        "applications/progress.html",
        status=status,
        state_label=state_label,
        problem_labels=PROBLEM_LABELS,
        rating_labels=RATING_LABELS,
        contact=request.app[OFFICE_CONTACT],
        **(defaults | context),
    )


def _message(request: web.Request, exc: Any) -> str:
    return translate(request.get(LOCALE, "zh"), exc.message, **exc.params)


@routes.get(
    "/progress",
    access=PUBLIC,
    summary="Follow an application (page)",
    tags=TAGS,
    guessable=True,
)
async def progress_page(request: web.Request) -> web.Response:
    number, code = _lookup(request, request.query)
    if not (number and code):
        return _render(request, number=number)
    try:
        view = await _view(request, number, code)
    except REFUSALS as exc:
        return _render(request, number=number, error=_message(request, exc), status=exc.status)
    rated = request.query.get("rated") == "1" and view["rating"] is not None
    return _render(request, number=number, code=code, view=view, rated=rated)


@routes.post(
    "/progress/rating",
    access=PUBLIC,
    summary="Rate the service from the progress page (好差评)",
    tags=TAGS,
    guessable=True,
)
async def rating_form(request: web.Request) -> web.Response:
    form = await request.post()
    number, code = _lookup(request, form)
    comment = str(form.get("comment", ""))
    try:
        try:
            level = RatingLevel(int(str(form.get("level", ""))))
        except ValueError:
            raise Invalid("rating.level_required", N_("Choose one of the five levels.")) from None
        if len(comment) > 2000:
            raise Invalid("rating.comment_too_long", N_("The comment is too long."))
        async with request.app[DB].transaction() as session:
            app = await service.load_by_code(session, number, code)
            await service.rate(
                session, app=app, level=level, comment=comment, now=request.app[CLOCK].now()
            )
    except REFUSALS as exc:
        error = _message(request, exc)
        try:
            view = await _view(request, number, code)
        except REFUSALS:
            return _render(request, number=number, error=error, status=exc.status)
        return _render(request, number=number, code=code, view=view, error=error, status=exc.status)
    query = urlencode(
        {"number": number, "code": code, "rated": "1", "lang": request.get(LOCALE, "zh")}
    )
    raise web.HTTPSeeOther(f"/progress?{query}#rating")
