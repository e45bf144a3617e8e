"""Liveness as a pure function over a series of landmark observations.

The server asks for three actions in a random order: blink, turn left, turn right. Each is read
from the 68 landmark points (iBUG order) of one face:

* **eye aspect ratio** (EAR): the eye's height over its width, mean of both eyes; it drops when
  the eyes close. A blink is a run of frames whose EAR is below ``blink_ratio`` × the series'
  median EAR, followed by a frame with the eyes open again.
* **yaw**: where the nose tip sits between the two ends of the jaw line, from -1 to 1
  (0 = facing the camera). Positive means the resident turned to *their* left (the nose moves
  to the right of an unmirrored camera image). A turn is a run of frames whose yaw differs from
  the series' median by at least ``yaw_delta``.

The actions must appear in the order asked; a head turn not yet asked for fails the attempt
(a recording of someone turning does not fit a fresh random order), while extra blinks are
tolerated (people blink), and so is repeating an action already done. Exactly one face must be
seen in every frame, and it must stay the same face (the tracker's ``track_id``); everything must
happen within ``time_limit_ms``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from statistics import median

from media.face.detect import Point

__all__ = [
    "Action",
    "LivenessLimits",
    "LivenessResult",
    "LivenessStatus",
    "Observation",
    "Step",
    "check_liveness",
    "eye_aspect_ratio",
    "head_yaw",
    "issue_challenge",
]


class Action(StrEnum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


class LivenessStatus(StrEnum):
    PASSED = "passed"
    TOO_FEW_FRAMES = "too_few_frames"
    BAD_TIMING = "bad_timing"
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    FACE_CHANGED = "face_changed"
    TOO_SLOW = "too_slow"
    WRONG_ORDER = "wrong_order"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class LivenessLimits:
    time_limit_ms: int = 20_000
    min_frames: int = 6
    blink_ratio: float = 0.7
    reopen_ratio: float = 0.85
    yaw_delta: float = 0.06


@dataclass(frozen=True)
class Observation:
    """One frame as the tracker saw it: ``t_ms`` since the series began."""

    t_ms: int
    faces: int
    landmarks: tuple[Point, ...] | None
    track_id: int = 1


@dataclass(frozen=True)
class Step:
    action: Action
    frame: int  # the frame where the action peaked
    t_ms: int
    measure: float  # EAR for a blink, yaw for a turn


@dataclass(frozen=True)
class LivenessResult:
    status: LivenessStatus
    steps: tuple[Step, ...] = ()
    missing: Action | None = None
    baseline_ear: float | None = None
    baseline_yaw: float | None = None

    @property
    def passed(self) -> bool:
        return self.status is LivenessStatus.PASSED


def issue_challenge(rng: random.Random) -> tuple[Action, ...]:
    """All three actions in an order drawn from ``rng``."""
    actions = list(Action)
    rng.shuffle(actions)
    return tuple(actions)


def _dist(a: Point, b: Point) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)


def _eye_ratio(eye: Sequence[Point]) -> float:
    width = _dist(eye[0], eye[3])
    return (_dist(eye[1], eye[5]) + _dist(eye[2], eye[4])) / (2 * width) if width else 0.0


def eye_aspect_ratio(points: Sequence[Point]) -> float:
    """Mean eye aspect ratio of both eyes (points 36–41 and 42–47)."""
    if len(points) != 68:
        raise ValueError("eye aspect ratio needs the 68 landmark points")
    return (_eye_ratio(points[36:42]) + _eye_ratio(points[42:48])) / 2


def head_yaw(points: Sequence[Point]) -> float:
    """Yaw proxy in [-1, 1] from the nose tip (30) between the jaw ends (0 and 16)."""
    if len(points) != 68:
        raise ValueError("head yaw needs the 68 landmark points")
    left = points[30][0] - points[0][0]
    right = points[16][0] - points[30][0]
    total = left + right
    return max(-1.0, min(1.0, (left - right) / total)) if total > 0 else 0.0


def _face_problem(frames: Sequence[Observation], limits: LivenessLimits) -> LivenessStatus | None:
    if len(frames) < limits.min_frames:
        return LivenessStatus.TOO_FEW_FRAMES
    times = [f.t_ms for f in frames]
    if times[0] < 0 or any(b < a for a, b in pairwise(times)):
        return LivenessStatus.BAD_TIMING
    if any(f.faces > 1 for f in frames):
        return LivenessStatus.SEVERAL_FACES
    if any(f.faces == 0 or f.landmarks is None for f in frames):
        return LivenessStatus.NO_FACE
    if len({f.track_id for f in frames}) > 1:
        return LivenessStatus.FACE_CHANGED
    if times[-1] - times[0] > limits.time_limit_ms:
        return LivenessStatus.TOO_SLOW
    return None


def _episodes(
    values: Sequence[float], hit: Sequence[bool], action: Action, peak_low: bool
) -> list[tuple[int, int, Action]]:
    """Runs of consecutive hits as (start, peak frame, action)."""
    runs: list[tuple[int, int, Action]] = []
    i = 0
    while i < len(hit):
        if not hit[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(hit) and hit[j + 1]:
            j += 1
        run = range(i, j + 1)
        peak = min(run, key=values.__getitem__) if peak_low else max(run, key=values.__getitem__)
        runs.append((i, peak, action))
        i = j + 1
    return runs


def _all_episodes(
    ears: Sequence[float], yaws: Sequence[float], limits: LivenessLimits
) -> list[tuple[int, int, Action]]:
    base_ear, base_yaw = median(ears), median(yaws)
    closed = [e <= limits.blink_ratio * base_ear for e in ears]
    blinks = [
        ep
        for ep in _episodes(ears, closed, Action.BLINK, peak_low=True)
        if any(e >= limits.reopen_ratio * base_ear for e in ears[ep[1] + 1 :])
    ]
    turned = [y - base_yaw for y in yaws]
    left = _episodes(yaws, [d >= limits.yaw_delta for d in turned], Action.TURN_LEFT, False)
    right = _episodes(yaws, [-d >= limits.yaw_delta for d in turned], Action.TURN_RIGHT, True)
    return sorted(blinks + left + right)


def check_liveness(
    challenge: Sequence[Action], frames: Sequence[Observation], limits: LivenessLimits
) -> LivenessResult:
    """Did one face perform ``challenge`` in order, within the time limit?"""
    problem = _face_problem(frames, limits)
    if problem is not None:
        return LivenessResult(problem)
    points = [f.landmarks for f in frames if f.landmarks is not None]
    ears = [eye_aspect_ratio(p) for p in points]
    yaws = [head_yaw(p) for p in points]
    base_ear, base_yaw = median(ears), median(yaws)
    steps: list[Step] = []
    wanted = list(challenge)
    for _start, peak, action in _all_episodes(ears, yaws, limits):
        if not wanted:
            break
        if action is wanted[0]:
            measure = ears[peak] if action is Action.BLINK else yaws[peak]
            steps.append(Step(action, peak, frames[peak].t_ms, round(measure, 4)))
            wanted.pop(0)
        elif action is not Action.BLINK and action in wanted:
            return LivenessResult(
                LivenessStatus.WRONG_ORDER, tuple(steps), wanted[0], base_ear, base_yaw
            )
    status = LivenessStatus.PASSED if not wanted else LivenessStatus.INCOMPLETE
    missing = wanted[0] if wanted else None
    return LivenessResult(status, tuple(steps), missing, round(base_ear, 4), round(base_yaw, 4))
