"""Key store, certificate authority and timestamp authority."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import core, tsp
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from common.clock import FixedClock
from signing.ca import CertificateAuthority, ResidentAuthorization, Role
from signing.errors import Conflict, Invalid, NotFound
from signing.keystore import FileKeyStore
from signing.tsa import QIAOLINK_TSA_POLICY, TimestampAuthority, TsaTimeStamper

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PASS = b"correct horse battery staple"


def test_keys_are_encrypted_on_disk_and_owner_only(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys", PASS)
    key = ec.generate_private_key(ec.SECP256R1())
    store.put_key("notary-li", key)
    path = tmp_path / "keys" / "notary-li.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    again = store.get_key("notary-li")
    assert isinstance(again, ec.EllipticCurvePrivateKey)
    assert again.private_numbers() == key.private_numbers()
    assert "correct horse" not in repr(store)


def test_keystore_refuses_wrong_passphrase_overwrite_missing_and_bad_names(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, PASS)
    store.put_key("seal", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(Conflict):
        store.put_key("seal", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(Invalid) as err:
        FileKeyStore(tmp_path, b"a different passphrase!").get_key("seal")
    assert err.value.code == "keystore.locked"
    with pytest.raises(NotFound):
        store.get_key("nobody")
    with pytest.raises(Invalid):
        store.get_key("../etc/passwd")
    with pytest.raises(ValueError):
        FileKeyStore(tmp_path, b"short")


def test_passphrase_file_must_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "pass"
    secret.write_bytes(PASS + b"\n")
    secret.chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        FileKeyStore.from_passphrase_file(tmp_path / "k", secret)
    secret.chmod(0o600)
    FileKeyStore.from_passphrase_file(tmp_path / "k", secret).put_key(
        "x", ec.generate_private_key(ec.SECP256R1())
    )


def test_ca_is_created_once_and_reopened(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, PASS)
    first = CertificateAuthority.open(store, name="Qiaolink Hub CA", at=T0)
    second = CertificateAuthority.open(store, name="ignored", at=T0 + timedelta(days=1))
    assert first.certificate == second.certificate
    assert first.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


@pytest.mark.parametrize("role", [Role.NOTARY, Role.MEDIATOR, Role.SEAL, Role.NODE, Role.TSA])
def test_each_role_gets_its_own_certificate_from_the_ca(tmp_path: Path, role: Role) -> None:
    store = FileKeyStore(tmp_path, PASS)
    ca = CertificateAuthority.open(store, name="Qiaolink Hub CA", at=T0)
    cert = ca.enrol(store, role=role, key_name="k", common_name="Someone", ident="ID-1", at=T0)
    cert.verify_directly_issued_by(ca.certificate)
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == role
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "ID-1"
    key = store.get_key("k")
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert cert.public_key() == key.public_key()
    eku = [e for e in cert.extensions if isinstance(e.value, x509.ExtendedKeyUsage)]
    assert bool(eku) is (role is Role.TSA)
    if eku:
        assert list(eku[0].value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_residents_are_not_enrolled_and_authorizations_are_not_forged(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, PASS)
    ca = CertificateAuthority.open(store, name="Qiaolink Hub CA", at=T0)
    with pytest.raises(ValueError):
        ca.enrol(store, role=Role.RESIDENT, key_name="r", common_name="R", ident="R", at=T0)
    with pytest.raises(TypeError):
        ResidentAuthorization("R-1", "Zhang San", "S-1", b"\x00" * 32, T0)


def tsa(tmp_path: Path) -> TimestampAuthority:
    store = FileKeyStore(tmp_path, PASS)
    ca = CertificateAuthority.open(store, name="Qiaolink Hub CA", at=T0)
    ca.enrol(store, role=Role.TSA, key_name="tsa", common_name="TSA", ident="TSA-1", at=T0)
    key = store.get_key("tsa")
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return TimestampAuthority(
        key=key, certificate=store.get_certificate("tsa"), clock=FixedClock(T0)
    )


async def test_tsa_token_carries_the_imprint_time_and_nonce(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"document").digest()
    token = await TsaTimeStamper(tsa(tmp_path).respond_der).async_timestamp(digest, "sha256")
    signed = token["content"]
    tst = signed["encap_content_info"]["content"].parsed
    assert tst["message_imprint"]["hashed_message"].native == digest
    assert tst["gen_time"].native == T0
    assert tst["policy"].dotted == QIAOLINK_TSA_POLICY
    assert signed["certificates"][0].chosen.subject.native["common_name"] == "TSA"


async def test_tsa_accepts_an_async_transport(tmp_path: Path) -> None:
    authority = tsa(tmp_path)

    async def post(body: bytes) -> bytes:
        return authority.respond_der(body)

    token = await TsaTimeStamper(post).async_timestamp(b"\x01" * 32, "sha256")
    assert token["content_type"].native == "signed_data"


@pytest.mark.parametrize(
    ("request_der", "failure"),
    [
        (b"not asn.1 at all", "bad_data_format"),
        (
            tsp.TimeStampReq(
                {
                    "version": 1,
                    "message_imprint": {
                        "hash_algorithm": {"algorithm": "md5"},
                        "hashed_message": b"\x00" * 16,
                    },
                }
            ).dump(),
            "bad_alg",
        ),
        (
            tsp.TimeStampReq(
                {
                    "version": 1,
                    "message_imprint": {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "hashed_message": b"\x00" * 20,
                    },
                }
            ).dump(),
            "bad_data_format",
        ),
        (
            tsp.TimeStampReq(
                {
                    "version": 1,
                    "req_policy": "1.2.3.4",
                    "message_imprint": {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "hashed_message": b"\x00" * 32,
                    },
                }
            ).dump(),
            "unaccepted_policy",
        ),
    ],
)
def test_tsa_rejects_bad_requests_with_a_reason(
    tmp_path: Path, request_der: bytes, failure: str
) -> None:
    der = tsa(tmp_path).respond_der(request_der)
    assert len(core.Sequence.load(der)) == 1  # a status and no token
    status = tsp.PKIStatusInfo.load(core.Sequence.load(der)[0].dump())
    assert status["status"].native == "rejection"
    assert failure in status["fail_info"].native


async def test_the_timestamper_reports_a_refusal(tmp_path: Path) -> None:
    authority = tsa(tmp_path)
    refusing = TsaTimeStamper(lambda body: authority.respond_der(b"garbage"))
    with pytest.raises(TimestampRequestError, match="refused"):
        await refusing.async_timestamp(b"\x01" * 32, "sha256")
