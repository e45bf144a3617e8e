"""The rules of a complaint or petition (信访投诉), without a database or a clock.

Deadlines here run in CALENDAR days (not the working days of applications), counted on the
hub's calendar date (Asia/Shanghai), the day of the event itself not counted:

* the hub decides within 15 days of lodging whether to accept it and who handles it;
* an accepted one is answered within 60 days, extended once by at most 30 days with a reason;
* the resident may ask for a review (复查) within 30 days of the reply;
* a review is answered within 30 days of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from common.errors import N_, Conflict, Invalid

__all__ = [
    "ANSWER_DAYS",
    "DECIDE_DAYS",
    "EXTENSION_MAX_DAYS",
    "REVIEW_ANSWER_DAYS",
    "REVIEW_REQUEST_DAYS",
    "WARN_DAYS",
    "Deadline",
    "State",
    "Timeline",
    "check_extension",
    "check_review_request",
    "check_transition",
    "running_deadline",
    "steps_on_time",
    "urgency",
]

DECIDE_DAYS = 15
ANSWER_DAYS = 60
EXTENSION_MAX_DAYS = 30
REVIEW_REQUEST_DAYS = 30
REVIEW_ANSWER_DAYS = 30
WARN_DAYS = 3  # a deadline this close (calendar days) is flagged "due soon"


class State(StrEnum):
    LODGED = "lodged"
    ACCEPTED = "accepted"
    REFUSED = "refused"  # 不予受理, with a reason
    REPLIED = "replied"
    REVIEW_REQUESTED = "review_requested"
    REVIEWED = "reviewed"


_MOVES: dict[State, frozenset[State]] = {
    State.LODGED: frozenset({State.ACCEPTED, State.REFUSED}),
    State.ACCEPTED: frozenset({State.REPLIED}),
    State.REPLIED: frozenset({State.REVIEW_REQUESTED}),
    State.REVIEW_REQUESTED: frozenset({State.REVIEWED}),
    State.REFUSED: frozenset(),
    State.REVIEWED: frozenset(),
}


def check_transition(current: State, target: State) -> None:
    if target not in _MOVES[current]:
        raise Conflict(
            "complaint.bad_transition",
            N_("A complaint that is {current} cannot become {target}."),
            params={"current": current.value, "target": target.value},
        )


@dataclass(frozen=True)
class Timeline:
    """The hub-calendar dates of a complaint's steps; None where the step has not happened."""

    state: State
    lodged: date
    decided: date | None = None
    extended_days: int = 0
    replied: date | None = None
    review_requested: date | None = None
    reviewed: date | None = None
    accepted: bool = False

    @property
    def decide_by(self) -> date:
        return self.lodged + timedelta(days=DECIDE_DAYS)

    @property
    def answer_by(self) -> date | None:
        if not self.accepted or self.decided is None:
            return None
        return self.decided + timedelta(days=ANSWER_DAYS + self.extended_days)

    @property
    def review_request_by(self) -> date | None:
        return self.replied + timedelta(days=REVIEW_REQUEST_DAYS) if self.replied else None

    @property
    def review_answer_by(self) -> date | None:
        if self.review_requested is None:
            return None
        return self.review_requested + timedelta(days=REVIEW_ANSWER_DAYS)


@dataclass(frozen=True)
class Deadline:
    step: str  # decide | answer | review_answer: what the hub owes next
    due: date


def running_deadline(t: Timeline) -> Deadline | None:
    """The hub's open obligation, if any (a reply waiting for a review request is not one)."""
    if t.state is State.LODGED:
        return Deadline("decide", t.decide_by)
    if t.state is State.ACCEPTED and t.answer_by is not None:
        return Deadline("answer", t.answer_by)
    if t.state is State.REVIEW_REQUESTED and t.review_answer_by is not None:
        return Deadline("review_answer", t.review_answer_by)
    return None


def urgency(due: date, today: date, *, warn_days: int = WARN_DAYS) -> str:
    """overdue, due_soon (within ``warn_days`` calendar days) or on_time."""
    if today > due:
        return "overdue"
    if (due - today).days <= warn_days:
        return "due_soon"
    return "on_time"


def check_extension(t: Timeline, days: int, reason: str) -> None:
    """One extension of 1–30 days, with a reason, while the answer is still owed."""
    if t.state is not State.ACCEPTED:
        raise Conflict(
            "complaint.not_answerable", N_("Only an accepted complaint awaiting its answer.")
        )
    if t.extended_days:
        raise Conflict(
            "complaint.already_extended", N_("The time limit was already extended once.")
        )
    if not 1 <= days <= EXTENSION_MAX_DAYS:
        raise Invalid(
            "complaint.extension_too_long",
            N_("An extension is between 1 and {limit} calendar days."),
            params={"limit": EXTENSION_MAX_DAYS},
        )
    if not reason.strip():
        raise Invalid("complaint.reason_required", N_("State the reason."))


def check_review_request(t: Timeline, today: date) -> None:
    if t.state is not State.REPLIED or t.review_request_by is None:
        raise Conflict(
            "complaint.review_not_open", N_("A review can be asked only after the reply.")
        )
    if today > t.review_request_by:
        raise Conflict(
            "complaint.review_too_late",
            N_("A review must be asked within {days} calendar days of the reply (by {date})."),
            params={"days": REVIEW_REQUEST_DAYS, "date": t.review_request_by.isoformat()},
        )


def steps_on_time(t: Timeline) -> tuple[int, int]:
    """(steps the hub finished, of those finished by their deadline): decision, answer, review."""
    done = on_time = 0
    pairs = [
        (t.decided, t.decide_by),
        (t.replied, t.answer_by),
        (t.reviewed, t.review_answer_by),
    ]
    for finished, due in pairs:
        if finished is not None and due is not None:
            done += 1
            on_time += finished <= due
    return done, on_time
