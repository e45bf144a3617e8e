"""Remote notarization (远程公证): booking, identity, session, advisements, signatures,
certificate with a public verification code, journal and archive."""

from pathlib import Path

from aiohttp import web

from common.settings import HubSettings
from common.web import RouteTable
from hub.notarization.day import day_routes
from hub.notarization.desk import routes as desk_routes
from hub.notarization.pages import page_routes
from hub.notarization.routes import VERIFY_BASE
from hub.notarization.routes import routes as act_routes
from hub.notarization.signing import OWNED
from hub.signatures.runtime import OWNED_REQUESTS

__all__ = ["install", "notarization_routes"]

notarization_routes = RouteTable()
notarization_routes.extend(act_routes)
notarization_routes.extend(desk_routes)
notarization_routes.extend(page_routes)
notarization_routes.extend(day_routes)


def install(app: web.Application, settings: HubSettings) -> None:
    app[VERIFY_BASE] = settings.public_url  # the certificate's QR code leads here
    app[OWNED_REQUESTS] = OWNED  # a certificate's notary step issues its act
    app.router.add_static("/notarization/static/", Path(__file__).parent / "static")
