"""`qiaolink verify` for sealed recordings and audit proofs (PDFs: tests/integration)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.cli import main
from signing.ca import CertificateAuthority, Role
from signing.envelope import KekRing, encrypt
from signing.merkle import MerkleLog, leaf_hash
from signing.primitives import ed25519_public_bytes
from signing.recording import seal_recording

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
VIDEO = b"\x1a\x45\xdf\xa3 webm recording of session S-1 " * 200


def verify(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["verify", *argv])
    return code, capsys.readouterr().out


@pytest.fixture
def node(tmp_path: Path) -> tuple[CertificateAuthority, ec.EllipticCurvePrivateKey, Path]:
    ca = CertificateAuthority.create(name="Qiaolink Hub CA", at=T0)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = ca.issue(
        role=Role.NODE,
        common_name="Milan branch",
        ident="NODE-MI",
        public_key=key.public_key(),
        at=T0,
    )
    trust = tmp_path / "ca.pem"
    trust.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "node.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return ca, key, trust


def write_recording(tmp_path: Path, stored: bytes, node, name: str = "s1.webm") -> Path:  # type: ignore[no-untyped-def]
    _, key, _ = node
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((tmp_path / "node.pem").read_bytes())
    manifest = seal_recording(
        stored,
        name=name,
        session_id="S-1",
        recorded_at=T0 + timedelta(hours=1),
        key=key,
        certificate=cert,
    )
    (tmp_path / name).write_bytes(stored)
    path = tmp_path / f"{name}.manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def test_a_sealed_recording_verifies(tmp_path: Path, node, capsys) -> None:  # type: ignore[no-untyped-def]
    manifest = write_recording(tmp_path, VIDEO, node)
    code, out = verify(["recording", str(manifest), "--trust", str(node[2])], capsys)
    assert code == 0 and "VERDICT: VALID" in out and "Milan branch" in out


def test_a_changed_recording_fails_on_its_hash(tmp_path: Path, node, capsys) -> None:  # type: ignore[no-untyped-def]
    manifest = write_recording(tmp_path, VIDEO, node)
    data = bytearray(VIDEO)
    data[100] ^= 1
    (tmp_path / "s1.webm").write_bytes(bytes(data))
    code, out = verify(["recording", str(manifest), "--trust", str(node[2])], capsys)
    assert code == 1 and "VERDICT: INVALID" in out and "hash:" in out and "signature:" not in out


def test_an_edited_manifest_or_a_foreign_root_fails(tmp_path: Path, node, capsys) -> None:  # type: ignore[no-untyped-def]
    ring = KekRing()
    ring.rotate("milan")
    manifest = write_recording(tmp_path, encrypt(ring, "milan", VIDEO), node, "s1.qlenv")
    code, out = verify(["recording", str(manifest), "--trust", str(node[2])], capsys)
    assert code == 0, out
    doc = json.loads(manifest.read_text())
    doc["envelope"]["kek_id"] = "milan/v2"
    manifest.write_text(json.dumps(doc))
    code, out = verify(["recording", str(manifest), "--trust", str(node[2])], capsys)
    assert code == 1 and "signature:" in out and "envelope:" in out
    other = tmp_path / "other.pem"
    other.write_bytes(
        CertificateAuthority.create(name="Other", at=T0).certificate.public_bytes(
            serialization.Encoding.PEM
        )
    )
    manifest = write_recording(tmp_path, VIDEO, node)
    code, out = verify(["recording", str(manifest), "--trust", str(other)], capsys)
    assert code == 1 and "not trusted" in out


def audit_files(tmp_path: Path) -> tuple[MerkleLog, Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    log = MerkleLog()
    for i in range(11):
        log.append_entry(f'{{"v":1,"action":"accept","subject":"A-{i}"}}'.encode())
    return log, key, ed25519_public_bytes(key).hex()


def test_inclusion_proof_valid_and_tampered(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    log, key, pub = audit_files(tmp_path)
    entry = '{"v":1,"action":"accept","subject":"A-6"}'
    doc = {
        "v": 1,
        "kind": "inclusion",
        "entry": entry,
        "index": 6,
        "tree_head": log.signed_head(key, T0).to_json(),
        "proof": [p.hex() for p in log.inclusion_proof(6)],
    }
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(doc))
    code, out = verify(["audit-proof", str(path), "--log-key", pub], capsys)
    assert code == 0 and "VERDICT: VALID" in out
    doc["entry"] = entry.replace("accept", "reject")
    path.write_text(json.dumps(doc))
    code, out = verify(["audit-proof", str(path), "--log-key", pub], capsys)
    assert code == 1 and "inclusion:" in out
    doc["entry"] = entry
    doc["tree_head"]["tree_size"] = 12
    path.write_text(json.dumps(doc))
    code, out = verify(["audit-proof", str(path), "--log-key", pub], capsys)
    assert code == 1 and "tree head:" in out


def test_consistency_proof_catches_a_forked_log(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    log, key, pub = audit_files(tmp_path)
    old_head = log.signed_head(key, T0)
    honest = MerkleLog(
        [leaf_hash(f'{{"v":1,"action":"accept","subject":"A-{i}"}}'.encode()) for i in range(11)]
    )
    for i in range(3):
        honest.append_entry(f"later {i}".encode())
    doc = {
        "v": 1,
        "kind": "consistency",
        "old_head": old_head.to_json(),
        "new_head": honest.signed_head(key, T0 + timedelta(hours=1)).to_json(),
        "proof": [p.hex() for p in honest.consistency_proof(11)],
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    assert verify(["audit-proof", str(path), "--log-key", pub], capsys)[0] == 0
    forked = MerkleLog(
        [leaf_hash(b"rewritten history"), *(leaf_hash(f"later {i}".encode()) for i in range(13))]
    )
    doc["new_head"] = forked.signed_head(key, T0 + timedelta(hours=1)).to_json()
    doc["proof"] = [p.hex() for p in forked.consistency_proof(11)]
    path.write_text(json.dumps(doc))
    code, out = verify(["audit-proof", str(path), "--log-key", pub], capsys)
    assert code == 1 and "forked or rewritten" in out


def test_unreadable_input_is_invalid_not_a_crash(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out = verify(["audit-proof", str(bad), "--log-key", "00" * 32], capsys)
    assert code == 1 and "INVALID" in out
