"""Deadlines count Chinese working days: holidays skipped, make-up Saturdays and Sundays counted."""

from __future__ import annotations

from datetime import date

import pytest

from hub.applications.deadlines import add_working_days, is_working_day, urgency


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Spring Festival
        (date(2026, 2, 14), True),  # Saturday, make-up working day
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 2, 23), False),  # Monday, substituted day off
        (date(2026, 2, 28), True),  # Saturday, make-up working day
        (date(2026, 3, 1), False),  # an ordinary Sunday
        (date(2026, 9, 20), True),  # Sunday, make-up day for National Day
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday, make-up day
        (date(2025, 9, 28), True),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
    ],
)
def test_working_days_follow_the_official_calendar(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_spring_festival_2026() -> None:
    # Accepted Thu 12 Feb: Fri 13, Sat 14 (make-up), then closed 15–23 Feb, Tue 24, Wed 25
    assert add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)


def test_national_day_2026() -> None:
    # Accepted Fri 18 Sep: Sun 20 (make-up) counts; 1–7 Oct closed; Sat 10 Oct counts.
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)
    # 21-24 (4 days), 25 Mid-Autumn off, 28-30 (3 days) → 8 working days by 30 Sep
    assert add_working_days(date(2026, 9, 18), 8) == date(2026, 9, 30)
    assert add_working_days(date(2026, 9, 18), 9) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 18), 11) == date(2026, 10, 10)


def test_zero_days_is_the_same_day_and_negative_is_refused() -> None:
    assert add_working_days(date(2026, 5, 6), 0) == date(2026, 5, 6)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 5, 6), -1)


def test_urgency_flags_overdue_and_close_deadlines() -> None:
    deadline = date(2026, 2, 24)
    assert urgency(deadline, date(2026, 2, 25)) == "overdue"
    assert urgency(deadline, date(2026, 2, 14)) == "due_soon"  # only the 24th is left
    assert urgency(deadline, date(2026, 2, 10)) == "on_time"
