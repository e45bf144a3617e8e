"""The audit table arranged as a Merkle log: sequencing, signed tree heads, proofs, entries.

Event ids come from an autoincrement column and may have gaps (a rolled-back transaction) or
commit out of order (PostgreSQL); leaf indexes may not. The sequencer, under a row lock on
``audit_log_state``, gives every not-yet-sequenced event the next index in id order — an event
that commits late simply gets a later index. The leaf hash is recomputed from the stored
canonical entry, so the log commits to the entry text itself.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.auditlog.tables import LogTables
from common.clock import Clock
from common.db import Database
from common.errors import N_, Invalid, NotFound
from signing.merkle import (
    SignedTreeHead,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    sign_tree_head,
    tree_root,
)
from signing.primitives import ed25519_public_bytes

__all__ = ["MAX_ENTRIES", "AuditLog", "LeafCache"]

MAX_ENTRIES = 1000  # per page of /entries


class LeafCache:
    """Leaf hashes by index, read from the database once: a sequenced leaf never changes."""

    def __init__(self) -> None:
        self.leaves: list[bytes] = []

    async def upto(self, session: AsyncSession, tables: LogTables, size: int) -> list[bytes]:
        t = tables.leaves
        while len(self.leaves) < size:
            start = len(self.leaves)
            rows = await session.scalars(
                select(t.c.leaf_hash).where(t.c.idx >= start, t.c.idx < size).order_by(t.c.idx)
            )
            found = [bytes(r) for r in rows]
            if len(found) != size - start:
                raise RuntimeError(f"the log has holes between {start} and {size}")
            if len(self.leaves) == start:  # nobody extended it while we were reading
                self.leaves.extend(found)
        return self.leaves


def _head(row: Any) -> SignedTreeHead:
    return SignedTreeHead(row.tree_size, bytes(row.root), row.timestamp, bytes(row.signature))


def _bad_range(message: str, **params: object) -> Invalid:
    return Invalid("auditlog.bad_range", message, params=params)


async def _off_loop(fn: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, partial(fn, *args))


@dataclass
class AuditLog:
    db: Database
    events: Table
    tables: LogTables
    key: Ed25519PrivateKey = field(repr=False)
    clock: Clock
    cache: LeafCache = field(default_factory=LeafCache)
    batch: int = 5000

    @property
    def public_key(self) -> bytes:
        return ed25519_public_bytes(self.key)

    async def advance(self) -> SignedTreeHead:
        """Sequence new events and sign a head for the new size (if it changed)."""
        async with self.db.transaction() as session:
            size = await self._lock_size(session)
            fresh = await self._unsequenced(session)
            if fresh:
                await session.execute(
                    insert(self.tables.leaves),
                    [
                        {"idx": size + i, "event_id": event_id, "leaf_hash": leaf}
                        for i, (event_id, leaf) in enumerate(fresh)
                    ],
                )
                await session.execute(
                    update(self.tables.state)
                    .where(self.tables.state.c.id == 1)
                    .values(size=size + len(fresh))
                )
            latest = await self._latest(session)
            new_size = size + len(fresh)
            if latest is not None and latest.tree_size == new_size:
                return latest
            known = await self.cache.upto(session, self.tables, size)
            leaves = known[:size] + [leaf for _, leaf in fresh]
            root = await _off_loop(tree_root, leaves)
            head = sign_tree_head(
                self.key, tree_size=new_size, root=root, timestamp=self.clock.now()
            )
            await session.execute(
                insert(self.tables.heads).values(
                    tree_size=head.tree_size,
                    root=head.root,
                    timestamp=head.timestamp,
                    signature=head.signature,
                )
            )
            return head

    async def _lock_size(self, session: AsyncSession) -> int:
        state = self.tables.state
        size = await session.scalar(select(state.c.size).where(state.c.id == 1).with_for_update())
        if size is None:
            raise RuntimeError("audit_log_state has no row: the log's migration did not run")
        return int(size)

    async def _unsequenced(self, session: AsyncSession) -> list[tuple[int, bytes]]:
        ev, lv = self.events, self.tables.leaves
        rows = await session.execute(
            select(ev.c.id, ev.c.entry)
            .outerjoin(lv, lv.c.event_id == ev.c.id)
            .where(lv.c.idx.is_(None))
            .order_by(ev.c.id)
            .limit(self.batch)
        )
        return [(int(r.id), leaf_hash(str(r.entry).encode())) for r in rows]

    async def _latest(self, session: AsyncSession) -> SignedTreeHead | None:
        h = self.tables.heads
        row = (await session.execute(select(h).order_by(h.c.tree_size.desc()).limit(1))).first()
        return _head(row) if row is not None else None

    async def latest_head(self) -> SignedTreeHead:
        async with self.db.transaction() as session:
            head = await self._latest(session)
        return head if head is not None else await self.advance()

    async def _published(self, session: AsyncSession, size: int) -> list[bytes]:
        latest = await self._latest(session)
        published = latest.tree_size if latest is not None else 0
        if not 1 <= size <= published:
            raise _bad_range(
                N_("Proofs are given for tree sizes from 1 to {size}, the latest signed head."),
                size=published,
            )
        return await self.cache.upto(session, self.tables, size)

    async def inclusion(self, index: int, size: int) -> dict[str, Any]:
        async with self.db.transaction() as session:
            leaves = await self._published(session, size)
        if not 0 <= index < size:
            raise _bad_range(
                N_("Leaf {index} is not in a tree of size {size}."), index=index, size=size
            )
        proof = await _off_loop(inclusion_proof, leaves[:size], index)
        return {
            "leaf_index": index,
            "tree_size": size,
            "leaf_hash": leaves[index].hex(),
            "proof": [p.hex() for p in proof],
        }

    async def consistency(self, first: int, second: int) -> dict[str, Any]:
        async with self.db.transaction() as session:
            leaves = await self._published(session, second)
        if not 1 <= first <= second:
            raise _bad_range(
                N_("A consistency proof needs 1 <= first <= second (got {first} and {second})."),
                first=first,
                second=second,
            )
        proof = await _off_loop(consistency_proof, leaves[:second], first)
        return {"first": first, "second": second, "proof": [p.hex() for p in proof]}

    async def head_of_size(self, size: int) -> SignedTreeHead:
        h = self.tables.heads
        async with self.db.transaction() as session:
            row = (await session.execute(select(h).where(h.c.tree_size == size))).first()
        if row is None:
            raise NotFound(
                "auditlog.no_head", N_("No signed tree head of size {size}."), params={"size": size}
            )
        return _head(row)

    async def entries(self, start: int, end: int) -> list[dict[str, Any]]:
        if not 0 <= start < end or end - start > MAX_ENTRIES:
            raise _bad_range(
                N_("Ask for entries start <= index < end, at most {max} at a time."),
                max=MAX_ENTRIES,
            )
        ev, lv = self.events, self.tables.leaves
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(lv.c.idx, lv.c.leaf_hash, ev.c.entry)
                .join(ev, ev.c.id == lv.c.event_id)
                .where(lv.c.idx >= start, lv.c.idx < end)
                .order_by(lv.c.idx)
            )
            return [
                {"index": int(r.idx), "leaf_hash": bytes(r.leaf_hash).hex(), "entry": r.entry}
                for r in rows
            ]
