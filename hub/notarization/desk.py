"""The notary's desk over HTTP (the day's queue, the journal export) and the public check of
a certificate by its verification code."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from common.access import PUBLIC, Role, allow
from common.errors import N_, DomainError, Invalid
from common.pages import viewer_zone
from common.service import CLOCK, DB
from common.web import RouteTable, current_principal
from hub.notarization import archive
from hub.notarization.archive import act_view
from hub.notarization.model import OPEN
from hub.notarization.tables import notarial_acts
from hub.pki import PKI
from hub.zone import hub_zone

__all__ = ["MAX_PDF", "branch_queue", "day_bounds", "queue_of", "routes"]

routes = RouteTable()
TAGS = ("notarization",)
MAX_PDF = 20 * 1024 * 1024


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(
            "notarization.bad_date",
            N_("{name} is not a date ({value}); write it as YYYY-MM-DD."),
            params={"name": name, "value": text},
        ) from None


def day_bounds(day: date, request: web.Request) -> tuple[datetime, datetime]:
    """The viewer's calendar day as a UTC interval."""
    zone = viewer_zone(request, hub_zone().key)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    return start, start + timedelta(days=1)


async def queue_of(request: web.Request, notary: str, day: date) -> list[dict[str, Any]]:
    """The notary's acts of ``day`` (viewer's zone) and every act of theirs still open."""
    return await _queue(request, notarial_acts.c.notary == notary, day)


async def branch_queue(request: web.Request, branch: str, day: date) -> list[dict[str, Any]]:
    """A branch's acts of ``day`` (viewer's zone) and every act there still open."""
    return await _queue(request, notarial_acts.c.branch == branch, day)


async def _queue(request: web.Request, whose: Any, day: date) -> list[dict[str, Any]]:
    start, end = day_bounds(day, request)
    t = notarial_acts
    async with request.app[DB].transaction() as session:
        rows = await session.execute(
            select(t)
            .where(whose)
            .where(
                ((t.c.scheduled_at >= start) & (t.c.scheduled_at < end))
                | t.c.state.in_([s.value for s in OPEN])
            )
            .order_by(t.c.scheduled_at)
        )
        return [act_view(r) for r in rows]


@routes.get(
    "/api/notary/acts",
    access=allow(Role.NOTARY, read_only=True),
    summary="The notary's day: the acts of ?day= (viewer's zone) and every open one",
    tags=TAGS,
)
async def get_queue(request: web.Request) -> web.Response:
    day = _day(request.query.get("day"), "day") or request.app[CLOCK].now().date()
    acts = await queue_of(request, current_principal(request).subject, day)
    return web.json_response({"day": day.isoformat(), "acts": acts})


@routes.get(
    "/api/notary/journal",
    access=allow(Role.NOTARY, Role.AUDITOR, Role.SUPERVISOR, read_only=True),
    summary="The electronic journal: ?from= ?to= (days), ?format=csv|json",
    tags=TAGS,
)
async def get_journal(request: web.Request) -> web.Response:
    viewer = current_principal(request)
    first = _day(request.query.get("from"), "from")
    last = _day(request.query.get("to"), "to")
    rows = await archive.journal_export(
        request.app[DB],
        notary=viewer.subject if viewer.role is Role.NOTARY else None,
        since=day_bounds(first, request)[0] if first else None,
        until=day_bounds(last, request)[1] if last else None,
    )
    if request.query.get("format", "json") == "csv":
        return web.Response(
            text=archive.as_csv(rows),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="notary-journal.csv"'},
        )
    return web.json_response({"entries": rows})


@routes.get(
    "/api/verify/{code}",
    access=PUBLIC,
    summary="Anyone checks a notarial certificate by its verification code",
    tags=TAGS,
)
async def get_verification(request: web.Request) -> web.Response:
    return web.json_response(
        await archive.public_status(request.app[DB], request.match_info["code"])
    )


async def read_pdf(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_PDF:
        raise DomainError(
            "notarization.too_large", N_("The file is larger than 20 MB."), status=413
        )
    data = await request.content.read(MAX_PDF + 1)
    if len(data) > MAX_PDF:
        raise DomainError(
            "notarization.too_large", N_("The file is larger than 20 MB."), status=413
        )
    return data


async def check(request: web.Request, code: str, pdf: bytes) -> dict[str, Any]:
    status = await archive.public_status(request.app[DB], code)
    result = await archive.check_document(
        status, pdf, trust_roots=request.app[PKI].trust_roots, at=request.app[CLOCK].now()
    )
    return {**status, "document": result}


@routes.post(
    "/api/verify/{code}",
    access=PUBLIC,
    summary="Check a PDF (the body, application/pdf) against the issued certificate",
    tags=TAGS,
)
async def post_verification(request: web.Request) -> web.Response:
    pdf = await read_pdf(request)
    return web.json_response(await check(request, request.match_info["code"], pdf))
