"""Overseas nodes calling the hub: each signs its requests with its own Ed25519 key (RFC 9421).

The hub keeps every node's public key in ``node_keys``; a request with a valid, fresh, unreplayed
signature stands for ``Principal(role=NODE, branch=<the node's branch>)``. There is no shared
password: a node's key never leaves its data directory.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Column, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.clock import Clock
from common.db import Database, UTCDateTime
from common.httpsig import RequestVerifier, SignatureRefused, load_public_key
from common.web import Authenticator

__all__ = [
    "NodeOrSession",
    "NodeSignatures",
    "node_key_id",
    "node_keys_table",
    "node_public_key",
    "register_node",
]


def node_key_id(branch: str) -> str:
    return f"node-{branch}"


def node_keys_table(metadata: MetaData) -> Table:
    return Table(
        "node_keys",
        metadata,
        Column("key_id", String(64), primary_key=True),
        Column("branch", String(16), nullable=False),
        Column("public_key_pem", Text, nullable=False),
        Column("registered_at", UTCDateTime, nullable=False),
        Column("revoked_at", UTCDateTime, nullable=True),
    )


async def register_node(
    session: AsyncSession, table: Table, branch: str, key: Ed25519PublicKey, at: datetime
) -> str:
    """Register (or replace) a branch's node key; returns its key id."""
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    key_id = node_key_id(branch)
    values = {"branch": branch, "public_key_pem": pem, "registered_at": at, "revoked_at": None}
    changed = await session.execute(update(table).where(table.c.key_id == key_id).values(values))
    if not changed.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(table).values(key_id=key_id, **values))
    return key_id


def node_public_key(path: Path) -> Ed25519PublicKey | None:
    """The public half a node left beside its key (demo: one data directory), if any."""
    return load_public_key(path) if path.exists() else None


class NodeSignatures:
    """Turns a signed request into the node principal it stands for."""

    def __init__(
        self, db: Database, table: Table, clock: Clock, max_age: timedelta = timedelta(minutes=5)
    ) -> None:
        self.db, self.table, self.clock, self.max_age = db, table, clock, max_age
        self._nonces: dict[str, datetime] = {}

    async def _keys(self) -> dict[str, tuple[str, Ed25519PublicKey]]:
        t = self.table
        async with self.db.sessions() as session:
            rows = (await session.execute(select(t).where(t.c.revoked_at.is_(None)))).all()
        keys = {}
        for row in rows:
            key = serialization.load_pem_public_key(row.public_key_pem.encode())
            if isinstance(key, Ed25519PublicKey):
                keys[row.key_id] = (row.branch, key)
        return keys

    async def authenticate(self, request: web.Request) -> Principal:
        keys = await self._keys()
        verifier = RequestVerifier(
            lambda key_id: keys[key_id][1] if key_id in keys else None,
            clock=self.clock,
            max_age=self.max_age,
        )
        signed = verifier.verify(
            method=request.method,
            url=str(request.url),
            headers=request.headers,
            body=await request.read(),
        )
        self._remember(signed.key_id + "|" + signed.nonce)
        branch = keys[signed.key_id][0]
        return Principal(subject=signed.key_id, role=Role.NODE, branch=branch)

    def _remember(self, nonce: str) -> None:
        now = self.clock.now()
        if nonce in self._nonces:
            raise SignatureRefused("the nonce was used before")
        if len(self._nonces) > 10_000:  # forget nonces older than any acceptable signature
            horizon = now - 2 * self.max_age
            self._nonces = {n: at for n, at in self._nonces.items() if at > horizon}
        self._nonces[nonce] = now


class NodeOrSession:
    """A request signed with a node key is a node; anything else is a staff session (or nobody).

    (The platform's signed callbacks carry its own key id and are checked by their route.)
    """

    def __init__(self, nodes: NodeSignatures, sessions: Authenticator) -> None:
        self.nodes, self.sessions = nodes, sessions

    async def authenticate(self, request: web.Request) -> Principal | None:
        if 'keyid="node-' in request.headers.get("Signature-Input", ""):
            return await self.nodes.authenticate(request)
        return await self.sessions.authenticate(request)
