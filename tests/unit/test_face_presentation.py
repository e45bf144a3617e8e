"""Presentation attacks and content replays on numbers alone: no face model runs here."""

from __future__ import annotations

import numpy as np

from media.face import (
    PresentationLimits,
    PresentationStatus,
    check_presentation,
    frame_print,
    planar_residual,
    replay_score,
)

rng = np.random.default_rng(7)
FACE = rng.uniform(200, 400, (68, 2))  # any 68 points: what matters is how they move
FACE[0], FACE[16] = (200, 300), (400, 300)  # the jaw ends set the face's width (200 px)
DEPTH = rng.uniform(-60, 40, 68)


def homography(points: np.ndarray, h: np.ndarray) -> list[tuple[float, float]]:
    mapped = np.c_[points, np.ones(len(points))] @ h.T
    return [tuple(p) for p in mapped[:, :2] / mapped[:, 2:]]


def turned(degrees: float) -> list[tuple[float, float]]:
    phi = np.radians(degrees)
    x = 300 + (FACE[:, 0] - 300) * np.cos(phi) + DEPTH * np.sin(phi)
    return list(zip(x.tolist(), FACE[:, 1].tolist(), strict=True))


def test_a_tilted_picture_fits_one_homography_and_a_turned_head_does_not() -> None:
    tilt = np.array([[0.9, 0.05, 20], [-0.03, 1.0, 5], [4e-4, 1e-4, 1]])
    assert planar_residual([tuple(p) for p in FACE], homography(FACE, tilt)) < 1e-6
    assert planar_residual([tuple(p) for p in FACE], turned(15)) > 0.02


def test_the_check_needs_turned_frames_and_takes_their_median() -> None:
    limits = PresentationLimits()
    front = [tuple(p) for p in FACE]
    still = check_presentation([front] * 6, [0.0] * 6, limits)
    assert still.status is PresentationStatus.NOT_MEASURED and still.parallax is None
    flat = [homography(FACE, np.array([[1, 0, d], [0, 1, 0], [2e-4 * d, 0, 1]])) for d in range(6)]
    yaws = [0.0, 0.0, 0.2, 0.3, 0.0, -0.2]
    assert check_presentation([front, *flat[1:]], yaws, limits).status is PresentationStatus.FLAT
    heads = [front, front, turned(10), turned(15), front, turned(-10)]
    result = check_presentation(heads, yaws, limits)
    assert result.status is PresentationStatus.DEPTH and result.turned_frames == 3
    assert result.parallax is not None and result.parallax > limits.min_parallax


def test_prints_see_through_re_encoding_but_not_a_different_picture() -> None:
    import io

    from PIL import Image

    picture = (rng.uniform(0, 1, (48, 64, 3)) * 255).astype(np.uint8)
    picture = np.asarray(Image.fromarray(picture).resize((640, 480), Image.Resampling.BICUBIC))
    out = io.BytesIO()
    Image.fromarray(picture).save(out, format="JPEG", quality=60)
    again = np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))
    other = np.ascontiguousarray(picture[::-1])
    a, b, c = frame_print(picture), frame_print(again), frame_print(other)
    assert len(a.coarse) == 16 and len(a.fine) == 64
    assert replay_score([b.fine], [a.fine]) <= 3
    assert replay_score([c.fine], [a.fine]) > 40
    assert replay_score([], [a.fine]) == float("inf")
