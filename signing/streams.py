"""The sealed manifest of a recording made of named streams (the Janus media plane).

Each stream is its own stored file (envelope-encrypted or plain); the manifest names whose it
is and when it ran, and is signed as a whole, so renaming, dropping or swapping a stream, or
changing a byte of one, is refused. Manifest (JSON, version 1)::

    {"v": 1, "kind": "qiaolink.recording.streams",
     "session_id": "...", "recorded_at": "<ISO 8601 with zone>",
     "streams": [{"participant": "...", "role": "...", "kind": "audio" | "video",
                  "start": "<ISO 8601>", "end": "<ISO 8601>",
                  "file": {"name": "...", "size": 123, "sha256": "<hex of the stored bytes>"},
                  "envelope": {...} | null}, ...],
     "certificate": "<PEM>", "signature": "<base64 ECDSA P-256/SHA-256, canonical, without it>"}
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.envelope import parse as parse_envelope
from signing.primitives import ecdsa_p256_sign
from signing.recording import RecordingVerdict, canonical, check_signed, check_stored

__all__ = ["STREAMS_KIND", "seal_streams", "verify_streams"]

STREAMS_KIND = "qiaolink.recording.streams"


def _envelope(stored: bytes) -> dict[str, Any] | None:
    if not stored.startswith(b"QLENV"):
        return None
    env = parse_envelope(stored)
    return {"format": "QLENV", "version": env.version, "kek_id": env.kek_id}


def seal_streams(
    streams: Sequence[tuple[dict[str, str], str, bytes]],
    *,
    session_id: str,
    recorded_at: datetime,
    key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
) -> dict[str, Any]:
    """The signed manifest of ``streams``: (who/kind/start/end, stored name, stored bytes)."""
    if recorded_at.tzinfo is None:
        raise ValueError("times are timezone-aware")
    entries = []
    for about, name, stored in streams:
        entry: dict[str, Any] = {
            k: about[k] for k in ("participant", "role", "kind", "start", "end")
        }
        entry["file"] = {
            "name": name,
            "size": len(stored),
            "sha256": hashlib.sha256(stored).hexdigest(),
        }
        entry["envelope"] = _envelope(stored)
        entries.append(entry)
    manifest: dict[str, Any] = {
        "v": 1,
        "kind": STREAMS_KIND,
        "session_id": session_id,
        "recorded_at": recorded_at.isoformat(),
        "streams": entries,
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
    }
    manifest["signature"] = base64.b64encode(ecdsa_p256_sign(key, canonical(manifest))).decode()
    return manifest


def verify_streams(
    manifest: dict[str, Any],
    read: Callable[[str], bytes | None],
    *,
    trust_roots: Sequence[x509.Certificate],
) -> RecordingVerdict:
    """Check the signature, the certificate, and every stream's stored file (``read(name)``
    gives its bytes, or ``None`` when there is no file of that name)."""
    if manifest.get("v") != 1 or manifest.get("kind") != STREAMS_KIND:
        return RecordingVerdict("?", ("format: not a version 1 stream manifest",))
    try:
        signer, failures = check_signed(manifest, trust_roots)
        streams = [dict(s) for s in manifest["streams"]]
        files = [dict(s["file"]) for s in streams]
    except (KeyError, ValueError, TypeError):
        return RecordingVerdict("?", ("format: the manifest is malformed",))
    for stream, info in zip(streams, files, strict=True):
        label = f"stream {stream.get('participant')}/{stream.get('kind')} ({info.get('name')})"
        stored = read(str(info.get("name", "")))
        if stored is None:
            failures.append(f"{label}: no file of this name")
            continue
        failures += [f"{label}: {f}" for f in check_stored(info, stream.get("envelope"), stored)]
    return RecordingVerdict(signer, tuple(failures))
