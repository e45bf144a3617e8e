"""Finding faces and their landmarks, and following one face from frame to frame.

The HOG detector is the expensive step (about 225 ms on a full 640×480 frame with one
upsampling here). A camera series shows one face that moves a little between frames, so the
tracker searches a downscaled frame, then between full searches looks only around the last box
(a few milliseconds), and takes the 68 landmarks (about 1 ms) on the box it follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import face_recognition
import face_recognition.api as fr_api
import numpy as np
from numpy.typing import NDArray
from PIL import Image

__all__ = [
    "FaceBox",
    "FaceTracker",
    "Frame",
    "Point",
    "TrackedFrame",
    "TrackerConfig",
    "detect_faces",
    "landmarks_68",
]

Point = tuple[float, float]
Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class FaceBox:
    """A face's box in pixels, in face_recognition's order (top, right, bottom, left)."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def css(self) -> tuple[int, int, int, int]:
        return (self.top, self.right, self.bottom, self.left)

    def scaled(self, factor: float) -> FaceBox:
        return FaceBox(*(round(v * factor) for v in self.css))

    def shifted(self, dx: float, dy: float, scale: float) -> FaceBox:
        cx = (self.left + self.right) / 2 + dx
        cy = (self.top + self.bottom) / 2 + dy
        hw, hh = self.width * scale / 2, self.height * scale / 2
        return FaceBox(round(cy - hh), round(cx + hw), round(cy + hh), round(cx - hw))

    def clipped(self, height: int, width: int) -> FaceBox:
        return FaceBox(
            max(self.top, 0), min(self.right, width), min(self.bottom, height), max(self.left, 0)
        )

    def iou(self, other: FaceBox) -> float:
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        inter = max(w, 0) * max(h, 0)
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0


def detect_faces(frame: Frame, scale: float = 1.0, *, upsample: int = 1) -> list[FaceBox]:
    """Boxes of the faces in ``frame``, found on a copy scaled by ``scale``."""
    small = frame
    if scale != 1.0:
        h, w = frame.shape[:2]
        size = (max(round(w * scale), 1), max(round(h * scale), 1))
        small = np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR))
    found = face_recognition.face_locations(small, number_of_times_to_upsample=upsample)
    h, w = frame.shape[:2]
    return [FaceBox(*css).scaled(1 / scale).clipped(h, w) for css in found]


def landmarks_68(frame: Frame, box: FaceBox) -> tuple[Point, ...]:
    """The 68 landmark points (iBUG order) of the face in ``box``."""
    import dlib

    rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
    shape = fr_api.pose_predictor_68_point(frame, rect)
    return tuple((float(p.x), float(p.y)) for p in shape.parts())


@dataclass(frozen=True)
class TrackerConfig:
    detect_scale: float = 0.5  # detect on a frame this much smaller
    upsample: int = 0  # at 0.5 and no upsampling, faces from about 160 px are found
    # when that finds nothing, the frame is searched at full size, upsampled once when it is
    # small: faces from about 40 px are found (a 240p capture gives faces of 60–100 px)
    small_frame_px: int = 800
    redetect_every: int = 3  # search the whole frame at least every this many frames
    margin: float = 0.5  # between full searches, search the box grown by this on each side
    local_face_px: int = 100  # ... scaled (up to twice) so that the face is about this wide
    new_track_iou: float = 0.3  # a face found less than this over the last box is a new face


@dataclass(frozen=True)
class TrackedFrame:
    """What the tracker saw in one frame."""

    faces: int  # faces present: from a full search, or 1 while the track holds
    box: FaceBox | None  # the tracked face (None unless exactly one face)
    landmarks: tuple[Point, ...] | None
    track_id: int  # changes when the face found is not where the previous one was
    detected: bool  # this frame ran the full-frame detector


class FaceTracker:
    """Follows the one face of a camera series; searches the whole frame only when needed.

    Between full searches the detector runs only on the neighbourhood of the last box, scaled
    so that the face is about ``local_face_px`` wide (a few milliseconds); if it does not find
    exactly one face there, the whole frame is searched at once.
    """

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._box: FaceBox | None = None
        self._since_search = 0
        self._track_id = 0
        self._full_scale = False  # faces here are small: search at full size from now on

    def step(self, frame: Frame) -> TrackedFrame:
        if self._box is not None and self._since_search < self.config.redetect_every - 1:
            followed = self._follow(frame, self._box)
            if followed is not None:
                return followed
        return self._search(frame)

    def _around(self, frame: Frame, last: FaceBox) -> FaceBox | None:
        """The one face near ``last``, searched on its neighbourhood scaled so that the face is
        about ``local_face_px`` wide; None unless exactly one face is there."""
        cfg = self.config
        h, w = frame.shape[:2]
        grow_x, grow_y = round(last.width * cfg.margin), round(last.height * cfg.margin)
        region = FaceBox(
            last.top - grow_y, last.right + grow_x, last.bottom + grow_y, last.left - grow_x
        ).clipped(h, w)
        patch = frame[region.top : region.bottom, region.left : region.right]
        found = detect_faces(np.ascontiguousarray(patch), scale=self._local_scale(last), upsample=0)
        if len(found) != 1:
            return None
        return found[0].shifted(region.left, region.top, 1.0).clipped(h, w)

    def _local_scale(self, box: FaceBox) -> float:
        return min(self.config.local_face_px / max(box.width, 1), 2.0)

    def _follow(self, frame: Frame, last: FaceBox) -> TrackedFrame | None:
        box = self._around(frame, last)
        if box is None:
            return None
        self._box = box
        self._since_search += 1
        return TrackedFrame(1, box, landmarks_68(frame, box), self._track_id, detected=False)

    def _search(self, frame: Frame) -> TrackedFrame:
        cfg = self.config
        boxes = (
            []
            if self._full_scale
            else detect_faces(frame, scale=cfg.detect_scale, upsample=cfg.upsample)
        )
        if len(boxes) == 1 and self._local_scale(boxes[0]) > cfg.detect_scale:
            # found, but smaller than the local search would see it: the box of a face near
            # the detector's smallest size is loose, and the landmarks and the encoding start
            # from it (a 240p close-up's box was 144 px for a face of 108)
            boxes = [self._around(frame, boxes[0]) or boxes[0]]
        if not boxes:
            boxes = detect_faces(frame, upsample=1 if max(frame.shape) <= cfg.small_frame_px else 0)
            self._full_scale = bool(boxes)
        self._since_search = 0
        if len(boxes) != 1:
            self._box = None
            return TrackedFrame(len(boxes), None, None, self._track_id, detected=True)
        box = boxes[0]
        if self._box is None or box.iou(self._box) < cfg.new_track_iou:
            self._track_id += 1
        self._box = box
        return TrackedFrame(1, box, landmarks_68(frame, box), self._track_id, detected=True)
