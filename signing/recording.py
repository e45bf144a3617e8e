"""Sealed recordings: a signed manifest beside each archived recording file.

Manifest (JSON, version 1)::

    {"v": 1, "kind": "qiaolink.recording",
     "session_id": "...", "recorded_at": "<ISO 8601 with zone>",
     "file": {"name": "session.qlenv", "size": 123, "sha256": "<hex of the stored bytes>"},
     "envelope": {"format": "QLENV", "version": 1, "kek_id": "milan/v1"} | null,
     "certificate": "<PEM of the signing node's certificate>",
     "signature": "<base64 ECDSA P-256/SHA-256 over the canonical manifest without it>"}

Canonical = JSON with sorted keys, no spaces, UTF-8. The hash covers the bytes as stored
(envelope-encrypted or not), so an auditor checks integrity without any decryption key; the
``envelope`` block must agree with the stored file's own header.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signing.envelope import parse as parse_envelope
from signing.errors import SigningError
from signing.primitives import ecdsa_p256_sign, ecdsa_p256_verify

__all__ = [
    "MANIFEST_VERSION",
    "RecordingVerdict",
    "canonical",
    "check_signed",
    "check_stored",
    "seal_recording",
    "verify_recording",
]

MANIFEST_VERSION = 1


def canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal_recording(
    stored: bytes,
    *,
    name: str,
    session_id: str,
    recorded_at: datetime,
    key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
) -> dict[str, Any]:
    """The signed manifest of a stored recording (plain or envelope-encrypted bytes)."""
    if recorded_at.tzinfo is None:
        raise ValueError("times are timezone-aware")
    envelope = None
    if stored.startswith(b"QLENV"):
        env = parse_envelope(stored)
        envelope = {"format": "QLENV", "version": env.version, "kek_id": env.kek_id}
    manifest: dict[str, Any] = {
        "v": MANIFEST_VERSION,
        "kind": "qiaolink.recording",
        "session_id": session_id,
        "recorded_at": recorded_at.isoformat(),
        "file": {"name": name, "size": len(stored), "sha256": hashlib.sha256(stored).hexdigest()},
        "envelope": envelope,
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
    }
    manifest["signature"] = base64.b64encode(ecdsa_p256_sign(key, canonical(manifest))).decode()
    return manifest


@dataclass(frozen=True)
class RecordingVerdict:
    signer: str
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def _check_certificate(
    cert: x509.Certificate, roots: Sequence[x509.Certificate], at: datetime
) -> list[str]:
    for root in roots:
        try:
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            return ["certificate: not valid at the recording time"]
        units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
        if not units or units[0].value not in ("node", "seal"):
            return ["certificate: not a node or seal certificate"]
        return []
    return ["not trusted: the signing certificate is not issued by a trusted root"]


def check_signed(
    manifest: dict[str, Any], trust_roots: Sequence[x509.Certificate]
) -> tuple[str, list[str]]:
    """The signer's name, and what is wrong with the manifest's signature and certificate.
    A malformed manifest raises ``KeyError``, ``ValueError`` or ``TypeError``."""
    cert = x509.load_pem_x509_certificate(str(manifest["certificate"]).encode())
    signature = base64.b64decode(str(manifest["signature"]), validate=True)
    at = datetime.fromisoformat(str(manifest["recorded_at"]))
    signer = str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    failures: list[str] = []
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not ecdsa_p256_verify(
        public, canonical(unsigned), signature
    ):
        failures.append("signature: the manifest signature does not verify")
    return signer, failures + _check_certificate(cert, trust_roots, at)


def check_stored(file_info: dict[str, Any], envelope: Any, stored: bytes) -> list[str]:
    """What is wrong with ``stored`` against its manifest entry: size, hash, envelope."""
    failures: list[str] = []
    if file_info.get("size") != len(stored):
        failures.append("size: the file is not as long as the manifest says")
    if file_info.get("sha256") != hashlib.sha256(stored).hexdigest():
        failures.append("hash: the file's SHA-256 differs from the manifest")
    return failures + _check_envelope(envelope, stored)


def verify_recording(
    manifest: dict[str, Any], stored: bytes, *, trust_roots: Sequence[x509.Certificate]
) -> RecordingVerdict:
    """Check version, signature, certificate, hash, size and envelope metadata."""
    if manifest.get("v") != MANIFEST_VERSION or manifest.get("kind") != "qiaolink.recording":
        return RecordingVerdict("?", ("format: not a version 1 recording manifest",))
    try:
        signer, failures = check_signed(manifest, trust_roots)
        file_info = dict(manifest["file"])
    except (KeyError, ValueError, TypeError):
        return RecordingVerdict("?", ("format: the manifest is malformed",))
    failures += check_stored(file_info, manifest.get("envelope"), stored)
    return RecordingVerdict(signer, tuple(failures))


def _check_envelope(claimed: Any, stored: bytes) -> list[str]:
    if claimed is None:
        return (
            []
            if not stored.startswith(b"QLENV")
            else ["envelope: file is encrypted but the manifest says it is not"]
        )
    try:
        env = parse_envelope(stored)
    except SigningError:
        return ["envelope: the file is not a readable envelope"]
    actual = {"format": "QLENV", "version": env.version, "kek_id": env.kek_id}
    return [] if claimed == actual else ["envelope: metadata does not match the file's header"]
