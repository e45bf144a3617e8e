"""The notarial certificate (公证书) as a PDF: certificate text, verification code and QR code.

A small PDF writer of our own (the project's PDFs are plain text pages; pyHanko then appends
the signatures as incremental updates). Chinese text uses the standard Adobe-GB1 font
``STSong-Light`` (``UniGB-UCS2-H``), which every PDF reader substitutes, so no font file is
embedded; Latin text uses Helvetica. The QR code is drawn as filled squares, not an image.
Rendering is deterministic: the same act gives the same bytes.

Page 1 is the certificate; page 2 the advisements read and the signature area (the resident,
the witness and the notary sign along its foot; the hub seal on page 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import qrcode

from common.errors import N_
from common.i18n import translate
from hub.notarization.model import ActKind
from hub.zone import hub_zone

__all__ = ["CertificateText", "render_certificate"]

STATEMENT = (
    N_("The person named above appeared before the notary by recorded video link."),
    N_("The person proved their identity by face verification at the branch."),
    N_("The facts stated above are true as examined by the notary."),
)
NAME, DOCUMENT = N_("Name"), N_("Identity document")
WIDTH, HEIGHT = 595, 842  # A4 in points


@dataclass(frozen=True)
class CertificateText:
    kind: ActKind
    number: str
    resident_name: str
    resident_document: str
    particulars: dict[str, str]
    notary_name: str
    verification_code: str
    verify_url: str
    dated: datetime
    advisements_read: tuple[str, ...]  # advisement codes


def _escape(text: str) -> bytes:
    raw = text.encode("latin-1")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _text(x: float, y: float, size: float, text: str) -> bytes:
    """One line at (x, y): Helvetica if it is Latin-1, else the Chinese font (UCS-2)."""
    try:
        shown = b"(" + _escape(text) + b")"
        font = b"F1"
    except UnicodeEncodeError:
        shown = b"<" + text.encode("utf-16-be").hex().upper().encode() + b">"
        font = b"F2"
    return b"BT /%s %.1f Tf %.1f %.1f Td %s Tj ET\n" % (font, size, x, y, shown)


def _wrap(text: str, limit: int) -> list[str]:
    """Lines of at most ``limit`` cells (a Chinese character counts two)."""
    lines: list[str] = []
    current = ""
    for word in text.replace("\n", " ").split(" "):
        candidate = f"{current} {word}".strip()
        if _cells(candidate) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
        while _cells(word) > limit:  # Chinese runs have no spaces: cut them
            cut = limit // 2
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _cells(text: str) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def _qr(url: str, x: float, y: float, size: float) -> bytes:
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    out = [b"0 0 0 rg\n"]
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                top = y + size - (r + 1) * cell
                out.append(b"%.2f %.2f %.2f %.2f re\n" % (x + c * cell, top, cell, cell))
    out.append(b"f\n")
    return b"".join(out)


class _Page:
    def __init__(self) -> None:
        self.ops: list[bytes] = []
        self.y = HEIGHT - 72.0

    def line(self, text: str, size: float = 11, x: float = 60, gap: float = 6) -> None:
        self.ops.append(_text(x, self.y, size, text))
        self.y -= size + gap

    def para(self, text: str, size: float = 11, x: float = 60, limit: int = 84) -> None:
        for part in _wrap(text, limit):
            self.line(part, size, x, gap=4)
        self.y -= 4


def _facts(cert: CertificateText) -> list[tuple[str, str]]:
    facts = [(NAME, cert.resident_name), (DOCUMENT, cert.resident_document)]
    labels = {p.name: p.label for p in cert.kind.particulars}
    return facts + [(labels[k], v) for k, v in cert.particulars.items() if k in labels]


def _statement(cert: CertificateText, lang: str) -> str:
    return " ".join(translate(lang, line) for line in STATEMENT)


def _first_page(cert: CertificateText) -> bytes:
    page = _Page()
    page.line(f"公证书  {cert.kind.title_zh}", 20)
    if cert.kind.bilingual:
        page.line(f"NOTARIAL CERTIFICATE - {cert.kind.title}", 14)
    page.line(f"({cert.number})", 11, gap=14)
    for label, value in _facts(cert):
        page.line(f"{translate('zh', label)}: {value}", 11)
        if cert.kind.bilingual:
            page.line(f"{label}: {value}", 9, x=80)
    page.y -= 8
    page.para(_statement(cert, "zh"), 11, limit=80)
    if cert.kind.bilingual:
        page.para(_statement(cert, "en"), 9, limit=100)
    page.y -= 6
    page.line(f"公证员 Notary: {cert.notary_name}", 11)
    page.line(f"{cert.dated.astimezone(hub_zone()):%Y-%m-%d}  Wencheng, Zhejiang", 11, gap=16)
    page.line("核验码 Verification code:", 11)
    page.line(cert.verification_code, 16)
    page.line(cert.verify_url, 8)
    page.ops.append(_qr(cert.verify_url, WIDTH - 60 - 110, 120, 110))
    return b"".join(page.ops)


def _second_page(cert: CertificateText) -> bytes:
    page = _Page()
    page.line("公证告知 Advisements read during the session", 14, gap=12)
    texts = {a.code: a.text for a in cert.kind.advisements}
    for i, code in enumerate(cert.advisements_read, 1):
        page.para(f"{i}. {translate('zh', texts[code])}", 10, limit=86)
        page.para(f"   {texts[code]}", 9, limit=100)
    page.y = 110
    page.line("申请人 Applicant        见证人 Witness        公证员 Notary", 9)
    return b"".join(page.ops)


def render_certificate(cert: CertificateText) -> bytes:
    """The certificate as an unsigned two-page PDF."""
    contents = [_first_page(cert), _second_page(cert)]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [6 0 R 8 0 R] /Count 2 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [5 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        b"/FontDescriptor 10 0 R /DW 1000 /W [1 95 500] >>",
    ]
    for i, stream in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (WIDTH, HEIGHT, 7 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >>"
    )
    title = cert.number.encode("ascii")
    objects.append(b"<< /Title (%s) /Producer (Qiaolink) >>" % title)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    return bytes(out)
