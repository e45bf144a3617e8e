"""The application (办件) lifecycle as pure rules: states, transitions, deficiencies, ratings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from common.errors import N_, Conflict, Invalid

__all__ = [
    "STATE_LABELS",
    "Deficiency",
    "MaterialState",
    "RatingLevel",
    "State",
    "TrustLevel",
    "check_transition",
    "find_deficiencies",
    "needs_follow_up",
    "pending_allowed",
]


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"  # 受理
    REJECTED = "rejected"  # 不予受理
    CORRECTION = "correction"  # 补正: returned with one deficiency notice
    FORWARDED = "forwarded"  # passed to the provincial platform
    IN_PROCESS = "in_process"
    COMPLETED = "completed"  # 办结


STATE_LABELS: Mapping[State, str] = {
    State.DRAFT: N_("draft"),
    State.SUBMITTED: N_("submitted"),
    State.ACCEPTED: N_("accepted"),
    State.REJECTED: N_("rejected"),
    State.CORRECTION: N_("returned for correction"),
    State.FORWARDED: N_("forwarded"),
    State.IN_PROCESS: N_("in process"),
    State.COMPLETED: N_("completed"),
}

TRANSITIONS: Mapping[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.SUBMITTED}),
    State.SUBMITTED: frozenset({State.ACCEPTED, State.REJECTED, State.CORRECTION}),
    State.CORRECTION: frozenset({State.SUBMITTED, State.REJECTED}),
    State.ACCEPTED: frozenset({State.FORWARDED, State.IN_PROCESS}),
    State.FORWARDED: frozenset({State.IN_PROCESS, State.COMPLETED}),
    State.IN_PROCESS: frozenset({State.COMPLETED}),
    State.REJECTED: frozenset(),
    State.COMPLETED: frozenset(),
}


def check_transition(current: State, target: State) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(
            "application.illegal_transition",
            N_("An application that is {current} cannot become {target}."),
            params={"current": STATE_LABELS[current], "target": STATE_LABELS[target]},
        )


class TrustLevel(StrEnum):
    B = "B"  # a scan the clerk checked against the original
    C = "C"  # uploaded, not checked


@dataclass(frozen=True)
class MaterialState:
    """What the application holds for one required material."""

    code: str
    trust: TrustLevel | None  # None: nothing uploaded
    invalid_reason: str | None = None  # set by the reviewing officer


@dataclass(frozen=True)
class Deficiency:
    material: str
    problem: str  # missing | not_checked | invalid
    detail: str = ""


def find_deficiencies(
    required: Iterable[Mapping[str, object]],
    held: Mapping[str, MaterialState],
    *,
    pending: Iterable[str] = (),
) -> list[Deficiency]:
    """Every missing or invalid material at once, in the guide's order (一次性告知).

    ``pending`` materials are left out: they were accepted as still to come (容缺).
    """
    waived = set(pending)
    found: list[Deficiency] = []
    for material in required:
        code = str(material["code"])
        state = held.get(code)
        if code in waived:
            continue
        if state is None or state.trust is None:
            found.append(Deficiency(code, "missing"))
        elif state.invalid_reason:
            found.append(Deficiency(code, "invalid", state.invalid_reason))
        elif material.get("original_required") and state.trust is not TrustLevel.B:
            found.append(Deficiency(code, "not_checked"))
    return found


def pending_allowed(
    guide: Mapping[str, object], required: Iterable[Mapping[str, object]], pending: Iterable[str]
) -> None:
    """Acceptance with materials still to come: only where the guide allows it, never essential."""
    wanted = set(pending)
    if not wanted:
        return
    if not guide.get("allows_pending"):
        raise Invalid(
            "application.pending_not_allowed",
            N_("This service cannot be accepted with materials still to come."),
        )
    by_code = {str(m["code"]): m for m in required}
    unknown = sorted(wanted - set(by_code))
    if unknown:
        raise Invalid(
            "application.unknown_material",
            N_("Unknown material: {codes}."),
            params={"codes": ", ".join(unknown)},
        )
    essential = sorted(c for c in wanted if by_code[c].get("essential"))
    if essential:
        raise Invalid(
            "application.essential_pending",
            N_("Essential materials cannot be left pending: {codes}."),
            params={"codes": ", ".join(essential)},
        )


class RatingLevel(IntEnum):
    """The national five-level scale of 好差评."""

    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    BASICALLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5


def needs_follow_up(level: RatingLevel) -> bool:
    """A poor rating (差评) opens a follow-up task for the office."""
    return level <= RatingLevel.DISSATISFIED
