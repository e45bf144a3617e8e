"""Liveness over synthetic landmark sequences: blink, turns, order, faces, time."""

from __future__ import annotations

import random

import pytest

from media.face.liveness import (
    Action,
    LivenessLimits,
    LivenessStatus,
    Observation,
    check_liveness,
    eye_aspect_ratio,
    head_yaw,
    issue_challenge,
)

LIMITS = LivenessLimits(time_limit_ms=10_000)


def face_points(openness: float = 0.3, yaw: float = 0.0) -> tuple[tuple[float, float], ...]:
    """68 points of a schematic face: jaw 0–16, nose tip 30, eyes 36–47 with given EAR."""
    pts = [(0.0, 0.0)] * 68
    for i in range(17):
        pts[i] = (100.0 + 12.5 * i, 200.0 + abs(i - 8) * -5)
    pts[30] = (200.0 + yaw * 100.0, 180.0)
    for start, cx in ((36, 160.0), (42, 240.0)):
        h = openness * 30.0  # eye width 30 → EAR == openness
        pts[start + 0] = (cx - 15, 150.0)
        pts[start + 1] = (cx - 5, 150.0 - h / 2)
        pts[start + 2] = (cx + 5, 150.0 - h / 2)
        pts[start + 3] = (cx + 15, 150.0)
        pts[start + 4] = (cx + 5, 150.0 + h / 2)
        pts[start + 5] = (cx - 5, 150.0 + h / 2)
    return tuple(pts)


POSE = {
    Action.BLINK: [face_points(0.3), face_points(0.05), face_points(0.06), face_points(0.3)],
    Action.TURN_LEFT: [face_points(yaw=0.15), face_points(yaw=0.3), face_points()],
    Action.TURN_RIGHT: [face_points(yaw=-0.15), face_points(yaw=-0.3), face_points()],
}


def series(actions, *, step_ms: int = 125, faces: int = 1, lead: int = 3):  # type: ignore[no-untyped-def]
    points = [face_points()] * lead + [p for a in actions for p in POSE[a]] + [face_points()] * 2
    return [Observation(i * step_ms, faces, p) for i, p in enumerate(points)]


def test_measures_on_schematic_face() -> None:
    assert eye_aspect_ratio(face_points(0.3)) == pytest.approx(0.3)
    assert eye_aspect_ratio(face_points(0.05)) == pytest.approx(0.05)
    assert head_yaw(face_points()) == pytest.approx(0.0)
    assert head_yaw(face_points(yaw=0.3)) == pytest.approx(0.3)
    assert head_yaw(face_points(yaw=-0.3)) == pytest.approx(-0.3)
    with pytest.raises(ValueError):
        eye_aspect_ratio(face_points()[:5])


def test_challenge_order_comes_from_the_rng() -> None:
    orders = {issue_challenge(random.Random(seed)) for seed in range(40)}
    assert len(orders) == 6  # every permutation of the three actions turns up
    assert all(sorted(o) == sorted(Action) for o in orders)
    assert issue_challenge(random.Random(7)) == issue_challenge(random.Random(7))


@pytest.mark.parametrize("seed", range(6))
def test_performed_challenge_passes_in_any_order(seed: int) -> None:
    challenge = issue_challenge(random.Random(seed))
    result = check_liveness(challenge, series(challenge), LIMITS)
    assert result.status is LivenessStatus.PASSED, result
    assert [s.action for s in result.steps] == list(challenge)
    frames = [s.frame for s in result.steps]
    assert frames == sorted(frames)
    blink = next(s for s in result.steps if s.action is Action.BLINK)
    assert blink.measure == pytest.approx(0.05)


def test_still_face_fails_as_incomplete() -> None:
    challenge = (Action.BLINK, Action.TURN_LEFT, Action.TURN_RIGHT)
    still = [Observation(i * 125, 1, face_points()) for i in range(20)]
    result = check_liveness(challenge, still, LIMITS)
    assert result.status is LivenessStatus.INCOMPLETE
    assert result.missing is Action.BLINK and not result.passed


def test_missing_last_action_is_incomplete() -> None:
    challenge = (Action.TURN_RIGHT, Action.BLINK, Action.TURN_LEFT)
    result = check_liveness(challenge, series(challenge[:2]), LIMITS)
    assert result.status is LivenessStatus.INCOMPLETE
    assert result.missing is Action.TURN_LEFT


def test_turn_not_yet_asked_for_fails_but_extra_blinks_do_not() -> None:
    challenge = (Action.TURN_LEFT, Action.BLINK, Action.TURN_RIGHT)
    swapped = (Action.TURN_RIGHT, Action.BLINK, Action.TURN_LEFT)
    assert check_liveness(challenge, series(swapped), LIMITS).status is LivenessStatus.WRONG_ORDER
    extra = (Action.BLINK, Action.TURN_LEFT, Action.BLINK, Action.TURN_RIGHT)
    assert check_liveness(challenge, series(extra), LIMITS).passed


def test_eyes_that_never_reopen_are_no_blink() -> None:
    challenge = (Action.TURN_LEFT, Action.TURN_RIGHT, Action.BLINK)
    frames = series(challenge[:2])
    t = frames[-1].t_ms
    frames += [Observation(t + 125 * (i + 1), 1, face_points(0.05)) for i in range(3)]
    assert check_liveness(challenge, frames, LIMITS).status is LivenessStatus.INCOMPLETE


def test_exactly_one_face_throughout() -> None:
    challenge = (Action.BLINK, Action.TURN_LEFT, Action.TURN_RIGHT)
    frames = series(challenge)
    two = list(frames)
    two[5] = Observation(two[5].t_ms, 2, None)
    assert check_liveness(challenge, two, LIMITS).status is LivenessStatus.SEVERAL_FACES
    none = list(frames)
    none[8] = Observation(none[8].t_ms, 0, None)
    assert check_liveness(challenge, none, LIMITS).status is LivenessStatus.NO_FACE


def test_a_different_face_mid_challenge_fails() -> None:
    challenge = (Action.BLINK, Action.TURN_LEFT, Action.TURN_RIGHT)
    frames = [
        Observation(o.t_ms, o.faces, o.landmarks, 1 if i < 7 else 2)
        for i, o in enumerate(series(challenge))
    ]
    assert check_liveness(challenge, frames, LIMITS).status is LivenessStatus.FACE_CHANGED


def test_time_limit_and_timing() -> None:
    challenge = (Action.BLINK, Action.TURN_LEFT, Action.TURN_RIGHT)
    slow = series(challenge, step_ms=1000)  # 18 frames over 17 s
    assert check_liveness(challenge, slow, LIMITS).status is LivenessStatus.TOO_SLOW
    frames = series(challenge)
    frames[4] = Observation(0, 1, frames[4].landmarks)
    assert check_liveness(challenge, frames, LIMITS).status is LivenessStatus.BAD_TIMING
    assert check_liveness(challenge, frames[:4], LIMITS).status is LivenessStatus.TOO_FEW_FRAMES
