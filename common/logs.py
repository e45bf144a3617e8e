"""Structured (JSON lines) logging with a request id carried in a context variable.

The id crosses services: the receiving middleware (:mod:`common.web`) adopts a caller's
``X-Request-Id`` (:func:`adopt_request_id`), and every outgoing aiohttp session made with
:func:`request_id_trace` sends the current one. The outbox keeps the id of the request that
queued a message, and the relay sends the message under it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from types import SimpleNamespace

import aiohttp

__all__ = ["HEADER", "REQUEST_ID", "adopt_request_id", "configure", "request_id_trace"]

HEADER = "X-Request-Id"
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def adopt_request_id(value: str | None) -> str:
    """A caller's id if it is a plain token (it ends up in every log line), else a fresh one."""
    if value and _SAFE.match(value):
        return value
    return uuid.uuid4().hex


async def _send_request_id(
    _session: aiohttp.ClientSession,
    _ctx: SimpleNamespace,
    params: aiohttp.TraceRequestStartParams,
) -> None:
    current = REQUEST_ID.get()
    if current != "-" and HEADER not in params.headers:
        params.headers[HEADER] = current


def request_id_trace() -> aiohttp.TraceConfig:
    """Give this to ``aiohttp.ClientSession(trace_configs=[...])``: each request it makes
    carries the current request id."""
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_send_request_id)
    return trace


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the start-up revision check
    logging.getLogger(service).debug("logging configured")
