"""The node keeps checking the hub's audit log, so the hub cannot quietly rewrite history.

Each round fetches the hub's latest signed tree head and, when the node has seen an older one,
a consistency proof between the two; :class:`signing.merkle.TreeHeadChecker` decides. Accepted
heads are stored (``seen_tree_heads``); a well-signed head that contradicts an earlier one is an
alarm: a ``treewatch_alarms`` row, an audit entry, and the node's status route shows it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.audit import record
from common.clock import Clock
from common.db import Database
from common.httpsig import load_public_key
from common.periodic import periodic
from common.service import CLOCK, DB
from common.settings import NodeSettings
from common.signing_stores import DbTreeHeadStore
from overseas_node.db import audit_events
from overseas_node.link.tables import seen_heads, treewatch_alarms
from signing.merkle import HeadVerdict, SignedTreeHead, TreeHeadChecker

__all__ = ["HUB_LOG", "TREEWATCH", "TreeWatch", "treewatch_ctx"]

log = logging.getLogger("qiaolink.treewatch")
HUB_LOG = "hub"  # the name under which the hub's heads are kept


@dataclass
class LastCheck:
    at: datetime
    outcome: str  # accepted | refused | alarm | unreachable | not_configured
    detail: str
    tree_size: int | None = None


class TreeWatch:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        http: aiohttp.ClientSession,
        hub_url: str,
        key_file: Path,
        timeout_s: float = 10.0,
    ) -> None:
        self.db, self.clock, self.http = db, clock, http
        self.hub_url, self.key_file = hub_url.rstrip("/"), key_file
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.last: LastCheck | None = None
        self._key: Ed25519PublicKey | None = None

    def key(self) -> Ed25519PublicKey | None:
        """The hub's log key, read once its file exists (installed out of band)."""
        if self._key is None and self.key_file.exists():
            self._key = load_public_key(self.key_file)
        return self._key

    async def _get(self, path: str) -> Any:
        async with self.http.get(self.hub_url + path, timeout=self.timeout) as resp:
            if resp.status != 200:
                raise LookupError(f"{path}: HTTP {resp.status}")
            return await resp.json()

    async def _proof(self, first: int, second: int) -> list[bytes]:
        """The hub's consistency proof; a hub that cannot give one gets an empty proof (which
        fails verification, as it should: a log that shrank has no proof)."""
        try:
            doc = await self._get(f"/api/audit/proof/consistency?first={first}&second={second}")
            return [bytes.fromhex(p) for p in doc["proof"]]
        except LookupError:
            return []

    async def check_once(self) -> LastCheck:
        now = self.clock.now()
        key = self.key()
        if key is None:
            self.last = LastCheck(now, "not_configured", f"no hub log key at {self.key_file}")
            return self.last
        try:
            head = SignedTreeHead.from_json(await self._get("/api/audit/sth"))
            verdict = await self._check(key, head, now)
        except (aiohttp.ClientError, TimeoutError, LookupError, ValueError, KeyError) as exc:
            log.warning("hub audit log unreachable or unreadable: %s", exc)
            self.last = LastCheck(now, "unreachable", str(exc) or type(exc).__name__)
            return self.last
        outcome = "alarm" if verdict.alarm else "accepted" if verdict.accepted else "refused"
        self.last = LastCheck(now, outcome, verdict.reason, head.tree_size)
        return self.last

    async def _check(
        self, key: Ed25519PublicKey, head: SignedTreeHead, now: datetime
    ) -> HeadVerdict:
        async with self.db.transaction() as session:
            store = DbTreeHeadStore(seen_heads, HUB_LOG)
            await store.load(session)
            needed = TreeHeadChecker(key, store).proof_needed(head)
        proof = await self._proof(*needed) if needed else []
        async with self.db.transaction() as session:
            store = DbTreeHeadStore(seen_heads, HUB_LOG)
            await store.load(session)
            checker = TreeHeadChecker(key, store)
            if checker.proof_needed(head) != needed:
                return HeadVerdict(False, False, "the stored heads changed during the check")
            verdict = checker.observe(head, proof)
            await store.flush(session, seen_at=now)
            if verdict.alarm:
                await _raise_alarm(session, head, verdict, now)
        return verdict


async def _raise_alarm(
    session: AsyncSession, head: SignedTreeHead, verdict: HeadVerdict, now: datetime
) -> None:
    """One alarm row and audit entry per offending head (a round repeating it adds nothing)."""
    doc = json.dumps(head.to_json(), sort_keys=True)
    a = treewatch_alarms
    seen = await session.scalar(select(a.c.id).where(a.c.log == HUB_LOG, a.c.head == doc))
    if seen is not None:
        return
    log.error("the hub's audit log contradicts itself: %s", verdict.reason)
    await session.execute(
        insert(a).values(
            at=now, log=HUB_LOG, tree_size=head.tree_size, reason=verdict.reason, head=doc
        )
    )
    await record(
        session,
        audit_events,
        at=now,
        actor="treewatch",
        action="treewatch.inconsistent_hub_log",
        subject=f"auditlog:{HUB_LOG}",
        detail={"reason": verdict.reason, "tree_size": head.tree_size, "root": head.root.hex()},
    )


async def alarms(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    a = treewatch_alarms
    async with db.transaction() as session:
        rows = await session.execute(select(a).order_by(a.c.id.desc()).limit(limit))
        return [
            {
                "at": r.at.isoformat(),
                "log": r.log,
                "tree_size": r.tree_size,
                "reason": r.reason,
                "head": json.loads(r.head),
            }
            for r in rows
        ]


async def latest_seen(db: Database) -> dict[str, object] | None:
    async with db.transaction() as session:
        store = DbTreeHeadStore(seen_heads, HUB_LOG)
        await store.load(session)
    heads = store.heads()
    return max(heads, key=lambda h: h.tree_size).to_json() if heads else None


TREEWATCH = web.AppKey("treewatch", TreeWatch)


def treewatch_ctx(settings: NodeSettings) -> Any:
    key_file = settings.hub_audit_key_file or settings.data_dir / "keys" / "hub-audit.pub.pem"

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            watch = TreeWatch(
                db=app[DB], clock=app[CLOCK], http=http, hub_url=settings.hub_url, key_file=key_file
            )
            app[TREEWATCH] = watch
            async with periodic(
                watch.check_once,
                interval_s=settings.treewatch_interval_s,
                what="checking the hub's audit log",
                wait_first=True,
            ):
                yield

    return ctx
