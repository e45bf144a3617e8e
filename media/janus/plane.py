"""The hub's Janus instances: one HTTP session on each, and which one a new room goes to.

A room is pinned to the instance it was made on. When that instance is lost, the room's next
join asks for another (``avoid``), so its session moves; with one instance it tries that one
again. Rooms spread over instances in turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp

from media.janus.api import JanusRefused, JanusSession, JanusUnavailable
from media.janus.room import JanusRoom

__all__ = ["JanusPlane"]


class JanusPlane:
    def __init__(
        self, urls: Sequence[str], *, timeout: float = 10.0, keepalive: float = 15.0
    ) -> None:
        if not urls:
            raise ValueError("a Janus plane needs at least one instance URL")
        self.urls = list(urls)
        self.timeout, self.keepalive = timeout, keepalive
        self._http: aiohttp.ClientSession | None = None
        self._sessions: dict[str, JanusSession] = {}
        self._turn = 0

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
        if self._http is not None:
            await self._http.close()

    async def _session(self, url: str) -> JanusSession:
        current = self._sessions.get(url)
        if current is not None and current.lost is None:
            return current
        assert self._http is not None, "JanusPlane.start() first"
        session = JanusSession(self._http, url, timeout=self.timeout, keepalive=self.keepalive)
        await session.start()
        self._sessions[url] = session
        return session

    async def pick(self, avoid: str | None) -> tuple[str, JanusSession]:
        """An instance for a room (``avoid`` last: the one it was lost on)."""
        order = self.urls[self._turn :] + self.urls[: self._turn]
        self._turn = (self._turn + 1) % len(self.urls)
        if avoid is not None:
            order = [u for u in order if u != avoid] + ([avoid] if avoid in self.urls else [])
        failures: list[str] = []
        for url in order:
            try:
                return url, await self._session(url)
            except (JanusUnavailable, JanusRefused) as exc:
                failures.append(str(exc))
        raise JanusUnavailable("; ".join(failures))

    def open_room(self, session_id: str, **options: Any) -> JanusRoom:
        """A room for ``session_id`` on one of these instances (options: see JanusRoom)."""
        return JanusRoom(session_id, pick=self.pick, **options)
