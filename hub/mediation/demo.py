"""The demo's open mediation case: two parties in two countries and an interpreter, with the
invited overseas mediator in Milan, so that the mediator's desk and each party's page have a
next step to click through (the parties still have to consent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from hub.mediation.service import NewCase, NewPerson, open_case
from hub.mediation.tables import MediationCase, Participant

__all__ = ["seed_demo_case"]

CASE = NewCase(
    "MIL",
    "房屋租赁押金纠纷 Deposit of a rented flat in Wencheng",
    "租客已搬回意大利，房东扣留押金两万元。The tenant moved back to Italy; the landlord keeps "
    "the deposit of 20,000 yuan.",
    "mediator.milan",
    [
        NewPerson("party", "Chen Jie 陈杰", "YA1234567", "IT", "MIL", "it", None),
        NewPerson("party", "Wang Fang 王芳", "EB7654321", "ES", "MIL", "zh", None),
        NewPerson("interpreter", "Sofia Rossi", "CA00112233", "IT", "MIL", "en", 1),
    ],
)


async def seed_demo_case(session: AsyncSession, now: datetime) -> dict[str, str]:
    """The case, unless there is one already; returns ``number/document`` → access code."""
    if await session.scalar(select(func.count()).select_from(MediationCase)):
        return {}
    officer = Principal("officer.wz", Role.OFFICER, "WZ", display_name="Zhou Min 周敏")
    case, codes = await open_case(session, new=CASE, actor=officer, now=now)
    found = await session.scalars(select(Participant).where(Participant.case_id == case.id))
    return {f"{case.number}/{p.document}": codes[p.id] for p in found}
