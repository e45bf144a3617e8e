"""What every Qiaolink service shares: app keys, database lifecycle, health and OpenAPI routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import PUBLIC, Principal
from common.audit import record
from common.clock import Clock, SystemClock
from common.db import Database, current_revisions, head_revisions
from common.errors import N_, Forbidden
from common.metrics import COLLECTORS, METRICS, RequestMetrics, allowed, metrics_middleware
from common.pages import Pages
from common.ratelimit import RATE_LIMITS, RateLimits
from common.sessions import SessionAuthenticator
from common.settings import ServiceSettings
from common.web import (
    ACCESS_ATTR,
    AUTHENTICATOR,
    DENIALS,
    ERROR_PAGE,
    PRINCIPAL,
    TRANSPORT,
    Authenticator,
    RouteTable,
    middlewares,
    openapi_document,
    security_headers,
)

__all__ = [
    "AUDIT",
    "CLOCK",
    "DB",
    "PAGES",
    "SESSIONS",
    "SESSION_AUTH",
    "NotMigrated",
    "ServiceSpec",
    "UndeclaredRoute",
    "audit",
    "build_app",
    "check_declared",
]

STATIC = Path(__file__).parent / "static"
DB = web.AppKey("db", Database)
CLOCK = web.AppKey("clock", Clock)
SPEC: web.AppKey[ServiceSpec] = web.AppKey("spec")
PAGES = web.AppKey("pages", Pages)
AUDIT = web.AppKey("audit_table", Table)
SESSIONS = web.AppKey("sessions_table", Table)
SESSION_AUTH = web.AppKey("session_authenticator", SessionAuthenticator)


class UndeclaredRoute(RuntimeError):
    """A route was added without an access declaration (use a RouteTable)."""


class NotMigrated(RuntimeError):
    """The database is behind the code: run ``qiaolink migrate SERVICE`` first."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # hub, node, govnet-sim
    title: str
    version: str
    migrations: str  # Alembic script location, "package:folder"
    templates: Path  # the service's own page templates
    default_zone: str  # the office's zone, for viewers who have not chosen one


def _health_routes(spec: ServiceSpec, routes: RouteTable, settings: ServiceSettings) -> RouteTable:
    table = RouteTable()

    @table.get("/healthz", access=PUBLIC, summary="Liveness and database health", tags=("ops",))
    async def healthz(request: web.Request) -> web.Response:
        ok = await request.app[DB].ping()
        return web.json_response(
            {"service": spec.name, "status": "ok" if ok else "degraded", "database": ok},
            status=200 if ok else 503,
        )

    document: dict[str, Any] = {}

    @table.get(
        "/api/openapi.json", access=PUBLIC, summary="This service's OpenAPI document", tags=("ops",)
    )
    async def openapi(request: web.Request) -> web.Response:
        if not document:
            document.update(openapi_document(spec.title, spec.version, routes))
        return web.json_response(document)

    @table.get(
        "/metrics",
        access=PUBLIC,
        summary="Prometheus metrics (callers from QIAOLINK_*_METRICS_ALLOW networks only)",
        tags=("ops",),
    )
    async def metrics(request: web.Request) -> web.Response:
        if not allowed(request.remote, settings.metrics_allow):
            raise Forbidden("access.loopback_only", N_("Only callers on this machine may do this."))
        parts = [request.app[METRICS].render()]
        for collect in request.app[COLLECTORS]:
            parts.append(await collect(request.app))
        return web.Response(
            text="".join(parts),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Prometheus-Format": "0.0.4"},
        )

    return table


def build_app(
    spec: ServiceSpec,
    settings: ServiceSettings,
    routes: RouteTable,
    *,
    clock: Clock | None = None,
    authenticator: Authenticator | None = None,
    database: Database | None = None,
    audit: Table,
    sessions: Table | None = None,
    client_max_size: int = 25 * 1024 * 1024,
    extra_cleanup: list[Callable[[web.Application], Any]] | None = None,
) -> web.Application:
    """The common skeleton; a service adds its own keys and cleanup contexts on top.

    With ``sessions`` (the service's sign-in table) and no explicit ``authenticator``, requests
    are authenticated by session token once the database is open.
    """
    table = RouteTable()
    table.extend(_health_routes(spec, table, settings))
    table.extend(routes)
    request_metrics = RequestMetrics(spec.name)
    chain = middlewares(authenticator, settings.default_locale)
    # after the request id is set, around the error middleware: it sees the final status
    chain.insert(1, metrics_middleware(request_metrics, spec.name))
    app = web.Application(middlewares=chain, client_max_size=client_max_size)
    app[SPEC] = spec
    app[METRICS] = request_metrics
    app[COLLECTORS] = []
    app[CLOCK] = clock or SystemClock()
    app[RATE_LIMITS] = RateLimits(getattr(settings, "redis_url", None), prefix=spec.name)
    app[PAGES] = Pages(spec.templates, service=spec.name, default_zone=spec.default_zone)
    app[ERROR_PAGE] = app[PAGES].error_page
    app[TRANSPORT] = (settings.behind_tls, settings.trusted_proxies)
    app[AUDIT] = audit
    if sessions is not None:
        app[SESSIONS] = sessions

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        db = database or Database(settings.resolved_database_url())
        current = await current_revisions(db.engine)
        wanted = head_revisions(spec.migrations)
        if current != wanted:
            await db.close()
            raise NotMigrated(
                f"the {spec.name} database is not migrated (at {sorted(current) or 'nothing'}, "
                f"code wants {sorted(wanted)}): run `qiaolink migrate {spec.name}`"
            )
        app[DB] = db
        if sessions is not None:
            app[SESSION_AUTH] = SessionAuthenticator(db, sessions, app[CLOCK])
            if authenticator is None:
                app[AUTHENTICATOR] = app[SESSION_AUTH]
        yield
        await db.close()

    app.cleanup_ctx.append(database_ctx)
    for ctx in extra_cleanup or []:
        app.cleanup_ctx.append(ctx)
    table.install(app)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.on_response_prepare.append(security_headers(hsts=settings.behind_tls))
    app[DENIALS] = _record_denial
    check_declared(app)
    app.on_startup.append(_check_on_startup)  # routes a service adds after build_app, too
    return app


def check_declared(app: web.Application) -> None:
    """Every route but static files declares who may call it; otherwise the app does not start."""
    for route in app.router.routes():
        if isinstance(route.resource, web.StaticResource):
            continue
        if getattr(route.handler, ACCESS_ATTR, None) is None:
            name = getattr(route.handler, "__qualname__", repr(route.handler))
            path = route.resource.canonical if route.resource is not None else "?"
            raise UndeclaredRoute(f"{route.method} {path} ({name}) declares no access")


async def _check_on_startup(app: web.Application) -> None:
    check_declared(app)


async def _record_denial(
    request: web.Request, principal: Principal | None, action: str, detail: dict[str, Any]
) -> None:
    async with request.app[DB].transaction() as session:
        await record(
            session,
            request.app[AUDIT],
            at=request.app[CLOCK].now(),
            actor=principal if principal is not None else "anonymous",
            action=action,
            subject=f"route:{request.method} {request.path}"[:160],
            detail=detail,
        )


async def audit(
    request: web.Request,
    session: AsyncSession,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> bytes:
    """Record a decision taken in a request, by its caller, in the request's transaction."""
    principal = request.get(PRINCIPAL)
    return await record(
        session,
        request.app[AUDIT],
        at=request.app[CLOCK].now(),
        actor=principal if principal is not None else "anonymous",
        action=action,
        subject=subject,
        detail=detail,
    )
