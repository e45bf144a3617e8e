"""128-dimensional face encodings (dlib's ResNet) and the distance between two of them.

A camera frame's encoding is the mean of the face's and its mirror image's (each aligned on its
own landmarks), two network passes. Measured on the public photos (``scripts/face_report.py``):
it pulled the largest genuine distances from 0.59 to 0.57 while the nearest impostor stayed at
0.55; three random jitters, for one pass more, did less and moved that impostor below the
threshold. The enrolled reference is averaged over random jitters, which mirror at random too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dlib
import face_recognition.api as fr_api
import numpy as np
from numpy.typing import NDArray

from media.face.detect import FaceBox, Frame

__all__ = ["ENCODING_MODEL", "Encoding", "encode_face", "face_distance"]

ENCODING_MODEL = "dlib_face_recognition_resnet_model_v1"
Encoding = tuple[float, ...]


def encode_face(
    frame: Frame, box: FaceBox, *, jitters: int = 1, aligned_on: int = 68, mirrored: bool = True
) -> Encoding:
    """The encoding of the face in ``box`` (about 100 ms per network pass), aligned on the 68 or
    the 5 landmark points; ``mirrored``: the mean with the mirrored frame's (twice the time);
    with ``jitters`` > 1 each is the mean of that many slightly moved crops (steadier: used for
    the enrolled reference, where the time is spent once)."""
    predictor = (
        fr_api.pose_predictor_68_point if aligned_on == 68 else fr_api.pose_predictor_5_point
    )
    views = [(frame, dlib.rectangle(box.left, box.top, box.right, box.bottom))]
    if mirrored:
        width = frame.shape[1]
        flipped = np.ascontiguousarray(frame[:, ::-1])
        views.append(
            (flipped, dlib.rectangle(width - box.right, box.top, width - box.left, box.bottom))
        )
    network = _network(jitters)
    found = [
        np.asarray(network.compute_face_descriptor(image, predictor(image, rect), jitters))
        for image, rect in views
    ]
    return tuple(float(v) for v in np.mean(found, axis=0))


def _network(jitters: int) -> Any:
    """dlib's network; for jittered encodings a newly loaded one. The network draws its random
    jitters from a generator it keeps, so the same photo enrolled again in the same worker gave a
    reference 0.055 away from the first; a new network starts from the same seed each time."""
    if jitters <= 1:
        return fr_api.face_encoder
    return dlib.face_recognition_model_v1(fr_api.face_recognition_model)


def face_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Euclidean distance between two encodings: 0 is identical, dlib's own cut-off is 0.6."""
    va: NDArray[np.float64] = np.asarray(a, dtype=np.float64)
    vb: NDArray[np.float64] = np.asarray(b, dtype=np.float64)
    if va.shape != (128,) or vb.shape != (128,):
        raise ValueError("encodings have 128 components")
    return float(np.linalg.norm(va - vb))
