"""Validation of signed PDFs: a frozen status per signature, intact / valid / trusted apart.

* ``intact`` — the signed byte ranges still hash to the digest in the signature;
* ``valid`` — the signature over that digest verifies with the certificate's key;
* ``trusted`` — the certificate chains to one of *our* trust roots (the hub CA) and was valid
  when the trusted timestamp says the document was signed;

plus the timestamp's own status and what happened to the document after each signature
(later revisions must be other signatures or form filling; nothing may follow the last one).
Each failure is named in ``failures`` in words a reviewer understands.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from asn1crypto import cms
from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from signing.ca import to_asn1
from signing.errors import N_, Invalid

__all__ = ["DocumentStatus", "SignatureStatus", "validate_pdf", "validate_pdf_async"]

_EXPLAINED = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)


@dataclass(frozen=True)
class SignatureStatus:
    field: str
    signer: str
    role: str
    intact: bool
    valid: bool
    trusted: bool
    timestamped_at: datetime | None
    timestamp_trusted: bool
    unmodified: bool
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class DocumentStatus:
    signatures: tuple[SignatureStatus, ...]
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures and all(s.ok for s in self.signatures)

    def signer_roles(self) -> list[str]:
        return [s.role for s in self.signatures]


def _timestamp_time(sig: EmbeddedPdfSignature) -> datetime | None:
    attrs = sig.signer_info["unsigned_attrs"]
    if not attrs.native:
        return None
    for attr in attrs:
        if attr["type"].native == "signature_time_stamp_token":
            token: cms.ContentInfo = attr["values"][0]
            tst = token["content"]["encap_content_info"]["content"].parsed
            when: datetime = tst["gen_time"].native
            return when
    return None


def _context(roots: Sequence[x509.Certificate], moment: datetime) -> ValidationContext:
    return ValidationContext(
        trust_roots=[to_asn1(r) for r in roots],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )


def _name_parts(status: PdfSignatureStatus) -> tuple[str, str]:
    subject = status.signing_cert.subject.native
    return str(subject.get("common_name", "?")), str(subject.get("organizational_unit_name", "?"))


def _check_one(
    sig: EmbeddedPdfSignature,
    roots: Sequence[x509.Certificate],
    at: datetime,
    last: bool,
    sealed_after: bool = False,
) -> SignatureStatus:
    ts_time = _timestamp_time(sig)
    status = validate_pdf_signature(
        sig,
        signer_validation_context=_context(roots, ts_time or at),
        ts_validation_context=_context(roots, at),
    )
    failures: list[str] = []
    if not status.intact:
        failures.append("not intact: the signed bytes were changed (digest mismatch)")
    elif not status.valid:
        failures.append("not valid: the signature does not verify with the signer's key")
    if not status.trusted:
        failures.append(
            "not trusted: the signer's certificate does not chain to a trusted root"
            f" ({status.trust_problem_indic})"
        )
    ts = status.timestamp_validity
    ts_ok = ts is not None and ts.intact and ts.valid and ts.trusted
    if ts is None:
        failures.append("no timestamp: the signature carries no timestamp token")
    elif not ts_ok:
        failures.append("timestamp not trusted: the timestamp token does not verify or chain")
    level = status.modification_level
    unmodified = level in _EXPLAINED and status.docmdp_ok is not False
    if not unmodified:
        failures.append(f"modified: the document was changed after this signature ({level})")
    # after the last signature only its long-term evidence may follow (DSS and a document
    # timestamp covering the whole file)
    archived = sealed_after and level == ModificationLevel.LTA_UPDATES
    if last and status.coverage != SignatureCoverageLevel.ENTIRE_FILE and not archived:
        unmodified = False
        failures.append("appended: content was added after the last signature")
    name, role = _name_parts(status)
    return SignatureStatus(
        sig.field_name,
        name,
        role,
        status.intact,
        status.valid,
        status.trusted,
        ts_time,
        ts_ok,
        unmodified,
        tuple(failures),
    )


def validate_pdf(
    pdf: bytes, *, trust_roots: Sequence[x509.Certificate], at: datetime
) -> DocumentStatus:
    """Validate every signature of ``pdf``; raises :class:`Invalid` only for a non-PDF."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except (PdfError, ValueError, KeyError, IndexError):
        raise Invalid("verify.not_a_pdf", N_("This file is not a readable PDF.")) from None
    if not embedded:
        return DocumentStatus((), ("unsigned: the document carries no signature",))
    sealed = _closed_by_timestamp(reader, trust_roots, at)
    statuses = []
    for i, sig in enumerate(embedded):
        try:
            last = i == len(embedded) - 1
            statuses.append(_check_one(sig, trust_roots, at, last=last, sealed_after=sealed))
        except (SignatureValidationError, PdfError, ValueError) as exc:
            statuses.append(
                SignatureStatus(
                    sig.field_name,
                    "?",
                    "?",
                    False,
                    False,
                    False,
                    None,
                    False,
                    False,
                    (f"unreadable: {exc}",),
                )
            )
    return DocumentStatus(tuple(statuses), ())


def _closed_by_timestamp(
    reader: PdfFileReader, roots: Sequence[x509.Certificate], at: datetime
) -> bool:
    """Whether the file ends with an intact, valid document timestamp, followed at most by the
    DSS update that carries the timestamp's own validation data."""
    every = list(reader.embedded_signatures)
    final = every[-1] if every else None
    if final is None or final.sig_object_type != "/DocTimeStamp":
        return False
    try:
        status = validate_pdf_timestamp(final, validation_context=_context(roots, at))
    except (SignatureValidationError, PdfError, ValueError):
        return False
    covered = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.modification_level == ModificationLevel.LTA_UPDATES
    )
    return bool(status.intact and status.valid and covered)


async def validate_pdf_async(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    at: datetime,
    executor: Executor | None = None,
) -> DocumentStatus:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        executor, partial(validate_pdf, pdf, trust_roots=trust_roots, at=at)
    )
