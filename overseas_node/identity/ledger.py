"""The replay ledger and frame/template storage helpers on the node's database."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from media.face import Encoding, FramePrint, replay_score
from overseas_node.identity.tables import frame_hashes, frame_prints

__all__ = ["DbFrameLedger", "closest_replay", "keep_prints", "pack_encoding", "unpack_encoding"]


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


async def closest_replay(
    session: AsyncSession, attempt_id: str, prints: Sequence[FramePrint]
) -> float | None:
    """The replay score against the most similar earlier attempt of any resident (None when no
    earlier frame shares a coarse print with these): the coarse prints find the candidates
    through an index, the fine prints decide."""
    coarse = sorted({p.coarse for p in prints})
    if not coarse:
        return None
    found = await session.execute(
        select(frame_prints.c.attempt_id)
        .where(frame_prints.c.coarse.in_(coarse), frame_prints.c.attempt_id != attempt_id)
        .distinct()
    )
    candidates = sorted(owner for (owner,) in found)
    if not candidates:
        return None
    rows = await session.execute(
        select(frame_prints.c.attempt_id, frame_prints.c.fine).where(
            frame_prints.c.attempt_id.in_(candidates)
        )
    )
    earlier: dict[str, list[str]] = {}
    for owner, fine in rows:
        earlier.setdefault(owner, []).append(fine)
    new = [p.fine for p in prints]
    return min(replay_score(new, old) for old in earlier.values())


async def keep_prints(
    session: AsyncSession, attempt_id: str, prints: Sequence[FramePrint], at: datetime
) -> None:
    if prints:
        await session.execute(
            insert(frame_prints),
            [
                {
                    "attempt_id": attempt_id,
                    "idx": i,
                    "coarse": p.coarse,
                    "fine": p.fine,
                    "seen_at": at,
                }
                for i, p in enumerate(prints)
            ],
        )


def pack_encoding(encoding: Encoding) -> bytes:
    return struct.pack("<128d", *encoding)


def unpack_encoding(data: bytes) -> Encoding:
    return tuple(struct.unpack("<128d", data))
