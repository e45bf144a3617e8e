"""Quality checks for an enrolment photo: one face, large enough, sharp, well exposed.

Each failed check has a reason code the clerk is shown; all failures are reported at once.
Sharpness is the variance of the Laplacian of the face region, measured after scaling the
region to a fixed size so that a large photo and a small one are judged alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from media.face.detect import FaceBox, Frame

__all__ = [
    "QualityLimits",
    "QualityReason",
    "QualityReport",
    "assess_quality",
    "laplacian_variance",
]

REGION = 128  # the face region is judged at this size


class QualityReason(StrEnum):
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    FACE_TOO_SMALL = "face_too_small"
    BLURRY = "blurry"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"


@dataclass(frozen=True)
class QualityLimits:
    min_face_px: int = 80  # the face box's shorter side
    min_sharpness: float = 25.0  # Laplacian variance of the 128×128 face region (see tests)
    min_brightness: float = 60.0  # mean grey level of the face region, 0–255
    max_brightness: float = 200.0
    max_clipped: float = 0.2  # share of face pixels at 0 or 255


@dataclass(frozen=True)
class QualityReport:
    reasons: tuple[QualityReason, ...]
    faces: int
    face_px: int | None = None
    sharpness: float | None = None
    brightness: float | None = None
    clipped: float | None = None

    @property
    def ok(self) -> bool:
        return not self.reasons


def laplacian_variance(grey: NDArray[np.float64]) -> float:
    """Variance of the 4-neighbour Laplacian of a 2-D grey image."""
    if grey.ndim != 2 or min(grey.shape) < 3:
        raise ValueError("a 2-D image of at least 3×3 pixels is needed")
    centre = grey[1:-1, 1:-1]
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * centre
    return float(lap.var())


def _face_grey(image: Frame, box: FaceBox) -> NDArray[np.float64]:
    region = Image.fromarray(image).crop((box.left, box.top, box.right, box.bottom))
    grey = region.convert("L").resize((REGION, REGION), Image.Resampling.BILINEAR)
    return np.asarray(grey, dtype=np.float64)


def assess_quality(
    image: Frame, boxes: Sequence[FaceBox], limits: QualityLimits | None = None
) -> QualityReport:
    """Judge an enrolment photo given the faces found in it."""
    limits = limits or QualityLimits()
    if not boxes:
        return QualityReport((QualityReason.NO_FACE,), 0)
    if len(boxes) > 1:
        return QualityReport((QualityReason.SEVERAL_FACES,), len(boxes))
    box = boxes[0]
    grey = _face_grey(image, box)
    face_px = min(box.width, box.height)
    sharpness = laplacian_variance(grey)
    brightness = float(grey.mean())
    clipped = float(((grey <= 2) | (grey >= 253)).mean())
    reasons: list[QualityReason] = []
    if face_px < limits.min_face_px:
        reasons.append(QualityReason.FACE_TOO_SMALL)
    if sharpness < limits.min_sharpness:
        reasons.append(QualityReason.BLURRY)
    if brightness < limits.min_brightness or (clipped > limits.max_clipped and brightness < 128):
        reasons.append(QualityReason.TOO_DARK)
    if brightness > limits.max_brightness or (clipped > limits.max_clipped and brightness >= 128):
        reasons.append(QualityReason.TOO_BRIGHT)
    return QualityReport(
        tuple(reasons), 1, face_px, round(sharpness, 2), round(brightness, 2), round(clipped, 4)
    )
