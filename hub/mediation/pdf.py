"""A signed text as a PDF: A4 pages of the exact lines, Chinese and Latin script alike.

Text is set in the standard Chinese font STSong-Light (Adobe-GB1, UniGB-UCS2-H encoding), which
every PDF reader provides without embedding, so that the file stays small and deterministic:
the same text always gives the same bytes. The text's SHA-256 is written into the document
information (``/Keywords qiaolink-text-sha256:<hex>``) so that anyone holding the text and the
signed file can check that the first revision — the one every signature covers — is this text.
The bottom of the last page is left free for the signature stamps.
"""

from __future__ import annotations

__all__ = ["TEXT_MARK", "render_text_pdf"]

TEXT_MARK = b"qiaolink-text-sha256:"
PAGE_W, PAGE_H, MARGIN = 595, 842, 56
SIZE, LEADING = 10.5, 16
STAMP_ROW = 72  # the height of one row of signature stamps


def _units(ch: str) -> int:
    return 500 if ord(ch) < 0x2E80 else 1000


def _wrap(line: str, limit: float) -> list[str]:
    out, current, width = [], "", 0.0
    for ch in line:
        w = _units(ch) * SIZE / 1000
        if width + w > limit and current:
            out.append(current)
            current, width = "", 0.0
        current += ch
        width += w
    out.append(current)
    return out


def _hex(text: str) -> bytes:
    safe = "".join(ch if ord(ch) <= 0xFFFF else "?" for ch in text)
    return b"<" + safe.encode("utf-16-be").hex().upper().encode() + b">"


def _pages(lines: list[str], stamp_rows: int) -> list[list[str]]:
    wrapped = [w for line in lines for w in _wrap(line, PAGE_W - 2 * MARGIN)]
    per_page = int((PAGE_H - 2 * MARGIN) // LEADING)
    pages = [wrapped[i : i + per_page] for i in range(0, len(wrapped), per_page)] or [[]]
    room_last = int((PAGE_H - MARGIN - 36 - stamp_rows * STAMP_ROW - 24) // LEADING)
    if len(pages[-1]) > room_last:  # the stamps need the foot of the last page
        pages.append([])
    return pages


def _content(lines: list[str]) -> bytes:
    parts = [b"BT /F1 %.1f Tf %.1f TL %d %d Td" % (SIZE, LEADING, MARGIN, PAGE_H - MARGIN)]
    for line in lines:
        parts.append(_hex(line) + b" Tj T*")
    parts.append(b"ET")
    return b"\n".join(parts)


def render_text_pdf(title: str, text: str, *, text_sha256: str, stamp_rows: int = 2) -> bytes:
    """The PDF of ``text``: deterministic bytes, one xref section, no signatures yet."""
    pages = _pages(text.rstrip("\n").split("\n"), stamp_rows)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in below
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [4 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R "
        b"/DW 1000 /W [1 95 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >>",
        b"<< /Title "
        + _hex(title)
        + b" /Producer (Qiaolink) /Keywords ("
        + TEXT_MARK
        + text_sha256.encode()
        + b") >>",
    ]
    kids = []
    for lines in pages:
        page_id = len(objects) + 1
        kids.append(b"%d 0 R" % page_id)
        stream = _content(lines)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_W, PAGE_H, page_id + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
