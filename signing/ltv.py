"""Signatures that can still be checked when every certificate in them has expired (PAdES B-LTA).

A B-T signature proves when it was made, but a validator checking it after the signer's
certificate ends (a resident's lasts minutes) needs two more things, which pyHanko adds:

* the chain and the revocation list current at signing time, kept in the PDF's document
  security store (DSS), so nothing has to be fetched (B-LT);
* a document timestamp over all of it (B-LTA): proof that this evidence existed while it was
  still valid. Before the timestamp authority's certificate ends, :func:`extend_timestamps`
  adds the evidence of the last timestamp and a fresh one on top, and so on for as long as the
  act is archived.

:func:`long_term_status` validates each signature as ETSI EN 319 102-1 §5.6.3 describes it
(pyHanko's AdES LTA validation), offline, with revocation checking required, at any moment.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from signing.ca import to_asn1

__all__ = ["LongTermEvidence", "LongTermStatus", "extend_timestamps", "long_term_status"]

# pyHanko warns on every signature that it embeds revocation data without fetching any; that
# is exactly what we want (the hub hands it its own CRL), so the warning is noise in our logs.
logging.getLogger("pyhanko.sign.signers.pdf_signer").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko.sign.validation").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class LongTermEvidence:
    """What a B-LT signature embeds: the trust roots and the CA's current revocation lists."""

    trust_roots: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...]
    at: datetime | None = None  # the signing time (the hub's clock); None: the system clock

    def validation_context(self, at: datetime | None = None) -> ValidationContext:
        at = at or self.at
        return ValidationContext(
            trust_roots=[to_asn1(root) for root in self.trust_roots],
            crls=[crl.public_bytes(Encoding.DER) for crl in self.crls],
            allow_fetching=False,
            revocation_mode="hard-fail",
            moment=at,
        )


def extend_timestamps(
    pdf: bytes, *, timestamper: TimeStamper, evidence: LongTermEvidence, at: datetime
) -> bytes:
    """``pdf`` with the evidence of its last timestamp and a new document timestamp added."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    output = io.BytesIO()
    PdfTimeStamper(timestamper).update_archival_timestamp_chain(
        reader, evidence.validation_context(at), in_place=False, output=output
    )
    return output.getvalue()


@dataclass(frozen=True)
class LongTermStatus:
    field: str
    ok: bool
    indication: str  # the AdES sub-indication, e.g. "OK", "OUT_OF_BOUNDS_NO_POE"


def _spec(
    roots: Sequence[x509.Certificate], crls: Sequence[x509.CertificateRevocationList] = ()
) -> PdfSignatureValidationSpec:
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[to_asn1(r) for r in roots]),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy.from_legacy("hard-fail")),
    )
    gathering = RevocationInfoGatheringSpec(
        online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
    )
    known = LocalKnowledge(
        known_crls=[
            CRLContainer(asn1_crl.CertificateList.load(c.public_bytes(Encoding.DER))) for c in crls
        ]
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(policy, gathering, local_knowledge=known)
    )


def long_term_status(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    at: datetime,
    current_crls: Sequence[x509.CertificateRevocationList] = (),
) -> tuple[LongTermStatus, ...]:
    """Each signature validated at ``at`` from the PDF alone (no fetching), revocation required.

    Blocking, and runs its own event loop: call it from a thread or a command, not a coroutine.
    """
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    timing = ValidationTimingInfo(at, at, point_in_time_validation=False)
    out = []
    for sig in reader.embedded_regular_signatures:
        spec = _spec(trust_roots, current_crls)  # per signature: validation consumes it
        result = asyncio.run(ades_lta_validation(sig, spec, timing))
        indication = getattr(result.ades_subindic, "name", str(result.ades_subindic))
        passed = result.api_status is not None and result.api_status.bottom_line
        out.append(LongTermStatus(sig.field_name, bool(passed), indication))
    return tuple(out)
