"""Wiring of the hub's audit log: its key in the data directory, the head-signing job."""

from __future__ import annotations

from aiohttp import web

from common.auditlog import head_ctx
from common.settings import HubSettings
from hub.auditlog.tables import log
from hub.db import audit_events

__all__ = ["KEY_FILE", "install"]

KEY_FILE = "hub-audit.pem"  # public half beside it: hub-audit.pub.pem, for the nodes


def install(app: web.Application, settings: HubSettings) -> None:
    app.cleanup_ctx.append(
        head_ctx(
            audit_events, log, settings.data_dir / "keys" / KEY_FILE, settings.audit_head_interval_s
        )
    )
