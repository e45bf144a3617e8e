"""Replays recognised by what the frames show, not by their bytes.

Re-encoding a JPEG or adding a comment segment changes every byte and none of the picture. Each
decoded frame therefore gets a perceptual print: the signs of the low-frequency coefficients of
the discrete cosine transform of a 64×64 grey copy, above or below their median. A coarse print
(8×8 coefficients, 64 bits) is short enough to look up in an index; a fine one (16×16, 256 bits)
tells a replayed frame (a handful of bits differ) from a new frame of the same person at the same
kiosk (tens of bits).

One new frame resembling an old one proves nothing: someone who sits still looks the same twice.
A replay brings back a whole attempt, so the score compares series: for each new frame, the
fewest bits in which it differs from any frame of one earlier attempt, averaged over the new
frames. Re-encoded replays score about 0.5, new attempts of the same face 8 and more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image

__all__ = ["REPLAY_LIMIT", "FramePrint", "frame_print", "replay_score"]

REPLAY_LIMIT = 3.0  # mean differing bits of the fine print at or under which a series is replayed
SIDE = 64


@dataclass(frozen=True)
class FramePrint:
    coarse: str  # 16 hex digits
    fine: str  # 64 hex digits


@cache
def _dct_matrix(n: int) -> NDArray[np.float64]:
    k = np.arange(n)[:, None]
    return np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * k / (2 * n))


def _bits(coefficients: NDArray[np.float64], size: int) -> str:
    values = coefficients[:size, :size].ravel()[1:]  # without the mean brightness
    bits = np.append(values > np.median(values), False)
    return bytes(np.packbits(bits)).hex()


def frame_print(frame: NDArray[np.uint8]) -> FramePrint:
    """The perceptual print of a decoded RGB frame."""
    grey = Image.fromarray(frame).convert("L").resize((SIDE, SIDE), Image.Resampling.LANCZOS)
    c = _dct_matrix(SIDE)
    coefficients = c @ np.asarray(grey, dtype=np.float64) @ c.T
    return FramePrint(_bits(coefficients, 8), _bits(coefficients, 16))


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def replay_score(new: Sequence[str], old: Sequence[str]) -> float:
    """Mean, over the new fine prints, of the bits each differs from the closest old print."""
    if not new or not old:
        return float("inf")
    return sum(min(_distance(n, o) for o in old) for n in new) / len(new)
