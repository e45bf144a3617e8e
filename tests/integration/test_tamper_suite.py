"""Every way of tampering with a signed act is refused by ``qiaolink verify``, in words.

One B-LTA signed PDF (a form field with the resident's name, the notary's and the seal's
signatures), then one tampered copy per kind; each must give INVALID, a line that names what
changed, and nothing at all on stderr (no traceback from the validators).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing.cli_verify import main as verify_main
from signing.ltv import LongTermEvidence
from signing.pades import Placement, sign_pdf
from tests.signing_support.pdfs import make_pdf
from tests.signing_support.pki import Pki, make_pki

N = generic.NameObject


def _with_name_field(pdf: bytes) -> bytes:
    """The draft with a filled text field ``resident_name`` on page 1."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    field = writer.add_object(
        generic.DictionaryObject(
            {
                N("/Type"): N("/Annot"),
                N("/Subtype"): N("/Widget"),
                N("/FT"): N("/Tx"),
                N("/T"): generic.TextStringObject("resident_name"),
                N("/V"): generic.TextStringObject("Hu Xiaoming"),
                N("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (72, 700, 300, 720)]
                ),
                N("/P"): page_ref,
            }
        )
    )
    page = page_ref.get_object()
    page[N("/Annots")] = generic.ArrayObject([field])
    writer.update_container(page)
    writer.root[N("/AcroForm")] = generic.DictionaryObject(
        {N("/Fields"): generic.ArrayObject([field])}
    )
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Pki]:
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    evidence = LongTermEvidence((pki.ca.certificate,), (pki.ca.crl(at=datetime.now(UTC)),))
    pdf = _with_name_field(make_pdf(title="Power of attorney"))
    for slot, (name, field) in enumerate((("notary-li", "Notary"), ("hub-seal", "Seal"))):
        pdf = sign_pdf(
            pdf, signer=pki.signer(name), field=field, timestamper=pki.timestamper(),
            reason=field, placement=Placement(slot=slot), evidence=evidence,
        )  # fmt: skip
    return pdf, pki


def _update(pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _replace_content(writer: IncrementalPdfFileWriter) -> None:
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    text = b"BT /F1 18 Tf 72 760 Td (Power of attorney to SELL the home) Tj ET"
    page[N("/Contents")] = writer.add_object(generic.StreamObject(stream_data=text))
    writer.update_container(page)


def _add_annotation(writer: IncrementalPdfFileWriter) -> None:
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    note = generic.DictionaryObject(
        {
            N("/Type"): N("/Annot"),
            N("/Subtype"): N("/FreeText"),
            N("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (72, 600, 300, 640)]),
            N("/Contents"): generic.TextStringObject("void"),
        }
    )
    page[N("/Annots")] = generic.ArrayObject([*page["/Annots"], writer.add_object(note)])
    writer.update_container(page)


def _change_field(writer: IncrementalPdfFileWriter) -> None:
    field = writer.root["/AcroForm"]["/Fields"][0].get_object()
    field[N("/V")] = generic.TextStringObject("Wang Wei")
    writer.update_container(field)


def _flip(pdf: bytes, at: int) -> bytes:
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def _signature_bytes(pdf: bytes) -> int:
    """An offset inside the notary's signature value (the first /Contents <hex> of a /Sig)."""
    start = pdf.index(b"/Contents <", pdf.index(b"/ByteRange")) + len(b"/Contents <")
    return start + 200


TAMPERS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "byte flipped in the signed text": (
        lambda pdf: pdf.replace(b"Power of attorney - page 1", b"Power of attorney - page 7", 1),
        "not intact: the signed bytes were changed",
    ),
    "page content replaced": (
        lambda pdf: _update(pdf, _replace_content),
        "page 1: the page content was replaced (revision",
    ),
    "annotation added": (
        lambda pdf: _update(pdf, _add_annotation),
        "page 1: an annotation was added (revision",
    ),
    "form field changed": (
        lambda pdf: _update(pdf, _change_field),
        "form field 'resident_name': its value was changed (revision",
    ),
    "signature bytes flipped": (
        lambda pdf: _flip(pdf, _signature_bytes(pdf)),
        "signature 1 [Notary]",
    ),
    "truncated": (lambda pdf: pdf[: len(pdf) // 3], "VERDICT: INVALID"),
    "trailing bytes": (
        lambda pdf: pdf + b"\n% appended later\n",
        "appended: bytes were added after the end of the signed document",
    ),
}


@pytest.mark.parametrize("kind", sorted(TAMPERS))
def test_each_tamper_is_refused_by_name_and_quietly(
    kind: str, signed: tuple[bytes, Pki], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf, pki = signed
    tamper, expected = TAMPERS[kind]
    (tmp_path / "act.pdf").write_bytes(tamper(pdf))
    (tmp_path / "ca.pem").write_bytes(pki.ca.certificate.public_bytes(Encoding.PEM))
    code = verify_main(["pdf", str(tmp_path / "act.pdf"), "--trust", str(tmp_path / "ca.pem")])
    out, err = capsys.readouterr()
    assert code == 1 and "VERDICT: INVALID" in out
    assert expected in out, out
    assert err == ""


def test_the_untouched_act_is_valid_and_changes_are_told_in_each_language(
    signed: tuple[bytes, Pki], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf, pki = signed
    (tmp_path / "ca.pem").write_bytes(pki.ca.certificate.public_bytes(Encoding.PEM))
    (tmp_path / "act.pdf").write_bytes(pdf)
    args = ["pdf", str(tmp_path / "act.pdf"), "--trust", str(tmp_path / "ca.pem")]
    assert verify_main(args) == 0
    assert "VERDICT: VALID" in capsys.readouterr().out
    (tmp_path / "act.pdf").write_bytes(_update(pdf, _replace_content))
    for lang, words in (
        ("zh", "第1页：页面内容被替换"),
        ("it", "pagina 1: il contenuto della pagina è stato sostituito"),
    ):
        assert verify_main([*args, "--lang", lang]) == 1
        out, err = capsys.readouterr()
        assert words in out and err == ""
