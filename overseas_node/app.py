"""The overseas node's application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from common.access import PUBLIC, Role
from common.auditlog import audit_log_routes, head_ctx
from common.clock import Clock
from common.db import Database
from common.secretbox import service_box
from common.service import CLOCK, DB, PAGES, ServiceSpec, build_app
from common.settings import NodeSettings
from common.signin import ROLE_HOME, SIGNIN_BOX, SIGNIN_TABLES, STAFF_LOOKUP, signin_routes
from common.web import Authenticator, RouteTable
from media.face import FaceEngine
from overseas_node.accounts import lookup_for
from overseas_node.catalogue.pages import routes as catalogue_pages
from overseas_node.db import audit_events, signin_tables, staff_sessions
from overseas_node.identity import kiosk_routes
from overseas_node.identity.keys import load_cipher, load_signer
from overseas_node.identity.kiosk import KioskGrantAuthenticator
from overseas_node.identity.routes import IDENTITY
from overseas_node.identity.routes import routes as identity_routes
from overseas_node.identity.service import Identity
from overseas_node.intake import runtime as intake_runtime
from overseas_node.intake.pages import routes as intake_pages
from overseas_node.intake.receipt import routes as receipt_pages
from overseas_node.intake.routes import routes as intake_routes
from overseas_node.link import tables as link_tables
from overseas_node.link.routes import routes as treewatch_routes
from overseas_node.link.treewatch import treewatch_ctx
from overseas_node.sessions import routes as session_routes

__all__ = ["MIGRATIONS", "SPEC", "create_app"]

MIGRATIONS = "overseas_node:migrations"
SPEC = ServiceSpec(
    "node",
    "Qiaolink overseas node",
    "0.1.0",
    MIGRATIONS,
    Path(__file__).parent / "templates",
    "Europe/Rome",
)
SETTINGS = web.AppKey("settings", NodeSettings)

routes = RouteTable()
routes.extend(signin_routes())


@routes.get("/", access=PUBLIC, summary="The branch's front page", tags=("pages",))
async def index(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    return request.app[PAGES].render(
        request,
        "node_index.html",
        branch=settings.branch_code,
        hub=(settings.hub_public_url or settings.hub_url).rstrip("/"),
    )


routes.extend(session_routes.routes)
routes.extend(identity_routes)
routes.extend(kiosk_routes.routes)
routes.extend(intake_routes)
routes.extend(catalogue_pages)  # before /intake/{number}
routes.extend(receipt_pages)
routes.extend(intake_pages)
routes.extend(audit_log_routes())
routes.extend(treewatch_routes)


def _identity_ctx(settings: NodeSettings, engine: FaceEngine | None):  # type: ignore[no-untyped-def]
    """Wire identity: keys from the data dir, the face engine's worker processes."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        own = engine or FaceEngine(workers=settings.face_workers)
        app[IDENTITY] = Identity(
            db=app[DB],
            clock=app[CLOCK],
            engine=own,
            cipher=load_cipher(settings.data_dir),
            signer=load_signer(settings.data_dir),
            branch=settings.branch_code,
            threshold=settings.face_threshold,
            challenge_time=timedelta(seconds=settings.face_challenge_seconds),
            template_days=settings.face_template_retention_days,
            frame_days=settings.face_frame_retention_days,
            hub_url=settings.hub_url,
        )
        yield
        if engine is None:
            own.close()

    return ctx


def create_app(
    settings: NodeSettings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    authenticator: Authenticator | None = None,
    face_engine: FaceEngine | None = None,
) -> web.Application:
    app = build_app(
        SPEC,
        settings,
        routes,
        clock=clock,
        database=database,
        # the kiosk's grant first; staff sessions (or the given authenticator) otherwise
        authenticator=KioskGrantAuthenticator(IDENTITY, authenticator),
        audit=audit_events,
        sessions=staff_sessions,
        extra_cleanup=[
            _identity_ctx(settings, face_engine),
            head_ctx(
                audit_events,
                link_tables.log,
                settings.data_dir / "keys" / "node-audit.pem",
                settings.audit_head_interval_s,
            ),
            treewatch_ctx(settings),
        ],
    )
    app.cleanup_ctx.append(intake_runtime.install(app, settings))
    app[SETTINGS] = settings
    app[SIGNIN_TABLES] = signin_tables
    app[SIGNIN_BOX] = service_box(settings.data_dir)  # staff authenticator secrets, sealed
    app[STAFF_LOOKUP] = lookup_for(settings.branch_code)
    app[ROLE_HOME] = {Role.CLERK: "/intake"}
    session_routes.setup(app, settings.data_dir, settings.hub_url)
    app.router.add_static("/kiosk/static/", kiosk_routes.STATIC_DIR)
    app.router.add_static("/node/static/", intake_runtime.STATIC_DIR)
    return app
