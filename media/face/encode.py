"""128-dimensional face encodings (dlib's ResNet) and the distance between two of them."""

from __future__ import annotations

from collections.abc import Sequence

import face_recognition
import numpy as np
from numpy.typing import NDArray

from media.face.detect import FaceBox, Frame

__all__ = ["ENCODING_MODEL", "Encoding", "encode_face", "face_distance"]

ENCODING_MODEL = "dlib_face_recognition_resnet_model_v1"
Encoding = tuple[float, ...]


def encode_face(frame: Frame, box: FaceBox, *, jitters: int = 1, aligned_on: int = 68) -> Encoding:
    """The encoding of the face in ``box`` (about 100 ms per jitter), aligned on the 68 or the
    5 landmark points; with ``jitters`` > 1 the mean of that many slightly moved crops (steadier:
    used for the enrolled reference, where the time is spent once)."""
    model = "large" if aligned_on == 68 else "small"
    found = face_recognition.face_encodings(frame, [box.css], num_jitters=jitters, model=model)
    return tuple(float(v) for v in found[0])


def face_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Euclidean distance between two encodings: 0 is identical, dlib's own cut-off is 0.6."""
    va: NDArray[np.float64] = np.asarray(a, dtype=np.float64)
    vb: NDArray[np.float64] = np.asarray(b, dtype=np.float64)
    if va.shape != (128,) or vb.shape != (128,):
        raise ValueError("encodings have 128 components")
    return float(np.linalg.norm(va - vb))
