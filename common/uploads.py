"""Uploads are hostile until proven otherwise.

The type comes from the bytes, not the name; sizes and pixel counts are capped; images are
decoded and re-encoded (dropping whatever rode along); PDFs are parsed and refused when
malformed or encrypted. Names are kept for display only, never used as paths.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from PIL import Image, ImageDraw, ImageFile, UnidentifiedImageError

from common.errors import N_, DomainError, Invalid

__all__ = [
    "MultipartForm",
    "Upload",
    "UploadLimits",
    "inspect_upload",
    "mark_checked",
    "read_multipart",
]


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_pdf_pages: int = 200


@dataclass(frozen=True)
class Upload:
    kind: str  # image | pdf
    content_type: str
    data: bytes
    sha256: str
    display_name: str


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    return None


def _display_name(name: str | None) -> str:
    base = unquote(name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable())[:120]
    return cleaned or "upload"


def inspect_upload(data: bytes, name: str | None, limits: UploadLimits | None = None) -> Upload:
    limits = limits or UploadLimits()
    if not data:
        raise Invalid("upload.empty", N_("The file is empty."))
    if len(data) > limits.max_bytes:
        raise DomainError("upload.too_large", N_("The upload is too large."), status=413)
    kind = _sniff(data)
    if kind is None:
        raise Invalid(
            "upload.unsupported_type",
            N_("Only PDF, PNG and JPEG files are accepted; this file is something else."),
        )
    if kind == "pdf":
        _check_pdf(data, limits)
        clean, content_type, family = data, "application/pdf", "pdf"
    else:
        clean, content_type, family = _reencode(data, limits), "image/png", "image"
    return Upload(
        family, content_type, clean, hashlib.sha256(clean).hexdigest(), _display_name(name)
    )


def _too_many_pixels(pixels: int, limits: UploadLimits) -> Invalid:
    return Invalid(
        "upload.too_many_pixels",
        N_("The image has too many pixels ({pixels}); at most {limit}."),
        params={"pixels": pixels, "limit": limits.max_pixels},
    )


def _reencode(data: bytes, limits: UploadLimits) -> bytes:
    # Some libraries (face_recognition among them) tell Pillow to accept truncated files,
    # process-wide; an upload is refused when truncated, whatever else was imported.
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return _decode_and_save(data, limits)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _decode_and_save(data: bytes, limits: UploadLimits) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > limits.max_pixels:
                raise _too_many_pixels(width * height, limits)
            probe.load()
            image = probe.convert("RGB")
    except Image.DecompressionBombError:
        raise _too_many_pixels(limits.max_pixels + 1, limits) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid("upload.malformed_image", N_("The image is damaged or unreadable.")) from None
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _check_pdf(data: bytes, limits: UploadLimits) -> None:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise Invalid(
                "upload.pdf_encrypted",
                N_("The PDF is password-protected; please upload it without protection."),
            )
        pages = int(reader.root["/Pages"]["/Count"])
    except Invalid:
        raise
    except (PdfError, KeyError, ValueError, TypeError, IndexError, AttributeError, OSError):
        raise Invalid("upload.malformed_pdf", N_("The PDF is damaged or unreadable.")) from None
    if not 1 <= pages <= limits.max_pdf_pages:
        raise Invalid(
            "upload.pdf_pages",
            N_("The PDF must have between 1 and {limit} pages."),
            params={"limit": limits.max_pdf_pages},
        )


def mark_checked(upload: Upload, *, branch: str, clerk: str, at: datetime) -> bytes:
    """The stored copy of a level-B material carries a visible "checked against original" mark."""
    text = f"CHECKED AGAINST ORIGINAL | {branch} | {clerk} | {at:%Y-%m-%d %H:%M %Z}"
    if upload.kind == "image":
        return _mark_image(upload.data, text)
    return _mark_pdf(upload.data, text)


def _mark_image(data: bytes, text: str) -> bytes:
    with Image.open(io.BytesIO(data)) as source:
        image = source.convert("RGB")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((0, 0), text)
    pad = 4
    box = (6, 6, 6 + right - left + 2 * pad, 6 + bottom - top + 2 * pad)
    draw.rectangle(box, fill=(255, 255, 255), outline=(47, 107, 47), width=2)
    draw.text((6 + pad, 6 + pad - top), text, fill=(47, 107, 47))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _mark_pdf(data: bytes, text: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStamp, TextStampStyle

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    style = TextStampStyle(
        stamp_text="%(label)s", text_box_style=TextBoxStyle(font_size=8), border_width=1
    )
    TextStamp(writer, style, text_params={"label": text}).apply(0, 20, 20)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


@dataclass(frozen=True)
class MultipartForm:
    fields: dict[str, str]
    files: list[tuple[bytes, str | None]]  # (content, name as sent) for each non-empty file

    def file(self) -> tuple[bytes, str | None]:
        """The one file of a single-file form (empty when none was sent)."""
        return self.files[0] if self.files else (b"", None)


async def read_multipart(
    request: web.Request, *, text: Collection[str], files: str = "file", text_limit: int = 64
) -> MultipartForm:
    """Read a multipart/form-data body: the named text fields (cut to ``text_limit``) and every
    part called ``files``; anything else is skipped. Sizes are capped by the app's body limit."""
    if not request.content_type.startswith("multipart/"):
        raise Invalid("upload.not_multipart", N_("Send the file as multipart/form-data."))
    form = MultipartForm({}, [])
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.name == files:
            data = bytes(await part.read(decode=False))
            if data:
                form.files.append((data, part.filename))
        elif part.name in text:
            form.fields[part.name] = (await part.text())[:text_limit]
    return form
