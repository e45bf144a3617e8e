"""One-time codes: RFC values, enrolment, and every trap a consent code must fail."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from signing.errors import Conflict, Forbidden, Invalid, SigningError
from signing.totp import (
    ConsentChallenge,
    ConsentVerifier,
    InMemoryCodeStore,
    TotpPolicy,
    code_at,
    enrol,
    hotp_code,
)

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_SECRETS = {
    "sha1": RFC_SECRET,
    "sha256": base64.b32encode(b"12345678901234567890123456789012").decode(),
    "sha512": base64.b32encode(b"1234567890" * 6 + b"1234").decode(),
}
DOC = hashlib.sha256(b"power of attorney").digest()
T0 = datetime(2025, 3, 1, 9, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("counter", "expected"),
    list(
        enumerate(
            [
                "755224",
                "287082",
                "359152",
                "969429",
                "338314",
                "254676",
                "287922",
                "162583",
                "399871",
                "520489",
            ]
        )
    ),
)
def test_rfc4226_hotp_values(counter: int, expected: str) -> None:
    assert hotp_code(RFC_SECRET, counter) == expected


@pytest.mark.parametrize(
    ("unix", "sha1", "sha256", "sha512"),
    [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ],
)
def test_rfc6238_totp_values(unix: int, sha1: str, sha256: str, sha512: str) -> None:
    at = datetime.fromtimestamp(unix, UTC)
    for algorithm, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        policy = TotpPolicy(digits=8, algorithm=algorithm)
        assert code_at(RFC_SECRETS[algorithm], at, policy) == expected


def test_enrolment_gives_an_otpauth_uri_and_a_png_qr_code() -> None:
    e = enrol("mario.rossi@milan", issuer="Qiaolink")
    assert e.uri.startswith("otpauth://totp/Qiaolink:mario.rossi%40milan?secret=")
    assert f"secret={e.secret}" in e.uri and "issuer=Qiaolink" in e.uri
    assert e.qr_png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(base64.b32decode(e.secret)) == 20
    assert enrol("x").secret != enrol("x").secret


def setup(store: InMemoryCodeStore | None = None) -> tuple[ConsentVerifier, ConsentChallenge]:
    verifier = ConsentVerifier(store or InMemoryCodeStore())
    challenge = verifier.open_challenge(account="r-1", session_id="s-1", document_sha256=DOC, at=T0)
    return verifier, challenge


async def accept(
    verifier: ConsentVerifier,
    challenge: ConsentChallenge,
    code: str,
    at: datetime = T0,
    doc: bytes = DOC,
):  # type: ignore[no-untyped-def]
    return await verifier.accept(
        challenge, secret=RFC_SECRET, code=code, document_sha256=doc, at=at
    )


async def test_a_correct_code_gives_a_proof_bound_to_the_document() -> None:
    verifier, challenge = setup()
    proof = await accept(verifier, challenge, code_at(RFC_SECRET, T0))
    assert (proof.account, proof.session_id, proof.document_sha256) == ("r-1", "s-1", DOC)
    assert proof.time_step == int(T0.timestamp()) // 30


async def test_the_previous_step_is_accepted_for_clock_drift_but_not_older() -> None:
    verifier, challenge = setup()
    await accept(verifier, challenge, code_at(RFC_SECRET, T0 - timedelta(seconds=30)))
    verifier, challenge = setup()
    with pytest.raises(Forbidden):
        await accept(verifier, challenge, code_at(RFC_SECRET, T0 - timedelta(seconds=90)))


async def test_a_code_is_accepted_once() -> None:
    verifier, challenge = setup()
    code = code_at(RFC_SECRET, T0)
    await accept(verifier, challenge, code)
    with pytest.raises(Conflict) as err:
        await accept(verifier, challenge, code, T0 + timedelta(seconds=5))
    assert err.value.code == "totp.reused"


async def test_an_older_code_after_a_newer_one_is_refused() -> None:
    verifier, challenge = setup()
    await accept(verifier, challenge, code_at(RFC_SECRET, T0))
    with pytest.raises(Conflict):
        await accept(verifier, challenge, code_at(RFC_SECRET, T0 - timedelta(seconds=30)))


class RacingStore(InMemoryCodeStore):
    """Yields between read and write so that two requests both read before either claims."""

    async def last_step(self, account: str) -> int | None:
        value = await super().last_step(account)
        await asyncio.sleep(0.01)
        return value


async def test_two_parallel_uses_of_one_code_let_exactly_one_through() -> None:
    verifier, challenge = setup(RacingStore())
    code = code_at(RFC_SECRET, T0)
    results = await asyncio.gather(
        accept(verifier, challenge, code),
        accept(verifier, challenge, code),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert [r.code for r in results if isinstance(r, SigningError)] == ["totp.reused"]


@pytest.mark.parametrize(
    "digits",
    ["١٢٣٤٥٦", "۱۲۳۴۵۶", "１２３４５６", "१२३४५६", "12345", "1234567", "12 456", "12a456", ""],
)
async def test_non_ascii_digits_and_wrong_shapes_are_refused(digits: str) -> None:
    verifier, challenge = setup()
    with pytest.raises(Invalid) as err:
        await accept(verifier, challenge, digits)
    assert err.value.code == "totp.malformed"


async def test_the_right_code_in_arabic_indic_digits_is_still_refused() -> None:
    verifier, challenge = setup()
    code = code_at(RFC_SECRET, T0)
    arabic = "".join(chr(0x0660 + int(c)) for c in code)
    assert int(arabic) == int(code)  # Python would happily read it as a number
    with pytest.raises(Invalid):
        await accept(verifier, challenge, arabic)


async def test_a_code_for_another_document_or_an_expired_request_is_refused() -> None:
    verifier, challenge = setup()
    other = hashlib.sha256(b"a different document").digest()
    with pytest.raises(Conflict) as err:
        await accept(verifier, challenge, code_at(RFC_SECRET, T0), doc=other)
    assert err.value.code == "totp.document_changed"
    late = T0 + timedelta(minutes=6)
    with pytest.raises(Conflict) as err:
        await accept(verifier, challenge, code_at(RFC_SECRET, late), at=late)
    assert err.value.code == "totp.challenge_expired"


async def test_failures_lock_the_account_out_even_for_the_right_code_then_release() -> None:
    verifier, challenge = setup()
    for i in range(5):
        with pytest.raises(Forbidden):
            await accept(
                verifier,
                challenge,
                "000000" if code_at(RFC_SECRET, T0) != "000000" else "111111",
                T0 + timedelta(seconds=i),
            )
    with pytest.raises(Forbidden) as err:
        await accept(verifier, challenge, code_at(RFC_SECRET, T0), T0 + timedelta(seconds=10))
    assert err.value.code == "totp.locked" and err.value.status == 429
    later = T0 + timedelta(minutes=16)
    fresh = verifier.open_challenge(account="r-1", session_id="s-2", document_sha256=DOC, at=later)
    proof = await verifier.accept(
        fresh, secret=RFC_SECRET, code=code_at(RFC_SECRET, later), document_sha256=DOC, at=later
    )
    assert proof.session_id == "s-2"


async def test_malformed_codes_count_towards_the_lockout() -> None:
    verifier, challenge = setup()
    for _ in range(5):
        with pytest.raises(Invalid):
            await accept(verifier, challenge, "１２３４５６")
    with pytest.raises(Forbidden) as err:
        await accept(verifier, challenge, code_at(RFC_SECRET, T0))
    assert err.value.code == "totp.locked"
