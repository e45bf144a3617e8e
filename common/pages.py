"""Server-rendered pages: Jinja2 with the viewer's language and time zone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from common.i18n import LOCALES, translate
from common.web import LOCALE

__all__ = ["Pages", "viewer_zone"]

_COMMON = Path(__file__).parent / "templates"


def viewer_zone(request: web.Request, default: str) -> ZoneInfo:
    """The viewer's zone from ``?tz=`` or the ``tz`` cookie, else the office's own."""
    for candidate in (request.query.get("tz"), request.cookies.get("tz"), default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


class Pages:
    def __init__(self, template_dir: Path, *, service: str, default_zone: str) -> None:
        self.service = service
        self.default_zone = default_zone
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(template_dir), FileSystemLoader(_COMMON)]),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(
        self, request: web.Request, template: str, *, status: int = 200, **context: Any
    ) -> web.Response:
        locale = request.get(LOCALE, "zh")
        zone = viewer_zone(request, self.default_zone)

        def _(message: str, **params: Any) -> str:
            return translate(locale, message, **params)

        def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
            if value is None:
                return ""
            return value.astimezone(zone).strftime(fmt) + " " + zone.key

        html = self.env.get_template(template).render(
            _=_,
            local=local,
            lang=locale,
            locales=LOCALES,
            zone=zone.key,
            service=self.service,
            path=request.path,
            **context,
        )
        response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
        return response
