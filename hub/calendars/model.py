"""Published calendars: a year's days off and make-up working days for one country.

The ``holidays`` package knows the statutory feasts, but China's arrangement for each year
(which days around a feast are off, which Saturdays or Sundays are worked instead, 调休) is set
by the State Council's annual notice, often only weeks before the year starts, and the package
may not list it yet. Offices publish that notice as a file (``qiaolink calendar publish FILE``);
for the years a file covers it replaces the package, for other years the package answers.

Pure: parsing and day arithmetic, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Annotated, Any

import holidays
from pydantic import BaseModel, ConfigDict, Field

from common.datafiles import DataFileInvalid, parse_data_file

__all__ = [
    "CalendarFile",
    "CalendarInvalid",
    "PublishedYear",
    "WorkingDays",
    "country_days",
    "parse_calendar",
]

Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Text = Annotated[str, Field(min_length=1, max_length=300)]


class CalendarInvalid(DataFileInvalid):
    """Not a valid calendar file; ``field`` names where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Day(_Strict):
    date: date
    name: Text


class Year(_Strict):
    country: Country
    year: int = Field(ge=2000, le=2100)
    source: Text  # the notice this year's arrangement comes from
    days_off: list[Day]
    working_days: list[Day] = []  # weekend days that are worked (调休)


class CalendarFile(_Strict):
    format: str = Field(pattern=r"^qiaolink-calendar/1$")
    years: list[Year] = Field(min_length=1)


@dataclass(frozen=True)
class PublishedYear:
    country: str
    year: int
    source: str
    days_off: frozenset[date]
    working_days: frozenset[date]

    @classmethod
    def of(cls, year: Year) -> PublishedYear:
        return cls(
            year.country,
            year.year,
            year.source,
            frozenset(d.date for d in year.days_off),
            frozenset(d.date for d in year.working_days),
        )


def parse_calendar(text: str) -> CalendarFile:
    """The calendar in ``text``, or :class:`CalendarInvalid` naming the first wrong field."""
    calendar = parse_data_file(text, CalendarFile, CalendarInvalid)
    seen: set[tuple[str, int]] = set()
    for index, year in enumerate(calendar.years):
        where = f"years[{index}]"
        if (year.country, year.year) in seen:
            raise CalendarInvalid(f"{where}.year", f"{year.country} {year.year} appears twice")
        seen.add((year.country, year.year))
        _check_days(where, year)
    return calendar


def _check_days(where: str, year: Year) -> None:
    off = {d.date for d in year.days_off}
    for kind, days in (("days_off", year.days_off), ("working_days", year.working_days)):
        for position, day in enumerate(days):
            at = f"{where}.{kind}[{position}]"
            if day.date.year != year.year:
                raise CalendarInvalid(at, f"{day.date} is not in {year.year}")
            if kind == "working_days" and day.date.weekday() < 5:
                raise CalendarInvalid(at, f"{day.date} is a weekday; make-up days are weekends")
            if kind == "working_days" and day.date in off:
                raise CalendarInvalid(at, f"{day.date} is also listed as a day off")


@cache
def _package(country: str, year: int) -> Any:
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:
        raise LookupError(country) from None


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=i) for i in range((last - first).days + 1))


def country_days(
    country: str,
    first: date,
    last: date,
    published: Mapping[int, PublishedYear] | None = None,
) -> tuple[frozenset[date], frozenset[date]]:
    """Days off and weekend make-up working days of ``country`` between two dates.

    A year in ``published`` is taken from the office's file alone; any other year from the
    ``holidays`` package. ``LookupError`` when neither knows the country.
    """
    published = published or {}
    off: set[date] = set()
    makeup: set[date] = set()
    for year in range(first.year, last.year + 1):
        span = (max(first, date(year, 1, 1)), min(last, date(year, 12, 31)))
        if year in published:
            off |= {d for d in published[year].days_off if span[0] <= d <= span[1]}
            makeup |= {d for d in published[year].working_days if span[0] <= d <= span[1]}
            continue
        calendar = _package(country, year)
        off |= {d for d in calendar if span[0] <= d <= span[1]}
        makeup |= {d for d in _days(*span) if d.weekday() >= 5 and calendar.is_working_day(d)}
    return frozenset(off), frozenset(makeup)


@dataclass(frozen=True)
class WorkingDays:
    """Working days of one country (Mon–Fri less days off, plus make-up weekend days)."""

    country: str = "CN"
    published: Mapping[int, PublishedYear] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        year = self.published.get(day.year)
        if year is not None:
            if day in year.days_off:
                return False
            return day.weekday() < 5 or day in year.working_days
        return bool(_package(self.country, day.year).is_working_day(day))
