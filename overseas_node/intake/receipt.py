"""The resident's receipt: number, query code, a QR code of the hub's progress page, the item
and its promised date, printed in the resident's language."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import holidays
import qrcode
import qrcode.image.svg
from aiohttp import web

from common.numbers import COUNTY_ZONE
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable
from overseas_node.intake import service
from overseas_node.intake.model import expected_by, material_name
from overseas_node.intake.routes import CLERK

__all__ = ["PROGRESS_URL", "routes"]

PROGRESS_URL = web.AppKey("progress_url", str)  # the hub's progress page, as residents reach it
routes = RouteTable()
CHINA = holidays.country_holidays("CN")


def progress_link(request: web.Request, number: str, code: str) -> str:
    return f"{request.app[PROGRESS_URL]}?{urlencode({'number': number, 'code': code})}"


@routes.get(
    "/intake/{number}/receipt",
    access=CLERK,
    summary="The resident's printable receipt, in the resident's language (page)",
    tags=("pages",),
)
async def receipt_page(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        prepared = await service.prepare(session, request.match_info["number"])
    app, guide = prepared.app, prepared.guide
    if "lang" not in request.query:
        request[LOCALE] = str(app.resident.get("lang") or request[LOCALE])
    lang = request[LOCALE]
    today = request.app[CLOCK].now().astimezone(COUNTY_ZONE).date()
    expected = expected_by(today, int(guide.get("promised_days", 1)), CHINA.is_working_day)
    return request.app[PAGES].render(
        request,
        "intake/receipt.html",
        app=app,
        guide=guide,
        branch=app.number.split("-", 1)[0],
        expected=expected.isoformat(),
        material_names={str(m["code"]): material_name(m, lang) for m in guide["materials"]},
        progress_url=request.app[PROGRESS_URL],
    )


@routes.get(
    "/intake/{number}/qr.svg",
    access=CLERK,
    summary="The receipt's QR code: the hub's progress page with number and query code",
    tags=("pages",),
)
async def receipt_qr(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        app = await service.load(session, request.match_info["number"])
    image = qrcode.make(
        progress_link(request, app.number, app.query_code),
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
    )
    out = io.BytesIO()
    image.save(out)
    return web.Response(body=out.getvalue(), content_type="image/svg+xml")
