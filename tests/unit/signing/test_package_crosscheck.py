"""A package's cross-check of the branch's and the hub's recordings is recomputed by the
verifier from the package alone: the stated outcome must be the one its manifests give, and a
disagreement fails, naming the segment."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from signing.ca import CertificateAuthority
from signing.ca import Role as CaRole
from signing.package import PackageFile, build_package, verify_package
from signing.primitives import ecdsa_p256_sign

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CA = CertificateAuthority.create(name="Test CA", at=AT)
_SEAL = ec.generate_private_key(ec.SECP256R1())
SEAL_CERT = CA.issue(
    role=CaRole.SEAL, common_name="Seal", ident="S", public_key=_SEAL.public_key(), at=AT
)
SESSION = "0a1b2c3d4e5f"
BRANCH = f"recordings/{SESSION}/branch-manifest.json"
A, B, C = "a" * 64, "b" * 64, "c" * 64


def _entry(action: str, detail: dict[str, Any]) -> dict[str, Any]:
    entry = {"action": action, "subject": f"video_session:{SESSION}", "detail": detail}
    return {"entry": json.dumps(entry), "index": 0, "proof": []}


def _package(
    announced: list[str], kept: list[str], stated: dict[str, Any], *, logged: bool = True
) -> bytes:
    segments = [
        {"index": i, "file": f"seg{i}", "sha256": h, "tracks": ["video"]}
        for i, h in enumerate(kept)
    ]
    branch = {"v": 1, "session_id": SESSION, "participant": "node-MIL", "segments": segments}
    entries = [
        _entry(
            "media.event",
            {
                "participant": "node-MIL",
                "kind": "segment_closed",
                "payload": {"index": i, "sha256": h, "tracks": ["video"]},
            },
        )
        for i, h in enumerate(announced)
    ]
    if logged:
        entries.append(_entry("media.branch_manifest", {"branch": "MIL", **branch}))
    proofs = {"tree_head": {}, "entries": entries}
    check = {"session": SESSION, "branch_manifest": BRANCH, **stated}
    return build_package(
        [
            PackageFile(BRANCH, json.dumps(branch).encode()),
            PackageFile("audit/proofs.json", json.dumps(proofs).encode()),
        ],
        meta={
            "recordings": [],
            "identity": [],
            "consents": [],
            "audit": {"proofs": "audit/proofs.json", "log_key": ""},
            "recording_crosschecks": [check],
        },
        created_at=AT,
        sign=lambda body: ecdsa_p256_sign(_SEAL, body),
        certificate=SEAL_CERT,
    )


def _branch_failures(data: bytes) -> list[str]:
    failures = verify_package(data, trust_roots=[CA.certificate]).failures
    return [f.removeprefix(f"{BRANCH}: ") for f in failures if f.startswith(BRANCH)]


def _passed(data: bytes) -> list[str]:
    checks = verify_package(data, trust_roots=[CA.certificate]).checks
    return [c.detail for c in checks if c.subject == BRANCH and c.ok]


AGREE = {"agree": True, "disagreements": []}
FLIPPED = {
    "agree": False,
    "disagreements": [{"index": 1, "problem": "hash_differs", "hub_sha256": B, "branch_sha256": C}],
}


def test_recordings_that_agree_pass() -> None:
    data = _package([A, B], [A, B], AGREE)
    assert _branch_failures(data) == []
    assert "the branch's recording matches what it announced (2 segments)" in _passed(data)


def test_a_segment_changed_at_the_branch_fails_by_its_index() -> None:
    assert _branch_failures(_package([A, B], [A, C], FLIPPED)) == [
        f"segment 1: kept as {C}, announced {B}"
    ]


def test_a_package_that_states_agreement_over_differing_recordings_is_refused() -> None:
    assert _branch_failures(_package([A, B], [A, C], AGREE)) == [
        "the comparison the package states is not what its manifests give",
        f"segment 1: kept as {C}, announced {B}",
    ]


def test_a_segment_the_branch_no_longer_holds_fails() -> None:
    stated = {
        "agree": False,
        "disagreements": [
            {"index": 1, "problem": "missing_at_branch", "hub_sha256": B, "branch_sha256": None}
        ],
    }
    assert _branch_failures(_package([A, B], [A], stated)) == [
        f"segment 1: announced {B}, no longer kept by the branch"
    ]


def test_a_branch_manifest_the_audit_log_never_recorded_is_refused() -> None:
    assert _branch_failures(_package([A, B], [A, B], AGREE, logged=False)) == [
        "the audit log does not record this manifest from the branch"
    ]
