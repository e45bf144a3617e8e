"""Status callbacks to the hub: signed like every request, sent through the outbox, with
switchable faults (dropped or duplicated callbacks)."""

from __future__ import annotations

import json
from collections.abc import Callable

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.clock import Clock
from common.httpsig import sign_request
from common.outbox import OutboxMessage, SendOutcome
from govnet_sim.model import CallbackFault, Faults

__all__ = ["PLATFORM_KEY_ID", "CallbackSender"]

PLATFORM_KEY_ID = "govnet"


class CallbackSender:
    """The outbox ``Sender`` for destination ``hub-callback``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        key: Ed25519PrivateKey,
        clock: Clock,
        faults: Callable[[], Faults],  # read per send: the admin switch may replace them
        timeout_s: float = 10.0,
    ) -> None:
        self.session = session
        self.key = key
        self.clock = clock
        self.faults = faults
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send(self, message: OutboxMessage) -> SendOutcome:
        fault = self.faults().callback()
        if fault is CallbackFault.DROP:
            return SendOutcome.ok({"dropped": True})
        outcome = await self._post(message)
        if fault is CallbackFault.DUPLICATE and outcome.delivered:
            await self._post(message)
        return outcome

    async def _post(self, message: OutboxMessage) -> SendOutcome:
        url = str(message.payload["url"])
        body = json.dumps(message.payload["event"], sort_keys=True).encode()
        headers = sign_request(
            method="POST",
            url=url,
            body=body,
            key=self.key,
            key_id=PLATFORM_KEY_ID,
            created=self.clock.now(),
            headers={"Idempotency-Key": message.key},
        )
        headers["Content-Type"] = "application/json"
        try:
            async with self.session.post(
                url, data=body, headers=headers, timeout=self.timeout
            ) as resp:
                text = await resp.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendOutcome.retry(f"{type(exc).__name__}: {exc}")
        if 200 <= resp.status < 300:
            return SendOutcome.ok()
        if resp.status in (400, 422):
            return SendOutcome.refused(f"HTTP {resp.status}: {text[:200]}")
        return SendOutcome.retry(f"HTTP {resp.status}: {text[:200]}")
