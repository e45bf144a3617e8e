"""Publishing calendar files and reading what is published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.calendars.model import (
    CalendarFile,
    PublishedYear,
    WorkingDays,
    Year,
    parse_calendar,
)
from hub.calendars.tables import CalendarYear

__all__ = [
    "CalendarReport",
    "publish_calendar",
    "published_years",
    "read_calendar",
    "working_days",
]


@dataclass(frozen=True)
class CalendarReport:
    changed: tuple[str, ...]  # "CN 2027" for each year that got a new version
    unchanged: int

    def __str__(self) -> str:
        names = f" ({', '.join(self.changed)})" if self.changed else ""
        return f"{len(self.changed)} calendar years published{names}, {self.unchanged} unchanged"


def read_calendar(path: Path) -> CalendarFile:
    return parse_calendar(path.read_text(encoding="utf-8"))


def _days(year: Year) -> dict[str, Any]:
    return {
        "days_off": [{"date": d.date.isoformat(), "name": d.name} for d in year.days_off],
        "working_days": [{"date": d.date.isoformat(), "name": d.name} for d in year.working_days],
    }


async def publish_calendar(
    session: AsyncSession, calendar: CalendarFile, now: datetime
) -> CalendarReport:
    """A new version of each year whose days or source changed; the others stay as they are."""
    changed: list[str] = []
    for year in calendar.years:
        key = (CalendarYear.country == year.country) & (CalendarYear.year == year.year)
        current = await session.scalar(select(CalendarYear).where(key, CalendarYear.current))
        days = _days(year)
        if current is not None and current.days == days and current.source == year.source:
            continue
        latest = await session.scalar(select(func.max(CalendarYear.version)).where(key))
        await session.execute(update(CalendarYear).where(key).values(current=False))
        session.add(
            CalendarYear(
                country=year.country,
                year=year.year,
                version=(latest or 0) + 1,
                current=True,
                source=year.source,
                days=days,
                published_at=now,
            )
        )
        changed.append(f"{year.country} {year.year}")
    await session.flush()
    return CalendarReport(tuple(changed), len(calendar.years) - len(changed))


async def published_years(
    session: AsyncSession, country: str, first: date, last: date
) -> dict[int, PublishedYear]:
    """The published years of ``country`` that the dates ``first``..``last`` touch."""
    rows = await session.scalars(
        select(CalendarYear).where(
            CalendarYear.country == country,
            CalendarYear.current,
            CalendarYear.year.between(first.year, last.year),
        )
    )
    out: dict[int, PublishedYear] = {}
    for row in rows:
        year = Year.model_validate(
            {"country": row.country, "year": row.year, "source": row.source, **row.days}
        )
        out[row.year] = PublishedYear.of(year)
    return out


async def working_days(session: AsyncSession, country: str, around: date) -> WorkingDays:
    """Working days of ``country`` for deadlines from ``around`` (that year and two more)."""
    last = date(around.year + 2, 12, 31)
    return WorkingDays(country, await published_years(session, country, around, last))
