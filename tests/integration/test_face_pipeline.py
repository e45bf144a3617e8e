"""The face pipeline on real faces and the camera frames derived from them."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from PIL import ImageFilter

from media.face import (
    Action,
    FaceEngine,
    LivenessStatus,
    MatchStatus,
    QualityReason,
    analyse_enrolment,
    analyse_series,
    detect_faces,
    eye_aspect_ratio,
    head_yaw,
    landmarks_68,
)
from tests import facedata as fd

CHALLENGE = (Action.TURN_LEFT, Action.BLINK, Action.TURN_RIGHT)
THRESHOLD = 0.55


@pytest.fixture(scope="module")
def reference() -> tuple[float, ...]:
    try:
        fd.sample_faces()
    except fd.FaceDataUnavailable as exc:
        pytest.skip(str(exc))
    enrolled = analyse_enrolment(fd.jpeg(fd.passport_photo(fd.face("astronaut"))))
    assert enrolled.quality.ok and enrolled.encoding is not None
    return enrolled.encoding


def measures(image) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    arr = np.asarray(image)
    (box,) = detect_faces(arr)
    points = landmarks_68(arr, box)
    return eye_aspect_ratio(points), head_yaw(points)


def test_synthetic_blink_and_turns_move_the_landmark_measures(reference) -> None:  # type: ignore[no-untyped-def]
    base = fd.camera_frame(fd.face("astronaut"))
    ear, yaw = measures(base)
    closed_ear, _ = measures(fd.blink(base))
    _, left_yaw = measures(fd.head_turn(base, 16))
    _, right_yaw = measures(fd.head_turn(base, -16))
    assert ear > 0.25 and closed_ear < 0.5 * ear
    assert left_yaw - yaw > 0.1 and yaw - right_yaw > 0.1


def test_genuine_resident_is_accepted(reference) -> None:  # type: ignore[no-untyped-def]
    frames, times = fd.live_series(fd.face("astronaut"), CHALLENGE, seed=1, light=0.85)
    result = analyse_series(frames, times, CHALLENGE, reference, THRESHOLD)
    assert result.liveness.passed, result.liveness
    assert [s.action for s in result.liveness.steps] == list(CHALLENGE)
    assert result.match.status is MatchStatus.MATCH and result.match.distance < THRESHOLD
    assert result.faces == (1,) * len(frames)
    # the tracker spared most detections and encodings
    assert result.detections < len(frames) / 2
    assert len(result.distances) < len(frames) / 2


def test_impostor_performing_the_challenge_is_rejected(reference) -> None:  # type: ignore[no-untyped-def]
    frames, times = fd.live_series(fd.face("hanks"), CHALLENGE, seed=2)
    result = analyse_series(frames, times, CHALLENGE, reference, THRESHOLD)
    assert result.liveness.passed  # a live person, just not the enrolled one
    assert result.match.status is MatchStatus.NO_MATCH and result.match.distance > THRESHOLD


def test_still_photo_fails_liveness(reference) -> None:  # type: ignore[no-untyped-def]
    frames, times = fd.live_series(fd.face("astronaut"), CHALLENGE, seed=3, still=True)
    result = analyse_series(frames, times, CHALLENGE, reference, THRESHOLD)
    assert result.liveness.status is LivenessStatus.INCOMPLETE
    assert result.match.status is MatchStatus.MATCH  # the right face, but not alive


def test_no_face_and_two_faces(reference) -> None:  # type: ignore[no-untyped-def]
    frames, times = fd.live_series(fd.face("astronaut"), CHALLENGE, seed=4)
    empty = fd.jpeg(fd.empty_frame())
    no_face = analyse_series(
        [*frames[:5], empty, *frames[6:]], times, CHALLENGE, reference, THRESHOLD
    )
    assert no_face.liveness.status is LivenessStatus.NO_FACE and 0 in no_face.faces

    pair = fd.jpeg(fd.two_faces(fd.face("astronaut"), fd.face("t1_3")))
    two = analyse_series([*frames[:6], pair, *frames[7:]], times, CHALLENGE, reference, THRESHOLD)
    assert two.liveness.status is LivenessStatus.SEVERAL_FACES and max(two.faces) == 2


def test_different_face_mid_challenge_fails(reference) -> None:  # type: ignore[no-untyped-def]
    genuine, times = fd.live_series(fd.face("astronaut"), CHALLENGE, seed=5)
    other, _ = fd.live_series(fd.face("hanks"), CHALLENGE, seed=5)
    mixed = genuine[:8] + other[8:14] + genuine[14:]  # the blink is done by someone else
    result = analyse_series(mixed, times, CHALLENGE, reference, THRESHOLD)
    assert not (result.liveness.passed and result.match.status is MatchStatus.MATCH)
    assert result.match.status is MatchStatus.FACE_CHANGED or (
        result.liveness.status is LivenessStatus.FACE_CHANGED
    )


def test_enrolment_quality_reasons(reference) -> None:  # type: ignore[no-untyped-def]
    photo = fd.passport_photo(fd.face("astronaut"))
    # the same photo enrolled again, after other encodings ran, gives the same reference
    assert analyse_enrolment(fd.jpeg(photo)).encoding == reference
    blurred = analyse_enrolment(fd.jpeg(photo.filter(ImageFilter.GaussianBlur(2))))
    assert QualityReason.BLURRY in blurred.quality.reasons and blurred.encoding is None
    dark = analyse_enrolment(fd.jpeg(photo.point(lambda v: v * 0.2)))
    assert QualityReason.TOO_DARK in dark.quality.reasons
    group = analyse_enrolment(fd.jpeg(fd.group_photo()))
    assert group.quality.reasons == (QualityReason.SEVERAL_FACES,) and group.quality.faces == 6
    small = analyse_enrolment(fd.png(fd.tom_hanks().resize((70, 70))))
    assert small.quality.reasons == (QualityReason.NO_FACE,) or (
        QualityReason.FACE_TOO_SMALL in small.quality.reasons
    )


async def test_verification_runs_off_the_event_loop(reference) -> None:  # type: ignore[no-untyped-def]
    frames, times = fd.live_series(fd.face("astronaut"), CHALLENGE, seed=6)
    engine = FaceEngine(workers=1)
    try:
        await engine.enrolment(fd.jpeg(fd.passport_photo(fd.face("astronaut"))))  # warm
        gaps: list[float] = []

        async def ticker() -> None:
            while True:
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                gaps.append(time.perf_counter() - t)

        task = asyncio.create_task(ticker())
        began = time.perf_counter()
        result = await engine.verification(frames, times, CHALLENGE, reference, THRESHOLD)
        elapsed = time.perf_counter() - began
        task.cancel()
    finally:
        engine.close()
    assert result.liveness.passed and result.match.status is MatchStatus.MATCH
    # on the loop, the whole verification (over a second) would be one gap; off it, the
    # ticker keeps its 10 ms pace apart from scheduling noise on a busy machine
    assert elapsed > 0.5 and max(gaps) < elapsed / 4
    assert len(gaps) > 0.5 * elapsed / 0.011
