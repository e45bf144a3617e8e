from __future__ import annotations

import itertools

import pytest

from common.errors import Conflict, Invalid
from hub.applications.model import (
    STATE_LABELS,
    Deficiency,
    MaterialState,
    RatingLevel,
    State,
    TrustLevel,
    check_transition,
    find_deficiencies,
    needs_follow_up,
    pending_allowed,
)

REQUIRED = [
    {"code": "passport", "original_required": True, "essential": True},
    {"code": "power_of_attorney", "original_required": True, "essential": True},
    {"code": "purchase_contract", "original_required": True, "essential": True},
    {"code": "tax_receipt", "original_required": False, "essential": False},
]


def test_the_happy_path_is_legal() -> None:
    path = [
        State.DRAFT,
        State.SUBMITTED,
        State.CORRECTION,
        State.SUBMITTED,
        State.ACCEPTED,
        State.FORWARDED,
        State.IN_PROCESS,
        State.COMPLETED,
    ]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (State.DRAFT, State.ACCEPTED),
        (State.REJECTED, State.SUBMITTED),
        (State.COMPLETED, State.IN_PROCESS),
        (State.SUBMITTED, State.COMPLETED),
        (State.CORRECTION, State.ACCEPTED),
    ],
)
def test_illegal_transitions_are_refused_with_both_states(current: State, target: State) -> None:
    with pytest.raises(Conflict) as info:
        check_transition(current, target)
    assert info.value.code == "application.illegal_transition"
    assert info.value.params["current"] == STATE_LABELS[current]
    assert info.value.params["target"] == STATE_LABELS[target]


def test_one_notice_lists_every_deficiency_in_guide_order() -> None:
    held = {
        "passport": MaterialState("passport", TrustLevel.C),  # original required, not checked
        "purchase_contract": MaterialState(
            "purchase_contract", TrustLevel.B, "filing page missing"
        ),
        "tax_receipt": MaterialState("tax_receipt", TrustLevel.C),  # fine: no original needed
    }
    assert find_deficiencies(REQUIRED, held) == [
        Deficiency("passport", "not_checked"),
        Deficiency("power_of_attorney", "missing"),
        Deficiency("purchase_contract", "invalid", "filing page missing"),
    ]


def test_pending_materials_are_not_deficiencies() -> None:
    held = {c["code"]: MaterialState(str(c["code"]), TrustLevel.B) for c in REQUIRED[:3]}
    assert find_deficiencies(REQUIRED, held, pending=["tax_receipt"]) == []
    assert find_deficiencies(REQUIRED, held) == [Deficiency("tax_receipt", "missing")]


def test_pending_only_where_allowed_and_never_essential() -> None:
    pending_allowed({"allows_pending": True}, REQUIRED, ["tax_receipt"])
    pending_allowed({"allows_pending": False}, REQUIRED, [])
    with pytest.raises(Invalid, match="pending_not_allowed"):
        pending_allowed({"allows_pending": False}, REQUIRED, ["tax_receipt"])
    with pytest.raises(Invalid, match="essential_pending"):
        pending_allowed({"allows_pending": True}, REQUIRED, ["passport"])
    with pytest.raises(Invalid, match="unknown_material"):
        pending_allowed({"allows_pending": True}, REQUIRED, ["horoscope"])


def test_poor_ratings_open_a_follow_up() -> None:
    assert [needs_follow_up(level) for level in RatingLevel] == [True, True, False, False, False]
