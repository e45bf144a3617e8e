"""An RFC 3161 timestamp authority, and the pyHanko timestamper that talks to one.

:class:`TimestampAuthority` turns a DER ``TimeStampReq`` into a DER ``TimeStampResp``: a
``TSTInfo`` over the request's message imprint with the authority's clock time, wrapped in a CMS
``SignedData`` signed (ECDSA P-256, SHA-256) by the TSA's own certificate from the hub CA, with
an ESS signing-certificate-v2 attribute. The hub serves it as
``application/timestamp-query`` → ``application/timestamp-reply``; tests and the signing
executor use it in process.

:class:`TsaTimeStamper` is a pyHanko ``TimeStamper`` whose transport is any function from
request bytes to response bytes (sync, or async returning an awaitable).
"""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from signing.ca import to_asn1
from signing.primitives import ecdsa_p256_sign

__all__ = ["QIAOLINK_TSA_POLICY", "TimestampAuthority", "TsaTimeStamper", "in_process"]

QIAOLINK_TSA_POLICY = "1.3.6.1.4.1.59999.8.1"  # private-arc policy id of the hub TSA
_DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}

Transport = Callable[[bytes], bytes | Awaitable[bytes]]


class Clock(Protocol):
    def now(self) -> datetime: ...


class _StatusOnlyResp(core.Sequence):  # type: ignore[misc]
    """A TimeStampResp without token (asn1crypto's class insists on one; RFC 3161 does not)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _rejection(reason: str, text: str) -> _StatusOnlyResp:
    return _StatusOnlyResp(
        {
            "status": {
                "status": "rejection",
                "status_string": [text],
                "fail_info": tsp.PKIFailureInfo({reason}),
            }
        }
    )


class TimestampAuthority:
    def __init__(
        self, *, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate, clock: Clock
    ) -> None:
        self._key = key
        self._cert_der: bytes = to_asn1(certificate).dump()
        self._clock = clock

    @property
    def _cert(self) -> asn1_x509.Certificate:
        # a fresh object each time: asn1crypto objects embedded in several structures grow
        # their cached encodings with every reuse (seen as seconds per signature)
        return asn1_x509.Certificate.load(self._cert_der)

    @property
    def certificate(self) -> asn1_x509.Certificate:
        return self._cert

    def respond_der(self, request: bytes) -> bytes:
        """The HTTP body handler: request bytes in, response bytes out (never raises)."""
        try:
            req = tsp.TimeStampReq.load(request)
            req.native  # noqa: B018 — parse everything now, so malformed input is caught here
        except (ValueError, TypeError):
            refusal: bytes = _rejection("bad_data_format", "malformed TimeStampReq").dump()
            return refusal
        der: bytes = self.respond(req).dump()
        return der

    def respond(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp | _StatusOnlyResp:
        imprint = req["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if req["version"].native != "v1":
            return _rejection("bad_request", "only version 1 requests are served")
        if algorithm not in _DIGESTS:
            return _rejection("bad_alg", f"unsupported hash algorithm {algorithm}")
        if len(imprint["hashed_message"].native) != _DIGESTS[algorithm]:
            return _rejection("bad_data_format", "hash length does not match its algorithm")
        policy = req["req_policy"].native
        if policy is not None and policy != QIAOLINK_TSA_POLICY:
            return _rejection("unaccepted_policy", "unknown policy")
        if req["extensions"].native:
            return _rejection("unaccepted_extensions", "extensions are not supported")
        token = self._token(req, self._clock.now())
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})

    def _token(self, req: tsp.TimeStampReq, at: datetime) -> cms.ContentInfo:
        info: dict[str, Any] = {
            "version": "v1",
            "policy": QIAOLINK_TSA_POLICY,
            "message_imprint": tsp.MessageImprint.load(req["message_imprint"].dump()),
            "serial_number": int.from_bytes(os.urandom(15), "big"),
            "gen_time": at,
            "accuracy": {"seconds": 1},
            "ordering": False,
            "tsa": asn1_x509.GeneralName({"directory_name": self._cert.subject}),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"].native
        tst = tsp.TSTInfo(info)
        attrs = self._signed_attrs(hashlib.sha256(tst.dump()).digest(), at)
        signature = ecdsa_p256_sign(self._key, cms.CMSAttributes(attrs).dump())
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": self._cert.issuer,
                            "serial_number": self._cert.serial_number,
                        }
                    }
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": cms.CMSAttributes(attrs),
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
            }
        )
        signed = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": tst},
            "signer_infos": [signer_info],
        }
        if req["cert_req"].native:
            signed["certificates"] = [self._cert]
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed)})

    def _signed_attrs(self, digest: bytes, at: datetime) -> list[cms.CMSAttribute]:
        ess = tsp.ESSCertIDv2(
            {
                "hash_algorithm": {"algorithm": "sha256"},
                "cert_hash": hashlib.sha256(self._cert.dump()).digest(),
                "issuer_serial": {
                    "issuer": [asn1_x509.GeneralName({"directory_name": self._cert.issuer})],
                    "serial_number": self._cert.serial_number,
                },
            }
        )
        return [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": at})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [core.OctetString(digest)]}),
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [tsp.SigningCertificateV2({"certs": [ess]})],
                }
            ),
        ]


class TsaTimeStamper(TimeStamper):
    """pyHanko's timestamper over any transport (HTTP client function or in-process TSA)."""

    def __init__(self, transport: Transport) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._transport = transport

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        result = self._transport(req.dump())
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, bytes)
        if len(core.Sequence.load(result)) == 1:  # a refusal: status and no token
            status = _StatusOnlyResp.load(result)["status"].native
            raise TimestampRequestError(f"the timestamp authority refused: {status}")
        response = tsp.TimeStampResp.load(result)
        return response


def in_process(authority: TimestampAuthority) -> TsaTimeStamper:
    return TsaTimeStamper(authority.respond_der)
