"""Enrolment quality on synthetic images with given face boxes (no model involved)."""

from __future__ import annotations

import numpy as np
import pytest

from media.face.detect import FaceBox
from media.face.quality import QualityReason, assess_quality, laplacian_variance

BOX = FaceBox(top=40, right=200, bottom=200, left=40)


def textured(level: float = 128.0, contrast: float = 40.0) -> np.ndarray:
    rng = np.random.default_rng(1)
    grey = np.clip(level + rng.normal(0, contrast, (240, 240)), 0, 255)
    return np.repeat(grey[:, :, None], 3, axis=2).astype(np.uint8)


def test_laplacian_variance() -> None:
    assert laplacian_variance(np.full((10, 10), 7.0)) == 0.0
    stripes = np.tile([0.0, 255.0], (10, 5))
    assert laplacian_variance(stripes) > 10_000
    with pytest.raises(ValueError):
        laplacian_variance(np.zeros((2, 2)))


def test_good_photo_passes() -> None:
    report = assess_quality(textured(), [BOX])
    assert report.ok and report.face_px == 160


@pytest.mark.parametrize(
    ("image", "boxes", "reason"),
    [
        (textured(), [], QualityReason.NO_FACE),
        (textured(), [BOX, FaceBox(0, 50, 50, 0)], QualityReason.SEVERAL_FACES),
        (textured(), [FaceBox(0, 60, 60, 0)], QualityReason.FACE_TOO_SMALL),
        (np.full((240, 240, 3), 128, np.uint8), [BOX], QualityReason.BLURRY),
        (textured(level=30, contrast=10), [BOX], QualityReason.TOO_DARK),
        (textured(level=235, contrast=10), [BOX], QualityReason.TOO_BRIGHT),
    ],
)
def test_each_failure_has_its_reason(image: np.ndarray, boxes: list[FaceBox], reason) -> None:  # type: ignore[no-untyped-def]
    report = assess_quality(image, boxes)
    assert not report.ok and reason in report.reasons


def test_all_failures_are_reported_at_once() -> None:
    dark_flat_small = np.full((240, 240, 3), 20, np.uint8)
    reasons = set(assess_quality(dark_flat_small, [FaceBox(0, 60, 60, 0)]).reasons)
    assert reasons == {
        QualityReason.FACE_TOO_SMALL,
        QualityReason.BLURRY,
        QualityReason.TOO_DARK,
    }
