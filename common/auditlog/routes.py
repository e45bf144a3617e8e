"""HTTP face of a Merkle audit log, and the job that keeps signing new tree heads."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web
from sqlalchemy import Table

from common.access import PUBLIC, Role, allow
from common.auditlog.log import AuditLog
from common.auditlog.tables import LogTables
from common.errors import N_, Invalid
from common.httpsig import load_or_create_key
from common.periodic import periodic
from common.service import CLOCK, DB
from common.web import RouteTable

__all__ = ["AUDIT_LOG", "audit_log_routes", "head_ctx"]

log = logging.getLogger("qiaolink.auditlog")
AUDIT_LOG = web.AppKey("audit_log", AuditLog)
TAGS = ("audit",)


def _int(request: web.Request, name: str) -> int:
    raw = request.query.get(name, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise Invalid(
            "auditlog.bad_parameter",
            N_("The parameter {name} must be a non-negative whole number."),
            params={"name": name},
        )
    return int(raw)


def audit_log_routes() -> RouteTable:
    routes = RouteTable()

    @routes.get("/api/audit/sth", access=PUBLIC, summary="The latest signed tree head", tags=TAGS)
    async def sth(request: web.Request) -> web.Response:
        head = await request.app[AUDIT_LOG].latest_head()
        return web.json_response(head.to_json())

    @routes.get(
        "/api/audit/key", access=PUBLIC, summary="The Ed25519 key that signs tree heads", tags=TAGS
    )
    async def key(request: web.Request) -> web.Response:
        raw = request.app[AUDIT_LOG].public_key
        return web.json_response({"algorithm": "Ed25519", "public_key": raw.hex()})

    @routes.get(
        "/api/audit/proof/inclusion",
        access=PUBLIC,
        summary="Inclusion proof of leaf N in the tree of size M (a signed size)",
        tags=TAGS,
    )
    async def inclusion(request: web.Request) -> web.Response:
        auditlog = request.app[AUDIT_LOG]
        size = _int(request, "size")
        doc = await auditlog.inclusion(_int(request, "leaf"), size)
        doc["tree_head"] = (await auditlog.head_of_size(size)).to_json()
        return web.json_response(doc)

    @routes.get(
        "/api/audit/proof/consistency",
        access=PUBLIC,
        summary="Consistency proof between two tree sizes",
        tags=TAGS,
    )
    async def consistency(request: web.Request) -> web.Response:
        doc = await request.app[AUDIT_LOG].consistency(
            _int(request, "first"), _int(request, "second")
        )
        return web.json_response(doc)

    @routes.get(
        "/api/audit/entries",
        access=allow(Role.AUDITOR, read_only=True),
        summary="Log entries start <= index < end, with their canonical text",
        tags=TAGS,
    )
    async def entries(request: web.Request) -> web.Response:
        rows = await request.app[AUDIT_LOG].entries(_int(request, "start"), _int(request, "end"))
        return web.json_response({"entries": rows})

    return routes


def head_ctx(
    events: Table, tables: LogTables, key_file: Path, interval_s: float
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Open the log (its key made on first start), sign a head now and every ``interval_s``."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        auditlog = AuditLog(app[DB], events, tables, load_or_create_key(key_file), app[CLOCK])
        app[AUDIT_LOG] = auditlog
        await auditlog.advance()
        async with periodic(
            auditlog.advance, interval_s=interval_s, what="signing a tree head", wait_first=True
        ):
            yield

    return ctx
