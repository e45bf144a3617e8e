"""The platform's API as the hub calls it: every request signed (RFC 9421) with the hub's key.

:class:`GovnetSender` is the outbox ``Sender`` for destination ``govnet``: it submits a case
with the message's idempotency key and sorts the platform's answers into delivered, retry
later, or refused for good.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.clock import Clock
from common.httpsig import sign_request
from common.outbox import OutboxMessage, SendOutcome

__all__ = ["GovnetClient", "GovnetSender", "PlatformAnswer", "PlatformUnavailable"]

RETRYABLE_CODES = {"idempotency.in_flight"}  # 409s that clear up by themselves


@dataclass(frozen=True)
class PlatformAnswer:
    status: int
    body: dict[str, Any]


class GovnetClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        key: Ed25519PrivateKey,
        key_id: str,
        clock: Clock,
        timeout_s: float = 10.0,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.key_id = key_id
        self.clock = clock
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def _call(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> PlatformAnswer:
        url = self.base_url + path
        signed = sign_request(
            method=method,
            url=url,
            body=body,
            key=self.key,
            key_id=self.key_id,
            created=self.clock.now(),
            headers=headers,
        )
        if body:
            signed["Content-Type"] = "application/json"
        async with self.session.request(
            method, url, data=body, headers=signed, timeout=self.timeout
        ) as resp:
            text = await resp.text()
        try:
            doc = json.loads(text) if text else {}
        except ValueError:
            doc = {"title": text[:200]}
        return PlatformAnswer(resp.status, doc if isinstance(doc, dict) else {"value": doc})

    async def submit(self, document: dict[str, Any], *, idempotency_key: str) -> PlatformAnswer:
        body = json.dumps(document, sort_keys=True, ensure_ascii=False).encode()
        return await self._call("POST", "/api/v1/cases", body, {"Idempotency-Key": idempotency_key})

    async def query(self, references: list[str]) -> dict[str, dict[str, Any]]:
        """The platform's view of these cases, by our reference (unknown ones left out)."""
        body = json.dumps({"references": references}).encode()
        answer = await self._call("POST", "/api/v1/cases/query", body)
        if answer.status != 200:
            raise PlatformUnavailable(f"HTTP {answer.status}: {answer.body.get('title', '')}")
        return {str(c["reference"]): c for c in answer.body.get("cases", [])}


class PlatformUnavailable(Exception):
    """The platform did not answer a poll usefully; reconciliation tries again later."""


class GovnetSender:
    """Outbox ``Sender`` for destination ``govnet``."""

    def __init__(self, client: GovnetClient) -> None:
        self.client = client

    async def send(self, message: OutboxMessage) -> SendOutcome:
        try:
            answer = await self.client.submit(message.payload, idempotency_key=message.key)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendOutcome.retry(f"{type(exc).__name__}: {exc}".strip(": "))
        reason = f"HTTP {answer.status} {answer.body.get('code', '')}".strip()
        if answer.status in (200, 201):
            return SendOutcome.ok(answer.body)
        if answer.status == 409 and answer.body.get("code") in RETRYABLE_CODES:
            return SendOutcome.retry(reason)
        if answer.status in (400, 409, 422):
            return SendOutcome.refused(f"{reason}: {answer.body.get('title', '')}")
        return SendOutcome.retry(reason)
