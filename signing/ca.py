"""The hub's certificate authority: who may sign, with which certificate.

* Staff and machines (notaries, mediators, the hub seal, each node, the timestamp authority)
  get an ECDSA P-256 key in the :class:`~signing.keystore.KeyStore` and a certificate naming
  their role (``OU``) and their id (``serialNumber``) — :meth:`CertificateAuthority.enrol`.
* A resident gets a short-lived certificate for one signing only. Issuing it requires a
  :class:`ResidentAuthorization`, which only :func:`authorize_resident_signing` makes, and
  only from a matching face verification decision AND an accepted one-time code of the same
  session for the same document. The key lives inside an :class:`EphemeralSigner` that signs
  once and then wipes its copy of the key (Electronic Signature Law art. 13: the signature
  creation data is under the signer's sole control and used for that signature only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import N_, Forbidden
from signing.keystore import KeyStore
from signing.primitives import ecdsa_p256_sign
from signing.totp import ConsentProof

__all__ = [
    "CertificateAuthority",
    "EphemeralSigner",
    "FaceDecision",
    "ResidentAuthorization",
    "Role",
    "authorize_resident_signing",
    "to_asn1",
]


class Role(StrEnum):
    NOTARY = "notary"
    MEDIATOR = "mediator"
    SEAL = "seal"
    NODE = "node"
    TSA = "tsa"
    RESIDENT = "resident"
    CLERK = "clerk"  # a branch clerk, witness of a remote notarial session


VALIDITY = {
    Role.NOTARY: timedelta(days=730),
    Role.MEDIATOR: timedelta(days=730),
    Role.SEAL: timedelta(days=1095),
    Role.NODE: timedelta(days=730),
    Role.TSA: timedelta(days=3650),  # as long as the CA: archived acts lean on its timestamps
    Role.RESIDENT: timedelta(minutes=15),
    Role.CLERK: timedelta(days=730),
}
AUTHORIZATION_MAX_AGE = timedelta(minutes=10)


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _name(common_name: str, *, role: str, ident: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Qiaolink"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if ident:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, ident))
    return x509.Name(attrs)


CRL_LIFETIME = timedelta(days=7)  # a published CRL is good for a week; the hub makes it hourly


class CertificateAuthority:
    """Issues certificates; with ``crl_url`` set, each names where its revocation list is.

    The hub publishes the list at that URL (``/api/pki/crl``), and every B-LT signature embeds
    the list current when it was made, so a signature can be checked offline years later.
    """

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        certificate: x509.Certificate,
        crl_url: str | None = None,
    ) -> None:
        self._key = key
        self.certificate = certificate
        self.crl_url = crl_url

    def crl(
        self, *, at: datetime, revoked: tuple[int, ...] = (), lifetime: timedelta = CRL_LIFETIME
    ) -> x509.CertificateRevocationList:
        """The CA's revocation list as of ``at``, listing the ``revoked`` serial numbers."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(at - timedelta(minutes=1))
            .next_update(at + lifetime)
            .add_extension(x509.CRLNumber(int(at.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
        )
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build()
            )
        return builder.sign(self._key, hashes.SHA256())

    @classmethod
    def create(cls, *, name: str, at: datetime, years: int = 10) -> CertificateAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(name, role="ca")
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(at - timedelta(minutes=5))
            .not_valid_after(at + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @classmethod
    def open(
        cls, store: KeyStore, *, name: str, at: datetime, crl_url: str | None = None
    ) -> CertificateAuthority:
        """The CA kept in ``store`` under ``ca-root``; created there on first use."""
        if store.has_key("ca-root"):
            key = store.get_key("ca-root")
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError("ca-root is not an EC key")
            return cls(key, store.get_certificate("ca-root"), crl_url)
        ca = cls.create(name=name, at=at)
        store.put_key("ca-root", ca._key)
        store.put_certificate("ca-root", ca.certificate)
        return cls(ca._key, ca.certificate, crl_url)

    def issue(
        self,
        *,
        role: Role,
        common_name: str,
        ident: str,
        public_key: ec.EllipticCurvePublicKey,
        at: datetime,
    ) -> x509.Certificate:
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise ValueError("certificates here are for P-256 keys")
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, role=role.value, ident=ident))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(at - timedelta(minutes=1))
            .not_valid_after(at + VALIDITY[role])
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(signing=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
        )
        if self.crl_url:
            point = x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(self.crl_url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
            builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
        if role is Role.TSA:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        return builder.sign(self._key, hashes.SHA256())

    def enrol(
        self,
        store: KeyStore,
        *,
        role: Role,
        key_name: str,
        common_name: str,
        ident: str,
        at: datetime,
    ) -> x509.Certificate:
        """A new key for a notary, mediator, seal, node or TSA, kept in ``store``."""
        if role is Role.RESIDENT:
            raise ValueError("residents get one-time certificates through resident_signer")
        key = ec.generate_private_key(ec.SECP256R1())
        store.put_key(key_name, key)
        cert = self.issue(
            role=role, common_name=common_name, ident=ident, public_key=key.public_key(), at=at
        )
        store.put_certificate(key_name, cert)
        return cert

    def resident_signer(
        self, authorization: ResidentAuthorization, *, at: datetime
    ) -> EphemeralSigner:
        """A one-signature signer for the authorized resident; its key never leaves it."""
        authorization.check_fresh(at)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.issue(
            role=Role.RESIDENT,
            common_name=authorization.resident_name,
            ident=authorization.resident_id,
            public_key=key.public_key(),
            at=at,
        )
        return EphemeralSigner(key, cert, self.certificate, authorization)


def _usage(*, cert_sign: bool = False, signing: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


class FaceDecision(Protocol):
    """The identity verdict of one attempt (made on the node by the face library)."""

    @property
    def session_id(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def matched(self) -> bool: ...
    @property
    def decided_at(self) -> datetime: ...


_MINTED = object()


@dataclass(frozen=True)
class ResidentAuthorization:
    """Proof that face AND code agree on one resident, one session, one document."""

    resident_id: str
    resident_name: str
    session_id: str
    document_sha256: bytes
    authorized_at: datetime
    _mint: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._mint is not _MINTED:
            raise TypeError("a ResidentAuthorization is made by authorize_resident_signing only")

    def check_fresh(self, at: datetime) -> None:
        if not timedelta(0) <= at - self.authorized_at <= AUTHORIZATION_MAX_AGE:
            raise _refuse(
                "signing.authorization_expired",
                N_("The identity check for this signing has expired. Please verify again."),
            )


def _refuse(code: str, message: str) -> Forbidden:
    return Forbidden(code, message)


def authorize_resident_signing(
    *,
    face: FaceDecision | None,
    consent: ConsentProof | None,
    resident_id: str,
    resident_name: str,
    document_sha256: bytes,
    at: datetime,
) -> ResidentAuthorization:
    """The precondition of a resident's certificate, checked item by item."""
    if face is None or not face.matched or face.subject != resident_id:
        raise _refuse(
            "signing.face_required",
            N_("A successful face verification of the signer is required before signing."),
        )
    if consent is None or consent.account != resident_id:
        raise _refuse(
            "signing.code_required",
            N_("A one-time code from the signer's authenticator app is required before signing."),
        )
    if face.session_id != consent.session_id:
        raise _refuse(
            "signing.session_mismatch",
            N_("Face verification and one-time code belong to different sessions."),
        )
    if consent.document_sha256 != document_sha256:
        raise _refuse(
            "signing.document_mismatch", N_("The one-time code was given for a different document.")
        )
    for when in (face.decided_at, consent.accepted_at):
        if not timedelta(0) <= at - when <= AUTHORIZATION_MAX_AGE:
            raise _refuse(
                "signing.authorization_expired",
                N_("The identity check for this signing has expired. Please verify again."),
            )
    return ResidentAuthorization(
        resident_id, resident_name, consent.session_id, document_sha256, at, _MINTED
    )


class EphemeralSigner(Signer):
    """A pyHanko signer whose P-256 key exists for one signature and is wiped after it.

    The key is held only as a PKCS#8 buffer of our own (a ``bytearray``) and loaded for each
    signing operation; after the real signature (or :meth:`destroy`) the buffer is zeroed and
    dropped, and further signing is refused. (Copies made inside OpenSSL are freed with the
    transient key object; Python gives no stronger guarantee.)
    """

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        certificate: x509.Certificate,
        root: x509.Certificate,
        authorization: ResidentAuthorization,
    ) -> None:
        self._der: bytearray | None = bytearray(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        del key
        self.authorization = authorization
        self.x509_certificate = certificate
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
        registry.register(to_asn1(root))
        super().__init__(signing_cert=to_asn1(certificate), cert_registry=registry)

    @property
    def destroyed(self) -> bool:
        return self._der is None

    def destroy(self) -> None:
        if self._der is not None:
            self._der[:] = bytes(len(self._der))
            self._der = None

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if self._der is None:
            raise _refuse(
                "signing.key_destroyed", N_("This one-time signing key has already been used.")
            )
        if digest_algorithm != "sha256":
            raise ValueError("resident signatures use SHA-256")
        key: Any = serialization.load_der_private_key(memoryview(self._der), password=None)
        signature = ecdsa_p256_sign(key, data)
        del key
        if not dry_run:
            self.destroy()
        return signature
