"""Deadlines in Chinese working days (限时办结), public holidays and make-up days included.

The working days come from a :class:`~hub.calendars.model.WorkingDays`: the years the office
published a calendar for from that file, other years from the ``holidays`` package.
"""

from __future__ import annotations

from datetime import date, timedelta

from hub.calendars.model import WorkingDays

__all__ = ["CHINA", "add_working_days", "is_working_day", "urgency", "working_days_left"]

# China's working days as the ``holidays`` package knows them, for callers with no published year
CHINA = WorkingDays("CN")


def is_working_day(day: date, calendar: WorkingDays = CHINA) -> bool:
    """Mon–Fri unless a public holiday; Sat/Sun only when a make-up working day (调休)."""
    return calendar.is_working_day(day)


def add_working_days(start: date, days: int, calendar: WorkingDays = CHINA) -> date:
    """The date ``days`` working days after ``start`` (the day of acceptance does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if calendar.is_working_day(current):
            counted += 1
    return current


def urgency(
    deadline: date, today: date, *, warn_working_days: int = 2, calendar: WorkingDays = CHINA
) -> str:
    """overdue, due_soon (within ``warn_working_days`` working days) or on_time."""
    if today > deadline:
        return "overdue"
    if add_working_days(today, warn_working_days, calendar) >= deadline:
        return "due_soon"
    return "on_time"


def working_days_left(today: date, deadline: date, calendar: WorkingDays = CHINA) -> int:
    """Working days from ``today`` to ``deadline`` (0 on the day itself); negative once overdue,
    counting the working days past it."""
    step = 1 if deadline >= today else -1
    counted, current = 0, today
    while current != deadline:
        current += timedelta(days=step)
        if calendar.is_working_day(current):
            counted += step
    return counted
