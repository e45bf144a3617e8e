"""A text WebSocket as a pair of plain functions, so protocol code needs no aiohttp."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import WSMsgType, web

__all__ = ["text_socket"]


async def text_socket(
    request: web.Request, *, max_bytes: int, heartbeat: float = 20.0
) -> tuple[
    web.WebSocketResponse, Callable[[], Awaitable[str | None]], Callable[[str], Awaitable[None]]
]:
    """Accept the upgrade; ``receive()`` gives text messages and ``None`` once closed.

    A frame above ``max_bytes`` closes the socket (code 1009) before any code reads it; the
    protocol layer sets its own, smaller limit and refuses bigger messages politely.
    """
    ws = web.WebSocketResponse(heartbeat=heartbeat, max_msg_size=max_bytes)
    await ws.prepare(request)

    async def receive() -> str | None:
        while True:
            message = await ws.receive()
            if message.type is WSMsgType.TEXT:
                return str(message.data)
            if message.type is WSMsgType.BINARY:
                return bytes(message.data).decode("utf-8", errors="replace")
            if message.type in {WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED}:
                return None
            if message.type is WSMsgType.ERROR:
                return None

    async def send(text: str) -> None:
        if ws.closed:
            raise ConnectionError("the signalling socket is closed")
        await ws.send_str(text)

    return ws, receive, send
