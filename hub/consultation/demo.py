"""The demo roster of consultants: two lawyers of the legal advisory committee, a hub officer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.consultation.model import Topic
from hub.consultation.tables import Consultant

__all__ = ["ROSTER", "seed_consultants"]

COMMITTEE = (
    "县侨联法律顾问委员会",
    "Legal Advisory Committee of the County Overseas Chinese Federation",
)
# username, kind, (affiliation zh, en), topics, languages
ROSTER: list[tuple[str, str, tuple[str, str], list[Topic], list[str]]] = [
    (
        "lawyer.chen",
        "lawyer",
        COMMITTEE,
        [Topic.PROPERTY, Topic.INHERITANCE, Topic.MARRIAGE, Topic.TAX],
        ["zh", "en"],
    ),
    (
        "lawyer.milan",
        "lawyer",
        COMMITTEE,
        [Topic.INHERITANCE, Topic.MARRIAGE, Topic.TAX, Topic.RETURN_SETTLE],
        ["zh", "it"],
    ),
    (
        "officer.wz",
        "officer",
        ("县海外服务中心", "Overseas Service Centre"),
        [Topic.HOUSEHOLD, Topic.RETURN_SETTLE, Topic.OVERSEAS_STATUS, Topic.EDUCATION],
        ["zh"],
    ),
]


async def seed_consultants(session: AsyncSession) -> None:
    """The roster, for those of its people who exist and are not on it yet."""
    known = set((await session.scalars(select(Consultant.username))).all())
    for username, kind, (zh, en), topics, langs in ROSTER:
        if username in known:
            continue
        session.add(
            Consultant(
                username=username,
                kind=kind,
                affiliation_zh=zh,
                affiliation_en=en,
                topics=[t.value for t in topics],
                languages=langs,
                active=True,
            )
        )
    await session.flush()
