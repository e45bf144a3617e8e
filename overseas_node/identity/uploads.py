"""Reading uploaded images: JSON with base64 or multipart; type from the bytes; size limits."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from aiohttp import BodyPartReader, web
from PIL import Image, UnidentifiedImageError

from common.errors import N_, Invalid
from overseas_node.identity.service import UploadedFrame

__all__ = [
    "MAX_FRAMES",
    "MAX_IMAGE_BYTES",
    "read_enrolment",
    "read_frames",
    "sniff_image",
]

MAX_IMAGE_BYTES = 12 * 1024 * 1024  # a phone photo of 12 MP; larger photos are scaled down
MAX_DECLARED_PIXELS = 40_000_000  # beyond any camera: a header claiming more is a bomb
MIN_SIDE = 64
MAX_FRAMES = 60
SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
NAMES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jfif": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}
VAGUE_TYPES = frozenset({"", "application/octet-stream"})  # what a client says when unsure


def sniff_image(data: bytes, filename: str | None = None, declared: str | None = None) -> str:
    """The image's content type, from its bytes; JPEG, PNG and WebP only, within the pixel limits,
    and agreeing with the file's name and stated type when the client gave them. Whether the
    whole file decodes is checked where the pixels are decoded, off the event loop."""
    if len(data) > MAX_IMAGE_BYTES:
        raise Invalid("identity.image_too_large", N_("An image is larger than allowed."))
    kind = next((t for sig, t in SIGNATURES.items() if data.startswith(sig)), None)
    if kind is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = "image/webp"
    if kind is None:
        raise Invalid("identity.image_type", N_("Upload a JPEG or PNG image."))
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Image.DecompressionBombError:
        width, height = MAX_DECLARED_PIXELS, 2
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid("identity.image_type", N_("Upload a JPEG or PNG image.")) from None
    if width * height > MAX_DECLARED_PIXELS or min(width, height) < MIN_SIDE:
        raise Invalid("identity.image_pixels", N_("An image has too many or too few pixels."))
    _check_names(kind, filename, declared)
    return kind


def _check_names(kind: str, filename: str | None, declared: str | None) -> None:
    suffix = filename.rsplit(".", 1)[-1].lower() if filename and "." in filename else None
    named = NAMES.get(suffix, "other") if suffix is not None else None
    stated = (declared or "").split(";")[0].strip().lower()
    if (named is not None and named != kind) or (stated not in VAGUE_TYPES and stated != kind):
        raise Invalid(
            "identity.image_mismatch",
            N_("An image's name or stated type does not match what the file holds."),
        )


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise Invalid("identity.image_type", N_("Upload a JPEG or PNG image."))
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("identity.image_type", N_("Upload a JPEG or PNG image.")) from None


async def _multipart(request: web.Request) -> tuple[dict[str, str], list[bytes]]:
    """Fields and files of a multipart body; each file is checked against its name and type."""
    fields: dict[str, str] = {}
    files: list[bytes] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.filename is None:
            fields[part.name or ""] = (await part.read(decode=True)).decode()[:4096]
            continue
        data = bytearray()
        while chunk := await part.read_chunk():
            data += chunk
            if len(data) > MAX_IMAGE_BYTES:
                raise Invalid("identity.image_too_large", N_("An image is larger than allowed."))
        sniff_image(bytes(data), part.filename, part.headers.get("Content-Type"))
        files.append(bytes(data))
    return fields, files


async def read_enrolment(request: web.Request) -> tuple[str, bytes]:
    """(resident_id, photo) from ``{"resident_id", "photo": base64}`` or multipart."""
    if request.content_type.startswith("multipart/"):
        fields, files = await _multipart(request)
        resident_id, photo = fields.get("resident_id", ""), files[0] if files else b""
    else:
        body = await _json(request)
        resident_id, photo = str(body.get("resident_id", "")), _b64(body.get("photo"))
    resident_id = resident_id.strip()
    if not resident_id or len(resident_id) > 120:
        raise Invalid("identity.resident_id", N_("Name the resident to enrol."))
    sniff_image(photo)
    return resident_id, photo


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise Invalid("request.malformed_json", N_("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise Invalid("request.malformed_json", N_("The request body is not valid JSON."))
    return body


async def read_frames(request: web.Request) -> list[UploadedFrame]:
    """Frames from ``{"frames": [{"image": base64, "t_ms": int}]}``, or multipart files named
    ``frame`` with a field ``t_ms`` listing the times, comma-separated."""
    if request.content_type.startswith("multipart/"):
        fields, images = await _multipart(request)
        try:
            times = [int(t) for t in fields.get("t_ms", "").split(",") if t.strip()]
        except ValueError:
            times = []
    else:
        items = (await _json(request)).get("frames")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            items = []
        images = [_b64(i.get("image")) for i in items]
        times = [i.get("t_ms") for i in items]
    if not 1 <= len(images) <= MAX_FRAMES:
        raise Invalid(
            "identity.frame_count",
            N_("Send between {min} and {max} frames."),
            params={"min": 1, "max": MAX_FRAMES},
        )
    if len(times) != len(images) or not all(type(t) is int and t >= 0 for t in times):
        raise Invalid("identity.frame_times", N_("Give each frame its time in milliseconds."))
    return [UploadedFrame(d, sniff_image(d), t) for d, t in zip(images, times, strict=True)]
