"""Complaint deadlines in calendar days, the one extension, the review window, on-time steps."""

from __future__ import annotations

from datetime import date

import pytest

from common.errors import Conflict, Invalid
from hub.complaints.model import (
    State,
    Timeline,
    check_extension,
    check_review_request,
    check_transition,
    running_deadline,
    steps_on_time,
    urgency,
)

LODGED = date(2026, 2, 10)  # the Spring Festival holidays fall inside: calendar days ignore them


def test_deadlines_count_calendar_days() -> None:
    t = Timeline(State.ACCEPTED, LODGED, decided=date(2026, 2, 12), accepted=True)
    assert t.decide_by == date(2026, 2, 25)
    assert t.answer_by == date(2026, 4, 13)
    extended = Timeline(
        State.ACCEPTED, LODGED, decided=date(2026, 2, 12), accepted=True, extended_days=30
    )
    assert extended.answer_by == date(2026, 5, 13)
    assert running_deadline(extended) is not None
    assert running_deadline(extended).step == "answer"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 2, 21), "on_time"),
        (date(2026, 2, 22), "due_soon"),
        (date(2026, 2, 25), "due_soon"),
        (date(2026, 2, 26), "overdue"),
    ],
)
def test_urgency(today: date, expected: str) -> None:
    assert urgency(date(2026, 2, 25), today) == expected


def test_one_extension_of_at_most_30_days_with_a_reason() -> None:
    t = Timeline(State.ACCEPTED, LODGED, decided=LODGED, accepted=True)
    check_extension(t, 30, "archive")
    with pytest.raises(Invalid):
        check_extension(t, 31, "archive")
    with pytest.raises(Invalid):
        check_extension(t, 10, "  ")
    with pytest.raises(Conflict):
        check_extension(
            Timeline(State.ACCEPTED, LODGED, decided=LODGED, accepted=True, extended_days=5),
            5,
            "again",
        )


def test_review_window_is_30_days_from_the_reply() -> None:
    t = Timeline(State.REPLIED, LODGED, decided=LODGED, accepted=True, replied=date(2026, 3, 1))
    check_review_request(t, date(2026, 3, 31))
    with pytest.raises(Conflict) as err:
        check_review_request(t, date(2026, 4, 1))
    assert err.value.code == "complaint.review_too_late"
    with pytest.raises(Conflict):
        check_transition(State.REFUSED, State.ACCEPTED)


def test_steps_on_time_counts_each_finished_step() -> None:
    t = Timeline(
        State.REVIEWED,
        LODGED,
        decided=date(2026, 2, 26),  # one day late
        accepted=True,
        replied=date(2026, 3, 20),
        review_requested=date(2026, 3, 25),
        reviewed=date(2026, 4, 20),
    )
    assert steps_on_time(t) == (3, 2)
