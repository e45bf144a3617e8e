"""A notarial certificate still validates years after every certificate in it has expired.

Four signatures as in a remote notarization (resident, witnessing clerk, notary, hub seal), each
PAdES B-LTA with the hub CA's revocation list in the DSS. The clock then moves past the end of
every signer's certificate; pyHanko's AdES validator,
offline and with revocation checking required, must still accept each signature: every
revocation list it needs comes from the PDF's own DSS, except the status of the newest
timestamp's authority today, which is the list the hub publishes at that time.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader

from common.clock import FixedClock
from signing.ca import VALIDITY, CertificateAuthority, Role
from signing.keystore import FileKeyStore
from signing.ltv import LongTermEvidence, extend_timestamps, long_term_status
from signing.pades import Placement, sign_pdf, signer_from_store
from signing.tsa import TimestampAuthority, in_process
from tests.signing_support.pdfs import make_pdf

CRL_URL = "https://hub.example.org/api/pki/crl"
SIGNERS = [  # key name, role, common name, field
    ("resident", Role.RESIDENT, "Hu Xiaoming 胡小明", "Resident"),
    ("clerk", Role.CLERK, "Chen Lei 陈磊", "Witness"),
    ("notary", Role.NOTARY, "Hu Jing 胡静", "Notary"),
    ("seal", Role.SEAL, "Wencheng Overseas Service Centre", "Seal"),
]


def _tsa(
    ca: CertificateAuthority, store: FileKeyStore, name: str, at: datetime
) -> TimestampAuthority:
    ca.enrol(store, role=Role.TSA, key_name=name, common_name="Hub TSA", ident=name, at=at)
    key = store.get_key(name)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return TimestampAuthority(
        key=key, certificate=store.get_certificate(name), clock=FixedClock(at)
    )


def _signed(
    tmp_path: Path, *, long_term: bool
) -> tuple[bytes, CertificateAuthority, FileKeyStore, datetime]:
    t0 = datetime.now(UTC)  # pyHanko stamps the signing time from the real clock
    store = FileKeyStore(tmp_path / "keys", b"test passphrase of the hub keys")
    ca = CertificateAuthority.open(store, name="Hub CA", at=t0, crl_url=CRL_URL)
    timestamper = in_process(_tsa(ca, store, "tsa-1", t0))
    evidence = LongTermEvidence((ca.certificate,), (ca.crl(at=t0),)) if long_term else None
    pdf = make_pdf(title="Power of attorney to buy a home")
    for slot, (name, role, common_name, field) in enumerate(SIGNERS):
        ca.enrol(
            store, role=role, key_name=name, common_name=common_name, ident=name, at=t0
        ) if role is not Role.RESIDENT else _resident(ca, store, t0)
        signer = signer_from_store(store, name, chain=(ca.certificate,))
        pdf = sign_pdf(
            pdf, signer=signer, field=field, timestamper=timestamper, reason=f"{field} signs",
            placement=Placement(slot=slot % 3), evidence=evidence,
        )  # fmt: skip
    return pdf, ca, store, t0


def _resident(ca: CertificateAuthority, store: FileKeyStore, at: datetime) -> None:
    """A resident's one-signing certificate (15 minutes), as the CA issues it after face + code."""
    key = ec.generate_private_key(ec.SECP256R1())
    store.put_key("resident", key)
    cert = ca.issue(
        role=Role.RESIDENT,
        common_name=SIGNERS[0][2],
        ident="resident:E1234567",
        public_key=key.public_key(),
        at=at,
    )
    store.put_certificate("resident", cert)


def _statuses(pdf: bytes, ca: CertificateAuthority, at: datetime) -> dict[str, str]:
    return {
        s.field: s.indication for s in long_term_status(pdf, trust_roots=[ca.certificate], at=at)
    }


ALL_OK = {field: "OK" for *_, field in SIGNERS}


def test_b_lta_signatures_validate_two_years_after_every_signer_certificate_ended(
    tmp_path: Path,
) -> None:
    pdf, ca, _store, t0 = _signed(tmp_path, long_term=True)
    assert _statuses(pdf, ca, t0 + timedelta(minutes=1)) == ALL_OK
    last_end = t0 + max(VALIDITY[role] for _, role, _, _ in SIGNERS)  # the seal's, 3 years
    assert _statuses(pdf, ca, last_end + timedelta(days=2 * 365)) == ALL_OK


def test_b_t_signatures_fail_once_the_resident_certificate_has_ended(tmp_path: Path) -> None:
    pdf, ca, _store, t0 = _signed(tmp_path, long_term=False)
    statuses = _statuses(pdf, ca, t0 + timedelta(days=1))
    assert statuses["Resident"] != "OK"  # what a court would have seen the next day


def test_re_timestamping_before_the_authority_ends_adds_a_newer_timestamp(tmp_path: Path) -> None:
    pdf, ca, store, t0 = _signed(tmp_path, long_term=True)
    renewal = t0 + VALIDITY[Role.TSA] - timedelta(days=180)
    timestamper = in_process(_tsa(ca, store, "tsa-2", renewal))
    evidence = LongTermEvidence((ca.certificate,), (ca.crl(at=renewal),))
    archived = extend_timestamps(pdf, timestamper=timestamper, evidence=evidence, at=renewal)
    reader = PdfFileReader(io.BytesIO(archived))
    stamps = [s for s in reader.embedded_signatures if s.sig_object_type == "/DocTimeStamp"]
    assert len(stamps) == len(SIGNERS) + 1  # one per signature, and the renewal's
    assert _statuses(archived, ca, renewal + timedelta(days=1)) == ALL_OK


def test_qiaolink_verify_agrees_two_years_after_every_certificate_ended(
    tmp_path: Path, capsys: Any
) -> None:
    from signing.cli_verify import main as verify_main

    pdf, ca, _store, t0 = _signed(tmp_path, long_term=True)
    (tmp_path / "act.pdf").write_bytes(pdf)
    (tmp_path / "ca.pem").write_bytes(ca.certificate.public_bytes(Encoding.PEM))
    last_end = t0 + max(VALIDITY[role] for _, role, _, _ in SIGNERS)
    later = (last_end + timedelta(days=2 * 365)).isoformat()
    code = verify_main(
        ["pdf", str(tmp_path / "act.pdf"), "--trust", str(tmp_path / "ca.pem"), "--at", later]
    )
    out = capsys.readouterr()
    assert code == 0, out.out
    assert out.out.count("-> OK") == len(SIGNERS) and out.err == ""
