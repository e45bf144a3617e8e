"""Janus's HTTP API from aiohttp: one Janus session, its plugin handles, and the long poll.

Janus answers a request at once (``success`` / ``error``, or ``ack`` for a request whose result
comes later) and delivers everything else as events on ``GET /janus/<session>``. One poll task
per :class:`JanusSession` hands each event to the request waiting on its transaction, or to the
handle it is about (``webrtcup``, ``hangup``, a publisher leaving). A GET long poll does not keep
a Janus session alive, so a second task sends ``keepalive`` well inside ``session_timeout``.

Every failure is a :class:`JanusUnavailable` (Janus cannot be reached or answers nonsense) or a
:class:`JanusRefused` (Janus answered with an error, e.g. the room is gone), never a hang:
each request is bounded by ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp

__all__ = ["JanusHandle", "JanusRefused", "JanusSession", "JanusUnavailable"]

log = logging.getLogger("qiaolink.media.janus")
VIDEOROOM = "janus.plugin.videoroom"
Event = dict[str, Any]


class JanusUnavailable(Exception):
    """Janus did not answer (down, unreachable, too slow) or answered something unreadable."""


class JanusRefused(Exception):
    """Janus or its plugin answered a request with an error."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def _transaction() -> str:
    return secrets.token_hex(8)


class JanusSession:
    """One session on one Janus instance (``url`` ends in ``/janus``)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        *,
        timeout: float = 10.0,
        keepalive: float = 15.0,
    ) -> None:
        self.http = http
        self.url = url
        self.timeout = timeout
        self.keepalive_every = keepalive
        self.id: int | None = None
        self.lost: str | None = None  # why the session ended, once it has
        self.handles: dict[int, JanusHandle] = {}
        self._waiting: dict[str, asyncio.Future[Event]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def _post(self, path: str, body: Event) -> Event:
        if self.lost is not None:
            raise JanusUnavailable(self.lost)
        try:
            async with asyncio.timeout(self.timeout):
                async with self.http.post(f"{self.url}{path}", json=body) as response:
                    reply: Event = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise JanusUnavailable(f"Janus at {self.url} does not answer: {exc!r}") from None
        if reply.get("janus") == "error":
            error = reply.get("error", {})
            raise JanusRefused(int(error.get("code", 0)), str(error.get("reason", "")))
        return reply

    async def start(self) -> JanusSession:
        reply = await self._post("", {"janus": "create", "transaction": _transaction()})
        self.id = int(reply["data"]["id"])
        self._tasks = [
            asyncio.create_task(self._poll(), name=f"janus-poll-{self.id}"),
            asyncio.create_task(self._keepalive(), name=f"janus-keepalive-{self.id}"),
        ]
        return self

    async def attach(self, plugin: str = VIDEOROOM) -> JanusHandle:
        body = {"janus": "attach", "plugin": plugin, "transaction": _transaction()}
        reply = await self._post(f"/{self.id}", body)
        handle = JanusHandle(self, int(reply["data"]["id"]))
        self.handles[handle.id] = handle
        return handle

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_every)
            try:
                await self._post(
                    f"/{self.id}", {"janus": "keepalive", "transaction": _transaction()}
                )
            except (JanusUnavailable, JanusRefused) as exc:
                self._lose(f"Janus session {self.id} lost: {exc}")
                return

    async def _poll(self) -> None:
        url = f"{self.url}/{self.id}"
        while True:
            try:
                async with self.http.get(url, params={"maxev": "10"}) as response:
                    events = await response.json(content_type=None)
            except (aiohttp.ClientError, ValueError) as exc:
                self._lose(f"Janus at {self.url} stopped answering: {exc!r}")
                return
            if isinstance(events, dict):
                if events.get("janus") == "error":
                    self._lose(f"Janus session {self.id} is gone")
                    return
                events = [events]
            for event in events:
                self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        waiting = self._waiting.get(str(event.get("transaction", "")))
        if waiting is not None and event.get("janus") != "ack":
            if not waiting.done():
                waiting.set_result(event)
            return
        handle = self.handles.get(int(event.get("sender", 0) or 0))
        if handle is not None:
            handle.deliver(event)

    def _lose(self, reason: str) -> None:
        self.lost = reason
        log.warning("%s", reason)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(JanusUnavailable(reason))
        for handle in self.handles.values():
            handle.deliver({"janus": "lost", "reason": reason})

    async def request(self, handle: int, body: Event, jsep: Event | None = None) -> Event:
        """A plugin message; the event that answers it (at once or on the long poll)."""
        transaction = _transaction()
        message: Event = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            message["jsep"] = jsep
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = future
        try:
            reply = await self._post(f"/{self.id}/{handle}", message)
            if reply.get("janus") != "ack":
                return reply
            try:
                async with asyncio.timeout(self.timeout):
                    return await future
            except TimeoutError:
                raise JanusUnavailable(f"Janus did not answer {body.get('request')!r}") from None
        finally:
            self._waiting.pop(transaction, None)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.id is not None and self.lost is None:
            with contextlib.suppress(JanusUnavailable, JanusRefused):
                await self._post(f"/{self.id}", {"janus": "destroy", "transaction": _transaction()})
        self.lost = self.lost or "closed"


class JanusHandle:
    """A handle on the VideoRoom plugin: requests whose answers are checked for plugin errors,
    and the events Janus sends about it unasked."""

    def __init__(self, session: JanusSession, handle_id: int) -> None:
        self.session = session
        self.id = handle_id
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.on_event: Callable[[Event], None] | None = None
        self._up = asyncio.Event()
        self._gone: str | None = None

    def deliver(self, event: Event) -> None:
        kind = event.get("janus")
        if kind == "webrtcup":
            self._up.set()
        elif kind in ("hangup", "lost", "detached"):
            self._gone = str(event.get("reason", kind))
            self._up.set()  # wakes a waiter, which then sees why
        if self.on_event is not None:
            self.on_event(event)
        self.events.put_nowait(event)

    async def send(self, body: Event, jsep: Event | None = None) -> tuple[Event, Event | None]:
        """The plugin's answer (its ``data``) and any JSEP it carries; plugin errors raise."""
        reply = await self.session.request(self.id, body, jsep)
        data = reply.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusRefused(int(data["error_code"]), str(data.get("error", "")))
        return data, reply.get("jsep")

    async def webrtc_up(self, within: float) -> None:
        """Until Janus says this handle's PeerConnection is up."""
        try:
            async with asyncio.timeout(within):
                await self._up.wait()
        except TimeoutError:
            raise JanusUnavailable("the media connection to Janus did not come up") from None
        if self._gone is not None:
            raise JanusUnavailable(f"the media connection to Janus ended: {self._gone}")

    async def detach(self) -> None:
        self.session.handles.pop(self.id, None)
        with contextlib.suppress(JanusUnavailable, JanusRefused):
            await self.session._post(
                f"/{self.session.id}/{self.id}", {"janus": "detach", "transaction": _transaction()}
            )
