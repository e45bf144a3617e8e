"""The CPU-heavy work, as plain functions of bytes and numbers (they run in worker processes).

A verification series is processed like this: the tracker follows the face through every frame
(detection on a downscaled frame every few frames, landmarks on the tracked box in between);
liveness is judged on the landmarks; encodings — the most expensive step — are computed only on
the frames the decision rests on: the first and last, each frame where an action peaked, each
frame where the tracker found a face anew, and every ``identity_every``-th frame as a spot check
that the face stays the same between actions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from media.face.decision import MatchResult, MatchStatus, match_decision
from media.face.detect import FaceTracker, Frame, TrackedFrame, TrackerConfig, detect_faces
from media.face.encode import Encoding, encode_face, face_distance
from media.face.fingerprint import FramePrint, frame_print
from media.face.images import ImageError, decode_image
from media.face.liveness import (
    Action,
    LivenessLimits,
    LivenessResult,
    LivenessStatus,
    Observation,
    check_liveness,
    head_yaw,
)
from media.face.presentation import PresentationLimits, PresentationResult, check_presentation
from media.face.quality import QualityLimits, QualityReport, assess_quality

__all__ = [
    "EnrolmentAnalysis",
    "ImageError",
    "PipelineConfig",
    "SeriesAnalysis",
    "analyse_enrolment",
    "analyse_images",
    "analyse_series",
    "decode_image",
    "frames_to_encode",
]


# liveness outcomes after which the distance is still worth recording as evidence
ENCODE_WHEN = frozenset(
    {
        LivenessStatus.PASSED,
        LivenessStatus.INCOMPLETE,
        LivenessStatus.WRONG_ORDER,
        LivenessStatus.TOO_SLOW,
    }
)


@dataclass(frozen=True)
class PipelineConfig:
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    liveness: LivenessLimits = field(default_factory=LivenessLimits)
    presentation: PresentationLimits = field(default_factory=PresentationLimits)
    quality: QualityLimits = field(default_factory=QualityLimits)
    identity_every: int = 6
    # measured on the public photos (tests/faceset.py): a reference averaged over 5 jitters and
    # aligned on 68 points cut genuine distances most, at 0.4 s more per enrolment (dlib's
    # jitters mirror the crop at random, so the reference is not mirrored once more)
    reference_jitters: int = 5
    max_side: int = 1024  # larger photos are scaled down to this longer side


@dataclass(frozen=True)
class EnrolmentAnalysis:
    quality: QualityReport
    encoding: Encoding | None  # only when the quality checks pass


def analyse_enrolment(photo: bytes, config: PipelineConfig | None = None) -> EnrolmentAnalysis:
    """Reference photo → quality report and, if it passes, the face's encoding."""
    config = config or PipelineConfig()
    image = decode_image(photo, config.max_side)
    boxes = detect_faces(image, scale=1.0, upsample=0)
    if not boxes:  # faces under about 80 px are found only on an upsampled copy
        boxes = detect_faces(image, scale=1.0, upsample=1)
    report = assess_quality(image, boxes, config.quality)
    encoding = (
        encode_face(image, boxes[0], jitters=config.reference_jitters, mirrored=False)
        if report.ok
        else None
    )
    return EnrolmentAnalysis(report, encoding)


@dataclass(frozen=True)
class SeriesAnalysis:
    liveness: LivenessResult
    match: MatchResult
    distances: dict[int, float]
    faces: tuple[int, ...]  # faces seen per frame
    detections: int  # frames that ran the detector
    processing_ms: int
    presentation: PresentationResult | None = None  # None when a frame had no single face
    prints: tuple[FramePrint, ...] = ()  # perceptual prints of the decoded frames


def frames_to_encode(
    tracked: Sequence[TrackedFrame], liveness: LivenessResult, identity_every: int
) -> list[int]:
    """The frames whose encodings the decision needs (each with exactly one face)."""
    wanted = {0, len(tracked) - 1}
    wanted |= {step.frame for step in liveness.steps}
    wanted |= set(range(0, len(tracked), max(identity_every, 1)))
    previous = None
    for i, frame in enumerate(tracked):
        if frame.track_id != previous:
            wanted.add(i)
            previous = frame.track_id
    return sorted(i for i in wanted if tracked[i].faces == 1 and tracked[i].box is not None)


def analyse_series(
    frames: Sequence[bytes],
    times_ms: Sequence[int],
    challenge: Sequence[Action],
    reference: Encoding,
    threshold: float,
    config: PipelineConfig | None = None,
) -> SeriesAnalysis:
    """Liveness and identity of a short series of camera frames against one template."""
    config = config or PipelineConfig()
    started = time.perf_counter()
    images = [decode_image(data, config.max_side) for data in frames]
    return analyse_images(images, times_ms, challenge, reference, threshold, config, started)


def analyse_images(
    images: Sequence[Frame],
    times_ms: Sequence[int],
    challenge: Sequence[Action],
    reference: Encoding,
    threshold: float,
    config: PipelineConfig,
    started: float | None = None,
) -> SeriesAnalysis:
    started = time.perf_counter() if started is None else started
    tracker = FaceTracker(config.tracker)
    tracked = [tracker.step(image) for image in images]
    observations = [
        Observation(t, f.faces, f.landmarks, f.track_id)
        for t, f in zip(times_ms, tracked, strict=True)
    ]
    liveness = check_liveness(challenge, observations, config.liveness)
    presentation = _presentation(tracked, config.presentation)
    distances: dict[int, float] = {}
    if liveness.status in ENCODE_WHEN:
        for i in frames_to_encode(tracked, liveness, config.identity_every):
            box = tracked[i].box
            assert box is not None
            distances[i] = round(face_distance(encode_face(images[i], box), reference), 6)
    match = match_decision(distances, threshold)
    if liveness.status is LivenessStatus.FACE_CHANGED and match.status is MatchStatus.MATCH:
        match = MatchResult(MatchStatus.FACE_CHANGED, match.distance)
    return SeriesAnalysis(
        liveness,
        match,
        distances,
        tuple(f.faces for f in tracked),
        sum(f.detected for f in tracked),
        round((time.perf_counter() - started) * 1000),
        presentation,
        tuple(frame_print(image) for image in images),
    )


def _presentation(
    tracked: Sequence[TrackedFrame], limits: PresentationLimits
) -> PresentationResult | None:
    points = [f.landmarks for f in tracked]
    if not points or any(p is None for p in points):
        return None
    landmarks = [p for p in points if p is not None]
    return check_presentation(landmarks, [head_yaw(p) for p in landmarks], limits)
