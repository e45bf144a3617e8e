"""Demo schedules: four branches in four zones, the hub's shifts for each, staff and rooms."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.passwords import hash_password
from hub.accounts.tables import Office, Staff
from hub.schedules.model import WeeklyHours
from hub.schedules.tables import (
    HubShift,
    OfficeClosure,
    OfficeHours,
    Room,
    StaffAvailability,
)

__all__ = ["seed_schedules"]

WEEK = range(5)
TUE_SAT = range(1, 6)
HUB = "WZ"
HUB_ZONE = "Asia/Shanghai"

BRANCHES = [  # code, name zh, name en, country, zone
    ("SAO", "圣保罗海外分中心", "São Paulo Overseas Branch", "BR", "America/Sao_Paulo"),
    ("JNB", "约翰内斯堡海外分中心", "Johannesburg Overseas Branch", "ZA", "Africa/Johannesburg"),
    ("CCS", "加拉加斯海外分中心", "Caracas Overseas Branch", "VE", "America/Caracas"),
]
# Branch hours in the branch's own time; the hub's shift for it in Beijing time.
NIGHT_SHIFT = WeeklyHours.every(WEEK, "20:00", "24:00") + WeeklyHours.every(
    TUE_SAT, "00:00", "04:00"
)
DESKS: dict[str, tuple[WeeklyHours, WeeklyHours]] = {
    "MIL": (
        WeeklyHours.every(WEEK, "09:00", "17:00") + WeeklyHours.every([5], "09:00", "13:00"),
        WeeklyHours.every(WEEK, "14:00", "22:00"),
    ),
    "SAO": (WeeklyHours.every(WEEK, "09:00", "17:00"), NIGHT_SHIFT),
    "JNB": (WeeklyHours.every(WEEK, "08:30", "16:30"), WeeklyHours.every(WEEK, "14:00", "23:00")),
    "CCS": (WeeklyHours.every(WEEK, "08:00", "16:00"), NIGHT_SHIFT),
}
ROOMS = [
    (f"{code}-{kind}", code, name, seats)
    for code in DESKS
    for kind, name, seats in (("DESK", "Notary desk", 1), ("MED", "Mediation room", 6))
]
NIGHT_NOTARY = ("notary.night", "Xu Fang 徐芳", "notary", HUB)
AVAILABILITY: list[tuple[str, str | None, str, WeeklyHours]] = [
    ("notary.wz", None, HUB_ZONE, WeeklyHours.every(WEEK, "13:00", "23:00")),
    (
        "notary.night",
        None,
        HUB_ZONE,
        WeeklyHours.every(WEEK, "19:00", "24:00") + WeeklyHours.every(TUE_SAT, "00:00", "05:00"),
    ),
    (
        "mediator.wz",
        None,
        HUB_ZONE,
        WeeklyHours.every(WEEK, "13:00", "24:00") + WeeklyHours.every(TUE_SAT, "00:00", "04:00"),
    ),
    ("mediator.milan", "MIL", "Europe/Rome", WeeklyHours.every(WEEK, "09:00", "18:00")),
    # the consultation roster (see hub/consultation/demo.py)
    ("lawyer.chen", None, HUB_ZONE, WeeklyHours.every(WEEK, "14:00", "22:00")),
    ("lawyer.milan", "MIL", "Europe/Rome", WeeklyHours.every(WEEK, "09:00", "13:00")),
    ("officer.wz", None, HUB_ZONE, WeeklyHours.every(WEEK, "15:00", "18:00")),
]
CLOSURES = [("MIL", date(y, 12, 7), "Sant'Ambrogio, patron of Milan") for y in (2026, 2027)]


async def seed_schedules(session: AsyncSession, now: datetime) -> dict[str, str]:
    """Branches, hours, shifts, rooms and availability unless present; new staff → passwords."""
    if await session.scalar(select(func.count()).select_from(OfficeHours)):
        return {}
    known = set((await session.scalars(select(Office.code))).all())
    session.add_all(
        Office(code=c, kind="branch", name_zh=zh, name_en=en, country=country, timezone=zone)
        for c, zh, en, country, zone in BRANCHES
        if c not in known
    )
    created: dict[str, str] = {}
    username, name, role, office = NIGHT_NOTARY
    if not await session.scalar(select(Staff.id).where(Staff.username == username)):
        created[username] = secrets.token_urlsafe(12)
        session.add(
            Staff(
                username=username,
                display_name=name,
                role=role,
                office_code=office,
                password_hash=hash_password(created[username]),
                created_at=now,
            )
        )
    await session.flush()
    for code, (hours, shift) in DESKS.items():
        session.add_all(OfficeHours(office_code=code, **_row(w)) for w in hours.windows)
        session.add_all(HubShift(hub_code=HUB, branch_code=code, **_row(w)) for w in shift.windows)
    session.add_all(Room(code=c, office_code=o, name=n, capacity=s) for c, o, n, s in ROOMS)
    session.add_all(OfficeClosure(office_code=o, day=d, reason=r) for o, d, r in CLOSURES)
    for who, branch, zone, hours in AVAILABILITY:
        session.add_all(
            StaffAvailability(username=who, branch_code=branch, timezone=zone, **_row(w))
            for w in hours.windows
        )
    await session.flush()
    return created


def _row(window: tuple[int, int, int]) -> dict[str, int]:
    weekday, start, end = window
    return {"weekday": weekday, "start_minute": start, "end_minute": end}
