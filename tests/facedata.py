"""Real faces from images that registry packages ship, and the camera frames derived from them.

* ``skimage/data/astronaut.png`` from scikit-image (a dev dependency);
* ``insightface/data/images/t1.jpg`` (six people) and ``Tom_Hanks_54745.png`` from the
  insightface wheel, downloaded with pip into ``var/cache/face-samples`` and read as a zip
  (never imported).

From a face we derive what a kiosk camera would give: a 640×480 crop with the face at a
typical size, light changes, sensor noise and JPEG compression; a blink is synthesised by
painting the eye regions closed, a head turn by rotating the landmarks in 3-D with rough
depths and warping the picture after them (:func:`head_turn`); a photo tilted in front of the
camera is a perspective warp of the whole frame (:func:`tilt`).
Used by the tests, ``bench/bench_face.py`` and ``scripts/face_accuracy.py``.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "cache" / "face-samples"
WIDTH, HEIGHT = 640, 480


class FaceDataUnavailable(RuntimeError):
    """The sample images could not be found or downloaded."""


def insightface_wheel() -> Path:
    """The insightface wheel in the cache, downloaded with pip the first time."""
    found = sorted(CACHE.glob("insightface-*.whl"))
    if found:
        return found[-1]
    CACHE.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    done = subprocess.run(
        [*cmd, "insightface", "-d", str(CACHE)], capture_output=True, text=True, timeout=300
    )
    found = sorted(CACHE.glob("insightface-*.whl"))
    if done.returncode != 0 or not found:
        raise FaceDataUnavailable(
            "could not download the insightface wheel from PyPI (needed for its sample face "
            f"photos): {done.stderr.strip()[-300:]}"
        )
    return found[-1]


@cache
def _wheel_image(name: str) -> Image.Image:
    with zipfile.ZipFile(insightface_wheel()) as wheel:
        data = wheel.read(f"insightface/data/images/{name}")
    return Image.open(io.BytesIO(data)).convert("RGB")


@cache
def astronaut() -> Image.Image:
    import skimage

    return Image.open(Path(skimage.__file__).parent / "data" / "astronaut.png").convert("RGB")


def group_photo() -> Image.Image:
    return _wheel_image("t1.jpg")


def tom_hanks() -> Image.Image:
    return _wheel_image("Tom_Hanks_54745.png")


@dataclass(frozen=True)
class SampleFace:
    name: str
    image: Image.Image
    box: tuple[int, int, int, int]  # top, right, bottom, left


def _faces_in(name: str, image: Image.Image) -> list[SampleFace]:
    import face_recognition

    boxes = sorted(face_recognition.face_locations(np.asarray(image)), key=lambda b: b[3])
    if name == "astronaut":  # HOG also fires on the suit's badge, below the face
        boxes = [min(boxes, key=lambda b: b[0])]
    return [
        SampleFace(name if len(boxes) == 1 else f"{name}_{i}", image, box)
        for i, box in enumerate(boxes)
    ]


@cache
def sample_faces() -> tuple[SampleFace, ...]:
    """Every distinct person available: the astronaut, the six of t1.jpg, Tom Hanks."""
    found = (("astronaut", astronaut()), ("t1", group_photo()), ("hanks", tom_hanks()))
    return tuple(face for name, image in found for face in _faces_in(name, image))


@cache
def face(name: str) -> SampleFace:
    """One sample face; the astronaut needs nothing from the network (scikit-image ships it),
    which matters inside a test's own network namespace."""
    if name == "astronaut":
        return _faces_in(name, astronaut())[0]
    return next(f for f in sample_faces() if f.name == name)


def camera_frame(
    sample: SampleFace,
    *,
    face_frac: float = 0.4,
    dx: float = 0.0,
    dy: float = 0.0,
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Image.Image:
    """A crop around the face, scaled so the face spans ``face_frac`` of the frame's width."""
    top, right, bottom, left = sample.box
    cw = (right - left) / face_frac
    ch = cw * size[1] / size[0]
    cx = (left + right) / 2 - dx * cw
    cy = (top + bottom) / 2 - dy * ch
    crop = sample.image.crop(
        (round(cx - cw / 2), round(cy - ch / 2), round(cx + cw / 2), round(cy + ch / 2))
    )
    return crop.resize(size, Image.Resampling.BICUBIC)


def passport_photo(sample: SampleFace) -> Image.Image:
    """A reference photo: the face with a margin of half its size on every side."""
    top, right, bottom, left = sample.box
    m = (right - left) // 2
    return sample.image.crop((left - m, top - m, right + m, bottom + m))


def empty_frame(size: tuple[int, int] = (WIDTH, HEIGHT)) -> Image.Image:
    """A camera frame with nobody in it: a wall with a gradient."""
    x = np.linspace(90, 160, size[0])[None, :, None]
    y = np.linspace(0, 30, size[1])[:, None, None]
    return Image.fromarray(np.broadcast_to(x + y, (size[1], size[0], 3)).astype(np.uint8))


def two_faces(a: SampleFace, b: SampleFace) -> Image.Image:
    """Two people side by side in one 640×480 frame."""
    out = Image.new("RGB", (WIDTH, HEIGHT))
    half = (WIDTH // 2, HEIGHT)
    out.paste(camera_frame(a, face_frac=0.7, size=half), (0, 0))
    out.paste(camera_frame(b, face_frac=0.7, size=half), (WIDTH // 2, 0))
    return out


def degrade(
    image: Image.Image, rng: np.random.Generator, *, light: float = 1.0, noise: float = 2.0
) -> Image.Image:
    """Light change and sensor noise."""
    arr = np.asarray(image, dtype=np.float64) * light
    arr = arr + rng.normal(0.0, noise, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A PNG of a few dozen bytes whose header claims ``width``×``height`` pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def _eyes(image: Image.Image) -> list[np.ndarray]:
    import face_recognition

    marks = face_recognition.face_landmarks(np.asarray(image))
    if not marks:
        raise FaceDataUnavailable("no face found to close the eyes of")
    return [np.asarray(marks[0][k], dtype=np.float64) for k in ("left_eye", "right_eye")]


def blink(image: Image.Image) -> Image.Image:
    """The same frame with both eyes painted closed: skin over the eye, a dark lid line."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    arr = np.asarray(image)
    for eye in _eyes(image):
        (x0, y0), (x1, y1) = eye.min(axis=0), eye.max(axis=0)
        h, w = max(y1 - y0, 2.0), x1 - x0
        skin = arr[int(y1 + 1.5 * h) : int(y1 + 2.5 * h), int(x0) : int(x1)].reshape(-1, 3)
        colour = tuple(int(c) for c in skin.mean(axis=0))
        draw.ellipse((x0 - 0.15 * w, y0 - 1.2 * h, x1 + 0.15 * w, y1 + 0.9 * h), fill=colour)
        lid = (y0 + y1) / 2 + 0.3 * h
        draw.line((x0, lid, x1, lid), fill=(40, 30, 30), width=max(2, int(0.4 * h)))
    return out.filter(ImageFilter.GaussianBlur(1))


def _perspective(
    src: list[tuple[float, float]], dst: list[tuple[float, float]]
) -> tuple[float, ...]:
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return tuple(np.linalg.solve(np.asarray(rows, float), np.asarray(rhs, float)))


def tilt(image: Image.Image, amount: float) -> Image.Image:
    """A perspective warp of the whole frame, as when a photo held up to the camera is tilted:
    ``amount`` > 0 makes the face look turned to the person's left (the image's right edge
    recedes), < 0 to their right. Every point moves by one homography: no depth."""
    w, h = image.size
    s = abs(amount) / 2
    if amount > 0:
        dst = [(0, 0), (w * (1 - s), h * s), (w * (1 - s), h * (1 - s)), (0, h)]
    else:
        dst = [(w * s, h * s), (w, 0), (w, h), (w * s, h * (1 - s))]
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    return image.transform(
        image.size, Image.Transform.PERSPECTIVE, _perspective(src, dst), Image.Resampling.BICUBIC
    )


def _depths() -> np.ndarray:
    """Rough depth of each of the 68 landmarks in front of (+) or behind (-) the face's
    plane, in face widths: jaw ends at the ears, the nose tip well forward."""
    z = np.zeros(68)
    t = (np.arange(17) - 8) / 8
    z[:17] = -0.55 * t * t
    u = np.linspace(1, 0, 5)
    z[17:22], z[22:27] = -0.05 - 0.2 * u * u, -0.05 - 0.2 * u[::-1] ** 2
    z[27:31] = [-0.02, 0.04, 0.10, 0.17]
    z[31:36] = [0.0, 0.06, 0.10, 0.06, 0.0]
    z[36:48] = -0.12
    z[[36, 45]] = -0.18
    z[[48, 54, 60, 64]] = -0.08
    return z


def head_turn(image: Image.Image, degrees: float) -> Image.Image:
    """The frame with the head rotated about its vertical axis by ``degrees`` (> 0: to the
    person's left), the background still. The landmarks get rough depths, are rotated in 3-D and
    projected; the picture follows them by a piecewise-affine warp, so the nose moves against
    the face outline as it does on a real head (parallax), which no homography reproduces."""
    from skimage.transform import PiecewiseAffineTransform, warp

    arr = np.asarray(image)
    points = np.asarray(_landmarks(image))
    width = float(np.linalg.norm(points[16] - points[0]))
    cx, cy = (points[0, 0] + points[16, 0]) / 2, float(points[:, 1].mean())
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    forehead = points[17:27] - [0, 0.35 * width]
    head = np.c_[cx + 0.8 * width * np.cos(angles), cy - 0.1 * width + width * np.sin(angles)]
    moving = np.r_[points, forehead, head]
    depth = (
        np.r_[_depths(), _depths()[17:27] - 0.05, -0.5 + 0.3 * np.maximum(np.sin(angles), 0)]
        * width
    )
    h, w = arr.shape[:2]
    still = np.r_[
        np.c_[cx + 1.6 * width * np.cos(angles), cy + 1.6 * width * np.sin(angles)],
        [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1], [w / 2, 0], [w / 2, h - 1]],
        [[0, h / 2], [w - 1, h / 2]],
    ]
    phi, axis = np.radians(degrees), -0.3 * width
    moved = moving.copy()
    moved[:, 0] = cx + (moving[:, 0] - cx) * np.cos(phi) + (depth - axis) * np.sin(phi)
    transform = PiecewiseAffineTransform.from_estimate(np.r_[moved, still], np.r_[moving, still])
    out = warp(arr, transform, order=1, mode="edge", preserve_range=True)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _landmarks(image: Image.Image) -> tuple[tuple[float, float], ...]:
    from media.face import detect_faces, landmarks_68

    arr = np.asarray(image)
    boxes = detect_faces(arr)
    if len(boxes) != 1:
        raise FaceDataUnavailable("no single face found to turn")
    return landmarks_68(arr, boxes[0])


POSES = {
    "blink": ["open", "open", "closed", "closed", "open", "open"],
    "turn_left": ["left1", "left2", "left2", "left1", "open", "open"],
    "turn_right": ["right1", "right2", "right2", "right1", "open", "open"],
}


TURNS = {"left1": 8.0, "left2": 16.0, "right1": -8.0, "right2": -16.0}  # degrees of head turn
TILTS = {"left1": 0.3, "left2": 0.6, "right1": -0.3, "right2": -0.6}  # of a photo, for attacks
_POSED: dict[tuple[str, str, bool], Image.Image] = {}


def pose(base: Image.Image, name: str, *, flat: bool = False) -> Image.Image:
    """``base`` in one pose of ``POSES``: a real head turn, or with ``flat`` the same photo
    tilted (the warps take a second; each is made once per base frame and kept)."""
    if name == "open":
        return base
    import hashlib

    key = (hashlib.sha256(base.tobytes()).hexdigest(), name, flat)
    if key not in _POSED:
        if name == "closed":
            _POSED[key] = blink(base)
        elif flat:
            _POSED[key] = tilt(base, TILTS[name])
        else:
            _POSED[key] = head_turn(base, TURNS[name])
    return _POSED[key]


def live_series(
    sample: SampleFace,
    challenge: list[str] | tuple[str, ...],
    *,
    seed: int = 0,
    fps: float = 8.0,
    still: bool = False,
    flat: bool = False,
    light: float = 1.0,
) -> tuple[list[bytes], list[int]]:
    """JPEG frames and their times (ms) of ``sample`` performing ``challenge`` at a kiosk;
    ``still`` gives the same number of frames of a photo held still instead, ``flat`` a photo
    tilted in perspective with the eyes painted shut at the right moments."""
    rng = np.random.default_rng(seed)
    base = camera_frame(sample)
    names = ["open", "open"] + [p for action in challenge for p in POSES[str(action)]]
    frames = []
    for i, name in enumerate(names):
        shown = pose(base, "open" if still else name, flat=flat)
        jitter = shown.rotate(float(rng.normal(0, 0.5)), translate=tuple(rng.normal(0, 2, 2)))
        frames.append(jpeg(degrade(jitter, rng, light=light), quality=80 + i % 10))
    times = [round(i * 1000 / fps) for i in range(len(names))]
    return frames, times
