"""Deadlines in Chinese working days (限时办结), public holidays and make-up days included."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

import holidays

__all__ = ["add_working_days", "is_working_day", "urgency"]


@cache
def _china(year: int) -> Any:
    return holidays.China(  # type: ignore[attr-defined]
        years=range(year - 1, year + 3)
    )


def is_working_day(day: date) -> bool:
    """Mon–Fri unless a public holiday; Sat/Sun only when a make-up working day (调休)."""
    return bool(_china(day.year).is_working_day(day))


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (the day of acceptance does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def urgency(deadline: date, today: date, *, warn_working_days: int = 2) -> str:
    """overdue, due_soon (within ``warn_working_days`` working days) or on_time."""
    if today > deadline:
        return "overdue"
    if add_working_days(today, warn_working_days) >= deadline:
        return "due_soon"
    return "on_time"
