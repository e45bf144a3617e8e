"""Turning uploaded bytes into pixels the face models can use, or a clear refusal.

A photo straight from a phone or a scanner is often larger than the models need (the public
test photos go up to 4352×2903); it is scaled down, never refused for its size. What is refused:
anything but JPEG, PNG and WebP (what phones and browsers save), a file whose header claims more
pixels than any camera gives (a decompression bomb: 74 bytes can claim 20000×20000), and a
truncated or damaged file. The
last needs care: face_recognition tells Pillow, process-wide, to accept truncated files, which
would turn a third of a JPEG into a grey frame with "no face" in it.
"""

from __future__ import annotations

import io
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile, UnidentifiedImageError

__all__ = ["MAX_DECLARED_PIXELS", "ImageError", "ImageProblem", "decode_image"]

MAX_DECLARED_PIXELS = 40_000_000  # more than any phone camera; beyond this it is not decoded
FORMATS = frozenset({"JPEG", "PNG", "WEBP"})


class ImageProblem(StrEnum):
    TYPE = "type"  # not a JPEG, PNG or WebP
    PIXELS = "pixels"  # claims too many pixels (decompression bomb) or too few
    DAMAGED = "damaged"  # truncated or corrupt


class ImageError(ValueError):
    """The bytes are not an image we accept; ``problem`` says why."""

    def __init__(self, problem: ImageProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem

    def __reduce__(self) -> tuple[type[ImageError], tuple[ImageProblem, str]]:
        return (ImageError, (self.problem, str(self)))  # it crosses from the worker process


def decode_image(data: bytes, max_side: int = 1024) -> NDArray[np.uint8]:
    """RGB pixels of a JPEG, PNG or WebP, scaled down so that its longer side is at most
    ``max_side``; raises :class:`ImageError` for anything else."""
    strict, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return _decode(data, max_side)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = strict


def _decode(data: bytes, max_side: int) -> NDArray[np.uint8]:
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in FORMATS:
                raise ImageError(ImageProblem.TYPE, f"unsupported image format {img.format}")
            width, height = img.size
            if width * height > MAX_DECLARED_PIXELS:
                raise ImageError(ImageProblem.PIXELS, f"image claims {width}×{height} pixels")
            if img.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 of the size when enough
                img.draft("RGB", (max_side, max_side))
            img.load()
            rgb = img.convert("RGB")
    except Image.DecompressionBombError:
        raise ImageError(ImageProblem.PIXELS, "image claims too many pixels") from None
    except (UnidentifiedImageError, SyntaxError) as exc:
        raise ImageError(ImageProblem.TYPE, "not a readable image") from exc
    except (OSError, ValueError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError(ImageProblem.DAMAGED, f"damaged image: {exc}") from exc
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(rgb)
