"""The demo roster of consultants (two lawyers of the legal advisory committee, a hub officer)
and the demo's bookings at lawyer.chen's desk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.audit import record
from common.db import Database
from hub.consultation.model import Topic
from hub.consultation.service import Asking, book
from hub.consultation.tables import Consultant, Consultation
from hub.db import audit_events
from hub.schedules.model import ServiceType, SlotQuery
from hub.schedules.service import SessionChoice, search
from hub.zone import hub_date

__all__ = ["ROSTER", "seed_consultants", "seed_demo_bookings"]

STAFF = "lawyer.chen"  # the demo desk with bookings

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


DEMO_ASKING = [  # topic, question, name, document, country, language
    (
        Topic.INHERITANCE,
        "父亲在文成去世，留下一套房产。我在意大利，如何办理继承？",
        "Hu Xiaoming 胡小明",
        "E1234567",
        "IT",
        "it",
    ),
    (
        Topic.PROPERTY,
        "我想委托亲属在温州出售房屋，需要哪些手续？",
        "Lin Mei 林梅",
        "E7654321",
        "IT",
        "zh",
    ),
]


async def seed_demo_bookings(db: Database, now: datetime) -> list[tuple[str, str]]:
    """Bookings with lawyer.chen on the next day that still has free times (today, when the
    desk is open): each consultation's number and query code, for the resident's page."""
    async with db.sessions() as session:
        if await session.scalar(select(func.count()).select_from(Consultation)):
            return []
    day = hub_date(now)
    found: list[Any] = []
    for ahead in range(7):
        when = day + timedelta(days=ahead)
        query = SlotQuery(ServiceType.CONSULTATION, when, when, staff=STAFF)
        found = [s for s in await search(db, query, branch="MIL", now=now) if s.staff == STAFF]
        if found:
            break
    made = []
    for slot, (topic, question, name, document, country, lang) in zip(
        found[:: max(1, len(found) // len(DEMO_ASKING))], DEMO_ASKING, strict=False
    ):
        asking = Asking(topic, question, name, document, "", country, lang, "Europe/Rome")
        choice = SessionChoice("MIL", ServiceType.CONSULTATION, slot.staff, slot.room, slot.start)
        c, code, _booking = await book(
            db, _recorder(now), choice, asking=asking, actor=f"resident:{document}", now=now
        )
        made.append((c.number, code))
    return made


def _recorder(now: datetime) -> Any:
    async def record_it(
        session: AsyncSession, action: str, subject: str, detail: dict[str, Any]
    ) -> None:
        await record(
            session,
            audit_events,
            at=now,
            actor="seed",
            action=action,
            subject=subject,
            detail=detail,
        )

    return record_it
