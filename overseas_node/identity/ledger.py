"""The replay ledger and frame/template storage helpers on the node's database."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from media.face import Encoding
from overseas_node.identity.tables import frame_hashes

__all__ = ["DbFrameLedger", "pack_encoding", "unpack_encoding"]


class DbFrameLedger:
    """``media.face.FrameLedger`` on the ``identity_frame_hashes`` table, in the caller's
    transaction (the primary key on the hash makes a concurrent double use fail)."""

    def __init__(self, session: AsyncSession, at: datetime) -> None:
        self.session = session
        self.at = at

    async def claim(self, attempt_id: str, hashes: Sequence[str]) -> frozenset[str]:
        wanted = sorted(set(hashes))
        rows = await self.session.execute(
            select(frame_hashes.c.sha256, frame_hashes.c.attempt_id).where(
                frame_hashes.c.sha256.in_(wanted)
            )
        )
        known = {sha: owner for sha, owner in rows}
        fresh = [h for h in wanted if h not in known]
        if fresh:
            await self.session.execute(
                insert(frame_hashes),
                [{"sha256": h, "attempt_id": attempt_id, "seen_at": self.at} for h in fresh],
            )
        return frozenset(h for h, owner in known.items() if owner != attempt_id)


def pack_encoding(encoding: Encoding) -> bytes:
    return struct.pack("<128d", *encoding)


def unpack_encoding(data: bytes) -> Encoding:
    return tuple(struct.unpack("<128d", data))
