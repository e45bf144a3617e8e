"""Server-rendered pages: Jinja2 with the viewer's language and time zone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from common.access import Role
from common.errors import N_
from common.i18n import LOCALES, translate
from common.logs import REQUEST_ID
from common.web import LOCALE, PRINCIPAL

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
        principal = request.get(PRINCIPAL)

        def _(message: str, **params: Any) -> str:
            return translate(locale, message, **params)

        def lang_href(code: str) -> str:
            """This page in another language: what the viewer looked up stays (``?number=``)."""
            # not ``next``: a target someone put in a link is never repeated into our page
            kept = [(k, v) for k, v in request.query.items() if k not in ("lang", "next")]
            return "?" + urlencode([*kept, ("lang", code)])

        def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
            if value is None:
                return ""
            return value.astimezone(zone).strftime(fmt) + " " + zone.key

        html = self.env.get_template(template).render(
            _=_,
            local=local,
            lang_href=lang_href,
            lang=locale,
            locales=LOCALES,
            zone=zone.key,
            service=self.service,
            path=request.path,
            principal=principal,
            staff=principal if principal is not None and principal.role not in _NOT_STAFF else None,
            **context,
        )
        response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
        return response

    def error_page(self, request: web.Request, status: int, code: str, text: str) -> web.Response:
        """A refusal as a page: what happened in the viewer's language, and a way on."""
        return self.render(
            request,
            "error.html",
            status=status,
            heading=_HEADINGS.get(status, _HEADINGS[400] if status < 500 else _HEADINGS[500]),
            text=text,
            code=code,
            request_id=REQUEST_ID.get(),
        )


# callers that are not a person at a desk: no "signed in as" and no sign-out button for them
_NOT_STAFF = frozenset({Role.RESIDENT, Role.NODE, Role.HUB, Role.PLATFORM})
_HEADINGS = {
    400: N_("This request could not be carried out"),
    403: N_("You have no access to this page"),
    404: N_("This page does not exist"),
    405: N_("This request could not be carried out"),
    409: N_("This request could not be carried out"),
    413: N_("The upload is too large"),
    422: N_("Some of what was entered is not valid"),
    429: N_("Too many attempts; please wait a moment"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is not available just now"),
}
