"""PAdES signing end to end: resident (face + code), notary, seal; tampering caught by our
validator and by poppler's ``pdfsig``."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing.ca import authorize_resident_signing
from signing.errors import Conflict, Forbidden
from signing.pades import Placement, sign_as_resident, sign_as_resident_async, sign_pdf_async
from signing.totp import ConsentVerifier, InMemoryCodeStore, code_at, enrol
from signing.verify import validate_pdf_async
from tests.signing_support.pdfs import make_pdf
from tests.signing_support.pki import FaceOk, Pki, make_pki

PDFSIG = shutil.which("pdfsig")
needs_pdfsig = pytest.mark.skipif(PDFSIG is None, reason="poppler-utils (pdfsig) not installed")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    """One document signed by resident, notary and seal, shared by the read-only tests."""
    return asyncio.run(fully_signed(pki))


async def resident_signs(pki: Pki, pdf: bytes, session: str = "S-1") -> bytes:
    now = datetime.now(UTC)
    doc = hashlib.sha256(pdf).digest()
    enrolment = enrol("R-100")
    verifier = ConsentVerifier(InMemoryCodeStore())
    challenge = verifier.open_challenge(
        account="R-100", session_id=session, document_sha256=doc, at=now
    )
    consent = await verifier.accept(
        challenge,
        secret=enrolment.secret,
        code=code_at(enrolment.secret, now),
        document_sha256=doc,
        at=now,
    )
    face = FaceOk(session_id=session, subject="R-100", matched=True, decided_at=now)
    auth = authorize_resident_signing(
        face=face,
        consent=consent,
        resident_id="R-100",
        resident_name="Zhang San",
        document_sha256=doc,
        at=now,
    )
    return await sign_as_resident_async(
        pdf, ca=pki.ca, authorization=auth, at=now, timestamper=pki.timestamper()
    )


async def fully_signed(pki: Pki, pages: int = 1, title: str = "Power of attorney") -> bytes:
    pdf = await resident_signs(pki, make_pdf(pages, title))
    pdf = await sign_pdf_async(
        pdf,
        signer=pki.signer("notary-li"),
        field="Notary",
        timestamper=pki.timestamper(),
        reason="Notarized",
        placement=Placement(slot=1),
    )
    return await sign_pdf_async(
        pdf,
        signer=pki.signer("hub-seal"),
        field="Seal",
        timestamper=pki.timestamper(),
        reason="Sealed",
        placement=Placement(slot=2),
    )


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    assert PDFSIG is not None
    run = subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, timeout=60)
    # pdfsig exits 0 whenever it could read the signatures, tampered or not: the verdict is
    # in its report, which the tests read line by line
    assert run.returncode == 0, run.stderr
    return run.stdout


def now() -> datetime:
    return datetime.now(UTC)


async def test_resident_notary_and_seal_each_sign_with_their_own_certificate(
    pki: Pki, signed: bytes
) -> None:
    pdf = signed
    status = await validate_pdf_async(pdf, trust_roots=[pki.ca.certificate], at=now())
    assert status.ok, status
    assert status.signer_roles() == ["resident", "notary", "seal"]
    assert [s.signer for s in status.signatures] == [
        "Zhang San",
        "Li Wei",
        "Wencheng Overseas Service Centre",
    ]
    for s in status.signatures:
        assert (s.intact, s.valid, s.trusted, s.timestamp_trusted) == (True, True, True, True)
        assert s.timestamped_at is not None


@needs_pdfsig
async def test_pdfsig_agrees_the_three_signatures_are_valid(
    pki: Pki, signed: bytes, tmp_path: Path
) -> None:
    out = pdfsig(signed, tmp_path)
    assert out.count("Signature Validation: Signature is Valid.") == 3, out
    assert "Signer full Distinguished Name: serialNumber=R-100,CN=Zhang San,OU=resident" in out
    assert "serialNumber=N-0007,CN=Li Wei,OU=notary" in out
    assert out.count("Signature Type: ETSI.CAdES.detached") == 3
    # pdfsig does not know our root, so it reports the issuer as untrusted for each of them
    assert out.count("Certificate issuer isn't Trusted.") == 3
    # the last signature covers the whole file
    assert out.split("Signature #3:")[1].count("Total document signed") == 1


async def test_a_validator_trusting_another_ca_says_not_trusted(pki: Pki, tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other", name="Some Other CA")
    pdf = await sign_pdf_async(
        make_pdf(1),
        signer=pki.signer("notary-li"),
        field="Notary",
        timestamper=pki.timestamper(),
        reason="Notarized",
    )
    status = await validate_pdf_async(pdf, trust_roots=[other.ca.certificate], at=now())
    sig = status.signatures[0]
    assert (sig.intact, sig.valid, sig.trusted) == (True, True, False)
    assert any(f.startswith("not trusted") for f in sig.failures)


def flip_text_byte(pdf: bytes) -> bytes:
    where = pdf.index(b"Power of attorney") + 3
    flipped = bytearray(pdf)
    flipped[where] ^= 0x01  # 'e' -> 'd': same length, the PDF still parses
    return bytes(flipped)


async def test_a_flipped_byte_is_caught(pki: Pki, signed: bytes) -> None:
    status = await validate_pdf_async(
        flip_text_byte(signed), trust_roots=[pki.ca.certificate], at=now()
    )
    assert not status.ok
    for s in status.signatures:
        assert not s.intact
        assert "not intact" in s.failures[0]


@needs_pdfsig
async def test_pdfsig_catches_the_flipped_byte(pki: Pki, signed: bytes, tmp_path: Path) -> None:
    out = pdfsig(flip_text_byte(signed), tmp_path)
    assert "Signature is Valid" not in out, out
    assert out.count("Digest Mismatch") + out.count("Signature is Invalid") >= 3, out


def append_update(pdf: bytes) -> bytes:
    """An incremental update after the last signature that adds text to page 1."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    extra = generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 700 Td (Fee: 90000 EUR) Tj ET")
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), writer.add_object(extra)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_an_update_appended_after_the_last_signature_is_caught(
    pki: Pki, signed: bytes
) -> None:
    tampered = append_update(signed)
    assert tampered.startswith(signed)
    status = await validate_pdf_async(tampered, trust_roots=[pki.ca.certificate], at=now())
    assert not status.ok
    last = status.signatures[-1]
    assert last.intact and last.valid and last.trusted  # the signature itself is fine...
    assert not last.unmodified  # ...but the document is not what was signed
    assert any(f.startswith("appended") for f in last.failures)
    assert all(any(f.startswith("modified") for f in s.failures) for s in status.signatures)


@needs_pdfsig
async def test_pdfsig_reports_the_appended_update(pki: Pki, signed: bytes, tmp_path: Path) -> None:
    out = pdfsig(append_update(signed), tmp_path)
    assert "Total document signed" not in out.split("Signature #3:")[1], out
    assert out.count("Not total document signed") == 3, out


def swap_last_signature(target: bytes, donor: bytes) -> bytes:
    """Put the donor's last /Contents (same reserved size) into the target's last one."""

    def last_contents(pdf: bytes) -> tuple[int, int]:
        ranges = re.findall(rb"/ByteRange \[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
        _, start_len, stop, _ = (int(x) for x in ranges[-1])
        return start_len, stop

    a0, a1 = last_contents(target)
    b0, b1 = last_contents(donor)
    assert a1 - a0 == b1 - b0
    return target[:a0] + donor[b0:b1] + target[a1:]


async def test_a_swapped_signature_is_caught(pki: Pki, signed: bytes, tmp_path: Path) -> None:
    donor = await sign_pdf_async(
        make_pdf(1, "Declaration of kinship"),
        signer=pki.signer("hub-seal"),
        field="Seal",
        timestamper=pki.timestamper(),
        reason="Sealed",
    )
    target = signed
    swapped = swap_last_signature(target, donor)
    status = await validate_pdf_async(swapped, trust_roots=[pki.ca.certificate], at=now())
    seal = status.signatures[-1]
    assert seal.role == "seal" and not seal.intact and not status.ok
    assert [s.ok for s in status.signatures[:2]] == [True, True]
    if PDFSIG:
        out = pdfsig(swapped, tmp_path).split("Signature #3:")[1]
        assert "Signature is Valid" not in out, out


async def test_resident_cannot_sign_without_face_and_code(pki: Pki) -> None:
    pdf = make_pdf(1)
    doc = hashlib.sha256(pdf).digest()
    t = now()
    face = FaceOk("S-1", "R-100", True, t)
    with pytest.raises(Forbidden) as err:
        authorize_resident_signing(
            face=face,
            consent=None,
            resident_id="R-100",
            resident_name="Zhang San",
            document_sha256=doc,
            at=t,
        )
    assert err.value.code == "signing.code_required"
    enrolment = enrol("R-100")
    verifier = ConsentVerifier(InMemoryCodeStore())
    challenge = verifier.open_challenge(
        account="R-100", session_id="S-1", document_sha256=doc, at=t
    )
    consent = await verifier.accept(
        challenge,
        secret=enrolment.secret,
        code=code_at(enrolment.secret, t),
        document_sha256=doc,
        at=t,
    )
    cases = {
        "signing.face_required": dict(face=None),
        "signing.face_required ": dict(face=FaceOk("S-1", "R-100", False, t)),
        "signing.face_required  ": dict(face=FaceOk("S-1", "R-999", True, t)),
        "signing.session_mismatch": dict(face=FaceOk("S-2", "R-100", True, t)),
        "signing.authorization_expired": dict(
            face=FaceOk("S-1", "R-100", True, t - timedelta(minutes=11))
        ),
        "signing.document_mismatch": dict(document_sha256=hashlib.sha256(b"other").digest()),
    }
    for code, override in cases.items():
        kwargs = (
            dict(
                face=face,
                consent=consent,
                resident_id="R-100",
                resident_name="Zhang San",
                document_sha256=doc,
                at=t,
            )
            | override
        )
        with pytest.raises(Forbidden) as err:
            authorize_resident_signing(**kwargs)  # type: ignore[arg-type]
        assert err.value.code == code.strip()
    auth = authorize_resident_signing(
        face=face,
        consent=consent,
        resident_id="R-100",
        resident_name="Zhang San",
        document_sha256=doc,
        at=t,
    )
    with pytest.raises(Conflict):
        sign_as_resident(
            make_pdf(1, "Another document"),
            ca=pki.ca,
            authorization=auth,
            at=t,
            timestamper=pki.timestamper(),
        )
    with pytest.raises(Forbidden) as err:
        pki.ca.resident_signer(auth, at=t + timedelta(minutes=11))
    assert err.value.code == "signing.authorization_expired"


async def test_the_one_time_key_signs_once_and_is_gone(pki: Pki) -> None:
    pdf = make_pdf(1)
    t = now()
    signed = await resident_signs(pki, pdf)
    assert (await validate_pdf_async(signed, trust_roots=[pki.ca.certificate], at=t)).ok
    from signing.ca import EphemeralSigner

    consent_pdf = make_pdf(1, "Second")
    # a signer that has signed once refuses a second document
    doc = hashlib.sha256(consent_pdf).digest()
    enrolment = enrol("R-100")
    verifier = ConsentVerifier(InMemoryCodeStore())
    ch = verifier.open_challenge(account="R-100", session_id="S-9", document_sha256=doc, at=t)
    consent = await verifier.accept(
        ch, secret=enrolment.secret, code=code_at(enrolment.secret, t), document_sha256=doc, at=t
    )
    auth = authorize_resident_signing(
        face=FaceOk("S-9", "R-100", True, t),
        consent=consent,
        resident_id="R-100",
        resident_name="Zhang San",
        document_sha256=doc,
        at=t,
    )
    signer = pki.ca.resident_signer(auth, at=t)
    assert isinstance(signer, EphemeralSigner)
    await sign_pdf_async(
        consent_pdf, signer=signer, field="Resident", timestamper=pki.timestamper(), reason="Signed"
    )
    assert signer.destroyed
    with pytest.raises(Forbidden) as err:
        await sign_pdf_async(
            make_pdf(1, "Third"),
            signer=signer,
            field="Resident",
            timestamper=pki.timestamper(),
            reason="Signed",
        )
    assert err.value.code == "signing.key_destroyed"


async def test_a_key_that_is_not_the_certificates_makes_an_invalid_signature(pki: Pki) -> None:
    from asn1crypto import keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.signers import SimpleSigner

    from signing.ca import to_asn1

    mediator_key = pki.store.get_key("mediator-chen").private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    impostor = SimpleSigner(
        signing_cert=to_asn1(pki.store.get_certificate("notary-li")),
        signing_key=keys.PrivateKeyInfo.load(mediator_key),
        cert_registry=pki.signer("notary-li").cert_registry,
    )
    pdf = await sign_pdf_async(
        make_pdf(1),
        signer=impostor,
        field="Notary",
        timestamper=pki.timestamper(),
        reason="Notarized",
    )
    sig = (await validate_pdf_async(pdf, trust_roots=[pki.ca.certificate], at=now())).signatures[0]
    assert sig.intact and not sig.valid
    assert any(f.startswith("not valid") for f in sig.failures)


async def test_fifty_pages_signed_off_the_event_loop(pki: Pki) -> None:
    pdf = make_pdf(50)
    signed = await sign_pdf_async(
        pdf,
        signer=pki.signer("mediator-chen"),
        field="Mediator",
        timestamper=pki.timestamper(),
        reason="Mediation agreement",
        placement=Placement(page=-1),
    )
    status = await validate_pdf_async(signed, trust_roots=[pki.ca.certificate], at=now())
    assert status.ok and status.signer_roles() == ["mediator"]


def test_qiaolink_verify_pdf_gives_a_verdict(
    pki: Pki, signed: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives import serialization

    from common.cli import main

    trust = tmp_path / "ca.pem"
    trust.write_bytes(pki.ca.certificate.public_bytes(serialization.Encoding.PEM))
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(signed)
    bad.write_bytes(append_update(signed))
    assert main(["verify", "pdf", str(good), "--trust", str(trust)]) == 0
    out = capsys.readouterr().out
    assert "VERDICT: VALID" in out and out.count("-> OK") == 3 and "(resident)" in out
    assert main(["verify", "pdf", str(bad), "--trust", str(trust)]) == 1
    out = capsys.readouterr().out
    assert "VERDICT: INVALID" in out and "appended: content was added after the last" in out
