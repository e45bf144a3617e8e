"""The node's link to the hub: sealed delivery, catalogue copy, status coming back."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import Clock
from common.db import Database
from common.outbox.model import SendOutcome
from common.outbox.relay import DeliveryHook
from common.outbox.store import OutboxMessage
from overseas_node.intake.service import record_refusal
from overseas_node.intake.tables import catalogue_copy, node_applications
from signing.sealed import seal

__all__ = ["FINAL", "HubLink", "LinkState", "delivered", "refusal_hook"]

log = logging.getLogger("qiaolink.node.link")
FINAL = ("rejected", "completed")


@dataclass
class LinkState:
    """What the clerk sees of the link: up or down, since when, and why."""

    up: bool = False
    since: datetime | None = None
    last_error: str = ""

    def mark(self, up: bool, now: datetime, error: str = "") -> None:
        if up != self.up or self.since is None:
            self.since = now
        self.up, self.last_error = up, ("" if up else error)


@dataclass
class HubLink:
    hub_url: str
    branch: str
    key: Ed25519PrivateKey
    clock: Clock
    http: aiohttp.ClientSession
    timeout_s: float = 10.0
    state: LinkState = field(default_factory=LinkState)
    _hub_key: X25519PublicKey | None = None

    async def _get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with self.http.get(self.hub_url + path, headers=headers, timeout=timeout) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def hub_key(self) -> X25519PublicKey:
        if self._hub_key is None:
            doc = await self._get("/api/node-link/hub-key")
            self._hub_key = X25519PublicKey.from_public_bytes(base64.b64decode(doc["x25519"]))
        return self._hub_key

    async def send(self, message: OutboxMessage) -> SendOutcome:
        """The outbox Sender for destination "hub": seal, post, read the hub's answer."""
        now = self.clock.now()
        try:
            body = json.dumps({"key": message.key, "message": message.payload}).encode()
            blob = seal(
                body,
                sender=self.branch,
                sender_key=self.key,
                recipient="hub",
                recipient_key=await self.hub_key(),
                kind=message.kind,
                at=now,
            )
            async with self.http.post(
                self.hub_url + "/api/node-link/inbox",
                data=blob,
                headers={"Content-Type": "application/octet-stream"},
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as resp:
                answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self.state.mark(False, now, type(exc).__name__)
            return SendOutcome.retry(f"link: {type(exc).__name__}")
        self.state.mark(True, now)
        if resp.status == 200:
            return SendOutcome.ok(answer)
        reason = f"hub {resp.status}: {answer.get('code', '')}" if isinstance(answer, dict) else ""
        if resp.status in (400, 404, 409, 413, 422):  # the content is wrong: retrying won't help
            problem = answer if isinstance(answer, dict) else {}
            return SendOutcome.refused(reason, {k: problem.get(k) for k in ("code", "title")})
        return SendOutcome.retry(reason)

    async def sync_catalogue(self, db: Database) -> int:
        """Copy the hub's current guides the node does not have yet; returns how many."""
        items = await self._get("/api/catalogue")
        async with db.sessions() as session:
            rows = await session.execute(select(catalogue_copy.c.code, catalogue_copy.c.version))
            have = {code: version for code, version in rows}
        fresh = [i for i in items if have.get(i["code"]) != i["version"]]
        guides = [await self._get(f"/api/catalogue/{i['code']}") for i in fresh]
        now = self.clock.now()
        async with db.transaction() as session:
            for guide in guides:
                await session.execute(
                    catalogue_copy.delete().where(catalogue_copy.c.code == guide["code"])
                )
                await session.execute(
                    catalogue_copy.insert().values(
                        code=guide["code"],
                        version=guide["version"],
                        category=guide["category"],
                        name_zh=guide["name_zh"],
                        name_en=guide["name_en"],
                        guide=guide,
                        synced_at=now,
                    )
                )
        return len(guides)

    async def poll_status(self, db: Database) -> int:
        """Bring the hub's status of delivered applications back; returns how many changed."""
        async with db.sessions() as session:
            open_apps = (
                await session.execute(
                    select(
                        node_applications.c.number,
                        node_applications.c.query_code,
                        node_applications.c.hub_state,
                        node_applications.c.hub_notices,
                    ).where(
                        node_applications.c.state == "delivered",
                        node_applications.c.hub_state.not_in(FINAL),
                    )
                )
            ).all()
        changed = 0
        for number, code, known, notices in open_apps:
            doc = await self._get(f"/api/progress/{number}", {"X-Query-Code": code})
            fresh = doc.get("deficiency_notices", [])
            if doc["state"] == known and fresh == notices:  # the deadline comes with a state
                continue
            async with db.transaction() as session:
                await session.execute(
                    update(node_applications)
                    .where(node_applications.c.number == number)
                    .values(
                        hub_state=doc["state"],
                        hub_history=doc["history"],
                        hub_notices=fresh,
                        hub_deadline=date.fromisoformat(doc["deadline"])
                        if doc.get("deadline")
                        else None,
                        updated_at=self.clock.now(),
                    )
                )
            changed += 1
        return changed

    async def round(self, db: Database) -> None:
        """One round of the link's housekeeping; a failure marks the link down."""
        try:
            await self.sync_catalogue(db)
            await self.poll_status(db)
            self.state.mark(True, self.clock.now())
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
            self.state.mark(False, self.clock.now(), type(exc).__name__)


async def delivered(
    session: AsyncSession, message: OutboxMessage, receipt: dict[str, object]
) -> None:
    """Outbox hook: the hub took the application in (or had it already)."""
    number = str(message.payload["application"]["number"])
    values: dict[str, Any] = {"state": "delivered"}
    if receipt.get("state"):
        values["hub_state"] = receipt["state"]
    await session.execute(
        update(node_applications).where(node_applications.c.number == number).values(**values)
    )


def refusal_hook(clock: Clock) -> DeliveryHook:
    """Outbox dead hook: the hub refused the message (or the link gave up on it)."""

    async def refused(
        session: AsyncSession, message: OutboxMessage, receipt: dict[str, object]
    ) -> None:
        payload = message.payload
        await record_refusal(
            session,
            number=str(payload["application"]["number"]),
            round_=int(payload["round"]) if "round" in payload else None,
            problem=receipt,  # the hub's problem document: code and title
            now=clock.now(),
        )

    return refused
