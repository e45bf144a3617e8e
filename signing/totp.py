"""Consent by one-time code: TOTP enrolment, and a code bound to one document, accepted once.

A resident enrols an authenticator app from an ``otpauth://`` URI (shown as a QR code). To
sign, the hub opens a :class:`ConsentChallenge` for one session and one document hash; the
resident types the code; :meth:`ConsentVerifier.accept` returns a :class:`ConsentProof` only if

* the code is exactly ``digits`` ASCII digits (Arabic-Indic, full-width and other Unicode
  digits are refused, not normalised),
* the challenge is still open and names the same document hash,
* the account is not locked out by recent failures,
* the code matches a time step in the allowed window that is *later* than the last accepted
  step, and the store's compare-and-set of that step succeeds (a second use fails, also when
  two requests race).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import pyotp
import qrcode

from signing.errors import N_, Conflict, Forbidden, Invalid

__all__ = [
    "ConsentChallenge",
    "ConsentProof",
    "ConsentVerifier",
    "Enrolment",
    "InMemoryCodeStore",
    "OneTimeCodeStore",
    "TotpPolicy",
    "code_at",
    "enrol",
    "hotp_code",
]

ASCII_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class TotpPolicy:
    digits: int = 6
    period: int = 30
    algorithm: str = "sha1"
    window: int = 1  # time steps accepted either side of now (clock drift)
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    challenge_ttl: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Enrolment:
    account: str
    secret: str  # base32, kept encrypted at rest by the caller
    uri: str
    qr_png: bytes


def _digest(algorithm: str) -> Any:
    if algorithm not in ("sha1", "sha256", "sha512"):
        raise ValueError(f"unsupported TOTP algorithm {algorithm!r}")
    return getattr(hashlib, algorithm)


def _totp(secret: str, policy: TotpPolicy) -> pyotp.TOTP:
    digest = _digest(policy.algorithm)
    return pyotp.TOTP(secret, digits=policy.digits, interval=policy.period, digest=digest)


def enrol(
    account: str,
    *,
    issuer: str = "Qiaolink",
    policy: TotpPolicy = TotpPolicy(),
    secret: str | None = None,
) -> Enrolment:
    """A fresh 160-bit secret, its otpauth URI and the URI as a QR code (PNG)."""
    secret = secret or pyotp.random_base32(32)
    uri = _totp(secret, policy).provisioning_uri(name=account, issuer_name=issuer)
    image = qrcode.make(uri)
    buf = io.BytesIO()
    image.save(buf)
    return Enrolment(account, secret, uri, buf.getvalue())


def hotp_code(secret: str, counter: int, *, digits: int = 6, algorithm: str = "sha1") -> str:
    """RFC 4226 HOTP value of ``counter``."""
    return pyotp.HOTP(secret, digits=digits, digest=_digest(algorithm)).at(counter)


def code_at(secret: str, at: datetime, policy: TotpPolicy = TotpPolicy()) -> str:
    """RFC 6238 TOTP value at a (timezone-aware) moment."""
    return hotp_code(secret, _step(at, policy), digits=policy.digits, algorithm=policy.algorithm)


def _step(at: datetime, policy: TotpPolicy) -> int:
    if at.tzinfo is None:
        raise ValueError("times are timezone-aware")
    return int(at.timestamp()) // policy.period


@dataclass(frozen=True)
class ConsentChallenge:
    account: str
    session_id: str
    document_sha256: bytes
    opened_at: datetime


_MINTED = object()


@dataclass(frozen=True)
class ConsentProof:
    """What a certificate authority needs to see: this account consented to this document."""

    account: str
    session_id: str
    document_sha256: bytes
    time_step: int
    accepted_at: datetime
    _mint: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._mint is not _MINTED:
            raise TypeError("a ConsentProof is made by ConsentVerifier.accept only")


class OneTimeCodeStore(Protocol):
    """Per-account state. A database adapter implements ``claim_step`` as one
    ``UPDATE … SET last_step = :step WHERE account = :a AND last_step IS NOT DISTINCT FROM
    :previous`` (or an insert for the first use) and reports whether a row changed."""

    async def last_step(self, account: str) -> int | None: ...

    async def claim_step(self, account: str, *, previous: int | None, step: int) -> bool: ...

    async def failures_since(self, account: str, since: datetime) -> int: ...

    async def add_failure(self, account: str, at: datetime) -> None: ...

    async def clear_failures(self, account: str) -> None: ...


@dataclass
class InMemoryCodeStore:
    steps: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[datetime]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def last_step(self, account: str) -> int | None:
        return self.steps.get(account)

    async def claim_step(self, account: str, *, previous: int | None, step: int) -> bool:
        async with self._lock:
            if self.steps.get(account) != previous:
                return False
            self.steps[account] = step
            return True

    async def failures_since(self, account: str, since: datetime) -> int:
        return sum(1 for at in self.failures.get(account, []) if at >= since)

    async def add_failure(self, account: str, at: datetime) -> None:
        self.failures.setdefault(account, []).append(at)

    async def clear_failures(self, account: str) -> None:
        self.failures.pop(account, None)


class ConsentVerifier:
    def __init__(self, store: OneTimeCodeStore, policy: TotpPolicy = TotpPolicy()) -> None:
        self._store = store
        self._policy = policy

    def open_challenge(
        self, *, account: str, session_id: str, document_sha256: bytes, at: datetime
    ) -> ConsentChallenge:
        if len(document_sha256) != 32:
            raise ValueError("a document hash is 32 bytes (SHA-256)")
        return ConsentChallenge(account, session_id, document_sha256, at)

    async def accept(
        self,
        challenge: ConsentChallenge,
        *,
        secret: str,
        code: str,
        document_sha256: bytes,
        at: datetime,
    ) -> ConsentProof:
        account = challenge.account
        await self._refuse_if_locked(account, at)
        self._check_challenge(challenge, document_sha256, at)
        digits = code.strip()
        if len(digits) != self._policy.digits or not set(digits) <= ASCII_DIGITS:
            await self._store.add_failure(account, at)
            raise Invalid(
                "totp.malformed",
                N_("Enter the {digits}-digit code using the digits 0 to 9."),
                params={"digits": self._policy.digits},
            )
        step = self._matching_step(secret, digits, at)
        if step is None:
            await self._store.add_failure(account, at)
            raise Forbidden("totp.wrong_code", N_("The one-time code is not correct."))
        previous = await self._store.last_step(account)
        if previous is not None and step <= previous:
            raise Conflict("totp.reused", N_("This one-time code has already been used."))
        if not await self._store.claim_step(account, previous=previous, step=step):
            raise Conflict("totp.reused", N_("This one-time code has already been used."))
        await self._store.clear_failures(account)
        return ConsentProof(
            account, challenge.session_id, challenge.document_sha256, step, at, _MINTED
        )

    async def _refuse_if_locked(self, account: str, at: datetime) -> None:
        recent = await self._store.failures_since(account, at - self._policy.lockout)
        if recent >= self._policy.max_failures:
            raise Forbidden(
                "totp.locked",
                N_("Too many wrong codes. Try again in {minutes} minutes."),
                status=429,
                params={"minutes": int(self._policy.lockout.total_seconds() // 60)},
            )

    def _check_challenge(self, challenge: ConsentChallenge, document: bytes, at: datetime) -> None:
        if at - challenge.opened_at > self._policy.challenge_ttl or at < challenge.opened_at:
            raise Conflict(
                "totp.challenge_expired",
                N_("The signing request has expired. Please start again."),
            )
        if document != challenge.document_sha256:
            raise Conflict(
                "totp.document_changed",
                N_("The document changed after the code was requested. Please start again."),
            )

    def _matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        now = _step(at, self._policy)
        p = self._policy
        for step in range(now - p.window, now + p.window + 1):
            expected = hotp_code(secret, step, digits=p.digits, algorithm=p.algorithm)
            if pyotp.utils.strings_equal(expected, code):
                return step
        return None
