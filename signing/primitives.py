"""The signature checks every other module goes through, with our strictness rules.

* Ed25519 (tree heads, sealed messages): 32-byte public keys, 64-byte signatures exactly.
* ECDSA P-256 with SHA-256 (certificates, PDF signatures, recording manifests): a public key on
  P-256 only, and the signature in strict DER (re-encoding must give the same bytes, so no BER
  variants, no padded integers, no trailing garbage).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "ecdsa_p256_sign",
    "ecdsa_p256_verify",
    "ed25519_public_bytes",
    "ed25519_sign",
    "ed25519_verify",
    "load_ed25519_public",
]


def load_ed25519_public(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def ed25519_public_bytes(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed25519_sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    return key.sign(message)


def ed25519_verify(key: Ed25519PublicKey | bytes, message: bytes, signature: bytes) -> bool:
    try:
        pub = load_ed25519_public(key) if isinstance(key, bytes) else key
    except ValueError:
        return False
    if len(signature) != 64:
        return False
    try:
        pub.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def ecdsa_p256_sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("ECDSA keys here are on P-256")
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def ecdsa_p256_verify(
    key: ec.EllipticCurvePublicKey | bytes, message: bytes, signature: bytes
) -> bool:
    """``key`` is a public key object or its DER SubjectPublicKeyInfo."""
    try:
        pub = serialization.load_der_public_key(key) if isinstance(key, bytes) else key
    except ValueError:
        return False
    if not isinstance(pub, ec.EllipticCurvePublicKey) or not isinstance(pub.curve, ec.SECP256R1):
        return False
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        return False
    if encode_dss_signature(r, s) != signature:
        return False
    try:
        pub.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
