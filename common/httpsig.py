"""Signed HTTP requests between our services and the provincial platform.

RFC 9421 HTTP Message Signatures (through the ``http-message-signatures`` library) over the
method, the authority (host and port), the path, the query and an RFC 9530 ``Content-Digest`` of
the body, and over the ``Idempotency-Key`` header whenever a request carries one, with the
signature's ``created`` time and a ``nonce``; Ed25519 keys. Nothing that decides what a request
does can be changed in flight: a ``?x=1`` added, another host, another idempotency key. The
verifier checks freshness against an injected clock; replay (a nonce seen before) is the
caller's check, on its own database.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)
from multidict import CIMultiDict

from common.clock import Clock
from common.errors import N_, DomainError

__all__ = [
    "COVERED",
    "PeerKeyFile",
    "RequestVerifier",
    "SignatureRefused",
    "VerifiedSignature",
    "load_or_create_key",
    "load_or_create_x25519_key",
    "load_public_key",
    "public_key_path",
    "sign_request",
]

COVERED = ("@method", "@authority", "@path", "@query", "content-digest")
# headers that are covered whenever they are present
COVERED_HEADERS = ("idempotency-key",)
LABEL = "qiaolink"


class SignatureRefused(DomainError):
    """The request's signature is missing, wrong, stale or replayed (HTTP 401)."""

    status = 401

    def __init__(self, reason: str) -> None:
        super().__init__(
            "signature.refused",
            N_("The request signature was refused: {reason}"),
            params={"reason": reason},
        )
        self.reason = reason


def public_key_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name.removesuffix(".pem") + ".pub.pem")


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The service's signing key; made on first start (private file 0600, public beside it)."""
    key = _load_or_create(path, Ed25519PrivateKey.generate)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds no Ed25519 private key")
    return key


def load_or_create_x25519_key(path: Path) -> X25519PrivateKey:
    """The service's key for receiving sealed messages; made on first start like the above."""
    key = _load_or_create(path, X25519PrivateKey.generate)
    if not isinstance(key, X25519PrivateKey):
        raise ValueError(f"{path} holds no X25519 private key")
    return key


def _load_or_create(path: Path, generate: Callable[[], Any]) -> Any:
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written aside, then linked into place: instances starting together on one shared data
    # directory see either no key or a whole one, and all end up with the same key.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    try:
        os.link(partial, path)
    except FileExistsError:
        return load_or_create_key(path)  # another instance won: use its key
    finally:
        partial.unlink()
    public_key_path(path).write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} holds no Ed25519 public key")
    return key


class PeerKeyFile:
    """The one peer's public key, for a :class:`RequestVerifier`, read from its file once the
    file exists (the peer may start after us and write it then)."""

    def __init__(self, key_id: str, path: Path) -> None:
        self.key_id, self.path = key_id, path
        self._key: Ed25519PublicKey | None = None

    def __call__(self, key_id: str) -> Ed25519PublicKey | None:
        if key_id != self.key_id:
            return None
        if self._key is None and self.path.exists():
            self._key = load_public_key(self.path)
        return self._key


@dataclass
class _Message:
    """What the library reads from a request: method, absolute URL and headers."""

    method: str
    url: str
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)


def sign_request(
    *,
    method: str,
    url: str,
    body: bytes,
    key: Ed25519PrivateKey,
    key_id: str,
    created: datetime,
    nonce: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers to send with one request: ``headers`` (e.g. ``Idempotency-Key``, then
    covered) and Content-Digest, Signature-Input and Signature."""
    message = _Message(method.upper(), url, CIMultiDict(headers or {}))
    extra = [h for h in COVERED_HEADERS if h in message.headers]
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}),
    )
    signer.sign(
        message,
        key_id=key_id,
        created=created,
        nonce=nonce or secrets.token_urlsafe(18),
        label=LABEL,
        covered_component_ids=[*COVERED[:-1], *extra],
        body=body,  # the library adds Content-Digest and covers it
    )
    return dict(message.headers)


@dataclass(frozen=True)
class VerifiedSignature:
    key_id: str
    nonce: str
    created: datetime


class _Verifier(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        """Freshness is checked by :class:`RequestVerifier` against the injected clock."""
        if "created" not in sig_input.params:
            raise HTTPMessageSignaturesException('Signature is missing "created"')


class RequestVerifier:
    """Checks signature, digest and freshness; returns who signed and the nonce to dedup."""

    def __init__(
        self,
        keys: Callable[[str], Ed25519PublicKey | None],
        *,
        clock: Clock,
        max_age: timedelta = timedelta(minutes=5),
    ) -> None:
        self.keys = keys
        self.clock = clock
        self.max_age = max_age

    def verify(
        self, *, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> VerifiedSignature:
        message = _Message(method.upper(), url, CIMultiDict(headers))
        for name in ("Signature-Input", "Signature", "Content-Digest"):
            if name not in message.headers:
                raise SignatureRefused(f"the {name} header is missing")
        verifier = _Verifier(signature_algorithm=algorithms.ED25519, key_resolver=_Keys(self.keys))
        try:
            (result,) = verifier.verify(
                message,
                max_age=None,
                require_components=[
                    *COVERED,
                    *(h for h in COVERED_HEADERS if h in message.headers),
                ],
                body=body,
            )
        except (HTTPMessageSignaturesException, ValueError) as exc:
            raise SignatureRefused(str(exc) or type(exc).__name__) from None
        created = datetime.fromtimestamp(int(result.parameters["created"]), UTC)
        now = self.clock.now()
        if created < now - self.max_age:
            raise SignatureRefused("the signature is stale")
        if created > now + timedelta(seconds=30):
            raise SignatureRefused("the signature is dated in the future")
        if not result.nonce:
            raise SignatureRefused("the signature has no nonce")
        return VerifiedSignature(str(result.parameters["keyid"]), result.nonce, created)


class _Keys(MappingKeyResolver):
    def __init__(self, lookup: Callable[[str], Ed25519PublicKey | None]) -> None:
        super().__init__(public_keys={}, private_keys={})
        self.lookup = lookup

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        return self.lookup(key_id)
