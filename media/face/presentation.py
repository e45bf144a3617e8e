"""Presentation-attack detection: is the face in front of the camera a head, or a picture?

Liveness (:mod:`media.face.liveness`) reads a blink and head turns from 2-D landmarks, and a
single photo tilted in perspective, with the eyes painted shut at the right moments, performs
all of them. What a picture cannot fake is depth. When a head turns, the nose tip sits in front
of the face outline and moves further than it (parallax); every point of a flat picture,
however it is tilted or moved, moves by one plane-to-plane projective map (a homography).

So the check fits a homography from the landmarks of the frame that faces the camera to those of
each frame where the head is turned, and measures how far the real landmarks lie from the fitted
ones (root mean square, in units of the face's width). Only the points that stay rigid when
someone blinks or speaks are used: the jaw line and the nose. A flat picture leaves only the
landmark noise (under 0.008 on the synthetic tests); a head turned by the amount the liveness
check asks for leaves about twice the limit. The median over the turned frames is taken, so a
single badly placed landmark neither passes a picture nor fails a head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import median

import numpy as np
from numpy.typing import NDArray

from media.face.detect import Point

__all__ = [
    "RIGID_POINTS",
    "PresentationLimits",
    "PresentationResult",
    "PresentationStatus",
    "check_presentation",
    "planar_residual",
]

RIGID_POINTS = (*range(0, 17), *range(27, 36))  # jaw line, nose bridge and base (iBUG)

Points = NDArray[np.float64]


class PresentationStatus(StrEnum):
    DEPTH = "depth"  # the landmarks moved as a head does
    FLAT = "flat"  # they moved as a picture does
    NOT_MEASURED = "not_measured"  # no turned frame to measure on (liveness refuses that)


@dataclass(frozen=True)
class PresentationLimits:
    min_parallax: float = 0.012  # residual of the homography fit, in face widths
    turned_by: float = 0.06  # a frame whose yaw differs this much from the median is turned
    min_turned_frames: int = 2


@dataclass(frozen=True)
class PresentationResult:
    status: PresentationStatus
    parallax: float | None  # median residual over the turned frames
    turned_frames: int
    min_parallax: float

    @property
    def flat(self) -> bool:
        return self.status is PresentationStatus.FLAT


def _normaliser(points: Points) -> Points:
    """Hartley's normalisation: centroid at the origin, mean distance √2."""
    centre = points.mean(axis=0)
    spread = float(np.mean(np.linalg.norm(points - centre, axis=1))) or 1.0
    s = np.sqrt(2) / spread
    return np.array([[s, 0, -s * centre[0]], [0, s, -s * centre[1]], [0, 0, 1]])


def _homogeneous(points: Points) -> Points:
    return np.column_stack([points, np.ones(len(points))])


def _homography(a: Points, b: Points) -> Points:
    """The least-squares homography taking ``a`` to ``b`` (normalised direct linear transform)."""
    ta, tb = _normaliser(a), _normaliser(b)
    na, nb = (ta @ _homogeneous(a).T).T, (tb @ _homogeneous(b).T).T
    rows = []
    for (x, y, _), (u, v, _) in zip(na, nb, strict=True):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    _, _, vt = np.linalg.svd(np.asarray(rows))
    return np.asarray(np.linalg.inv(tb) @ vt[-1].reshape(3, 3) @ ta)


def planar_residual(a: Sequence[Point], b: Sequence[Point]) -> float:
    """How far ``b``'s rigid landmarks are from the best homography image of ``a``'s, as the
    root mean square distance over the face's width (jaw end to jaw end in ``a``)."""
    if len(a) != 68 or len(b) != 68:
        raise ValueError("the presentation check needs the 68 landmark points")
    pa = np.asarray(a, dtype=np.float64)[list(RIGID_POINTS)]
    pb = np.asarray(b, dtype=np.float64)[list(RIGID_POINTS)]
    mapped = (_homography(pa, pb) @ _homogeneous(pa).T).T
    with np.errstate(divide="ignore", invalid="ignore"):
        projected = mapped[:, :2] / mapped[:, 2:]
    if not np.all(np.isfinite(projected)):
        return 1.0  # degenerate fit: certainly not one picture's motion
    width = float(np.linalg.norm(pa[0] - pa[16])) or 1.0
    return float(np.sqrt(np.mean(np.sum((projected - pb) ** 2, axis=1))) / width)


def check_presentation(
    landmarks: Sequence[Sequence[Point]], yaws: Sequence[float], limits: PresentationLimits
) -> PresentationResult:
    """Did the face's landmarks move with depth across the head turns of the series?"""
    if not landmarks or len(landmarks) != len(yaws):
        return PresentationResult(PresentationStatus.NOT_MEASURED, None, 0, limits.min_parallax)
    base = median(yaws)
    reference = min(range(len(yaws)), key=lambda i: abs(yaws[i] - base))
    turned = [i for i, y in enumerate(yaws) if abs(y - base) >= limits.turned_by]
    if len(turned) < limits.min_turned_frames:
        return PresentationResult(
            PresentationStatus.NOT_MEASURED, None, len(turned), limits.min_parallax
        )
    parallax = median(planar_residual(landmarks[reference], landmarks[i]) for i in turned)
    status = PresentationStatus.FLAT if parallax < limits.min_parallax else PresentationStatus.DEPTH
    return PresentationResult(status, round(parallax, 5), len(turned), limits.min_parallax)
