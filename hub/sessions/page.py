"""What the session page (``common/templates/media_session.html``) needs from the hub, for a
domain page that extends it: the client's messages in the viewer's language, the signalling
base, the ICE servers, and the people expected with their roles."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from common.i18n import translator
from common.web import LOCALE
from hub.sessions.live import LIVE
from media.browser import browser_messages

__all__ = ["session_page_context"]


def session_page_context(
    request: web.Request, people: list[dict[str, str]], *, live: bool = True
) -> dict[str, Any]:
    """``people``: one ``{"participant", "name", "role"}`` per person expected, so that the page
    and the video tiles name each person, with their role, instead of their session id."""
    sessions = request.app[LIVE]
    return {
        "messages": browser_messages(translator(request[LOCALE])),
        "signal_base": "/api/sessions/",
        "ice_servers": sessions.turn.browser_ice_servers("browser", sessions.clock),
        "session_people": people,
        "session_live": live,
    }
