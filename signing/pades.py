"""PAdES signatures on PDFs with pyHanko: resident, then notary, then the hub seal.

Each signature is an incremental update (``ETSI.CAdES.detached`` with a signature timestamp from
the hub TSA) with a visible stamp naming the signer and the time. Given the CA's
:class:`~signing.ltv.LongTermEvidence`, it is PAdES baseline B-LTA: the chain and revocation
list go into the document security store and a document timestamp closes the revision, so the
signature still validates after its certificate ends; without it, B-T.
Signing is CPU work: call :func:`sign_pdf_async` / :func:`sign_as_resident_async` from the
event loop, which run the work in an executor.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer, SimpleSigner
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.ca import CertificateAuthority, ResidentAuthorization, to_asn1
from signing.errors import N_, Conflict
from signing.keystore import KeyStore
from signing.ltv import LongTermEvidence

__all__ = [
    "Placement",
    "sign_as_resident",
    "sign_as_resident_async",
    "sign_pdf",
    "sign_pdf_async",
    "signer_from_store",
]

RESERVED_BYTES = 16384  # room for the CMS blob with chain and timestamp token


@dataclass(frozen=True)
class Placement:
    """Where the visible stamp goes: page index (-1 = last) and slot 0, 1, 2 along the foot."""

    page: int = 0
    slot: int = 0

    def box(self) -> tuple[int, int, int, int]:
        left = 36 + 180 * self.slot
        return (left, 36, left + 170, 96)


def signer_from_store(
    store: KeyStore, key_name: str, *, chain: tuple[x509.Certificate, ...] = ()
) -> Signer:
    """A pyHanko signer for a staff or seal key kept in the key store."""
    key = store.get_key(key_name)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    for cert in chain:
        registry.register(to_asn1(cert))
    return SimpleSigner(
        signing_cert=to_asn1(store.get_certificate(key_name)),
        signing_key=keys.PrivateKeyInfo.load(der),
        cert_registry=registry,
    )


def sign_pdf(
    pdf: bytes,
    *,
    signer: Signer,
    field: str,
    timestamper: TimeStamper,
    reason: str,
    location: str = "Wencheng",
    placement: Placement = Placement(),
    evidence: LongTermEvidence | None = None,
) -> bytes:
    """Append one PAdES signature (with timestamp and visible stamp) to ``pdf``."""
    meta = PdfSignatureMetadata(
        field_name=field,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        embed_validation_info=evidence is not None,
        use_pades_lta=evidence is not None,
        validation_context=evidence.validation_context() if evidence else None,
    )
    stamp = TextStampStyle(stamp_text=f"{reason}\nSigned by: %(signer)s\nTime: %(ts)s")
    spec = fields.SigFieldSpec(field, on_page=placement.page, box=placement.box())
    pdf_signer = PdfSigner(
        meta, signer=signer, timestamper=timestamper, stamp_style=stamp, new_field_spec=spec
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = pdf_signer.sign_pdf(writer, bytes_reserved=RESERVED_BYTES)
    return bytes(out.getbuffer())


def sign_as_resident(
    pdf: bytes,
    *,
    ca: CertificateAuthority,
    authorization: ResidentAuthorization,
    at: datetime,
    timestamper: TimeStamper,
    field: str = "Resident",
    reason: str = "Signed by the applicant",
    placement: Placement = Placement(),
    evidence: LongTermEvidence | None = None,
) -> bytes:
    """The resident's signature: only on the exact document the code was given for."""
    if hashlib.sha256(pdf).digest() != authorization.document_sha256:
        raise Conflict(
            "signing.document_mismatch",
            N_("The one-time code was given for a different document."),
        )
    signer = ca.resident_signer(authorization, at=at)
    try:
        return sign_pdf(
            pdf,
            signer=signer,
            field=field,
            timestamper=timestamper,
            reason=reason,
            placement=placement,
            evidence=evidence,
        )
    finally:
        signer.destroy()


async def sign_pdf_async(
    pdf: bytes, *, executor: Executor | None = None, **kwargs: object
) -> bytes:
    """:func:`sign_pdf` off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, partial(sign_pdf, pdf, **kwargs))  # type: ignore[arg-type]


async def sign_as_resident_async(
    pdf: bytes, *, executor: Executor | None = None, **kwargs: object
) -> bytes:
    """:func:`sign_as_resident` off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        executor,
        partial(sign_as_resident, pdf, **kwargs),  # type: ignore[arg-type]
    )
