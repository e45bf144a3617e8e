"""Published vectors (Wycheproof, transparency-dev Merkle) through our own code paths.

They live outside the project in ``<repo root>/../shared/vectors/``; without that directory
these tests are skipped with a message saying so.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from signing.envelope import aead_open, aead_seal
from signing.errors import Invalid
from signing.merkle import verify_consistency, verify_inclusion
from signing.primitives import ecdsa_p256_verify, ed25519_verify

VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "vectors"
needs_vectors = pytest.mark.skipif(
    not VECTORS.is_dir(), reason=f"conformance vectors not present at {VECTORS}"
)


def wycheproof(name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    if not VECTORS.is_dir():
        return []
    doc = json.loads((VECTORS / "wycheproof" / name).read_text())
    return [(group, test) for group in doc["testGroups"] for test in group["tests"]]


def merkle(kind: str) -> list[Path]:
    if not VECTORS.is_dir():
        return []
    return sorted((VECTORS / "merkle" / kind).rglob("*.json"))


def _id(case: Any) -> str:
    if isinstance(case, Path):
        return f"{case.parent.name}/{case.stem}"
    return str(case[1]["tcId"])


@needs_vectors
def test_the_vector_sets_are_not_empty() -> None:
    assert len(wycheproof("ed25519_test.json")) > 100
    assert len(wycheproof("ecdsa_secp256r1_sha256_test.json")) > 400
    assert len(merkle("inclusion")) > 30 and len(merkle("consistency")) > 50


@needs_vectors
@pytest.mark.parametrize("case", wycheproof("ed25519_test.json"), ids=_id)
def test_wycheproof_ed25519(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    group, test = case
    ok = ed25519_verify(
        bytes.fromhex(group["publicKey"]["pk"]),
        bytes.fromhex(test["msg"]),
        bytes.fromhex(test["sig"]),
    )
    assert ok is (test["result"] == "valid"), test["comment"]


@needs_vectors
@pytest.mark.parametrize("case", wycheproof("ecdsa_secp256r1_sha256_test.json"), ids=_id)
def test_wycheproof_ecdsa_p256_sha256(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    group, test = case
    ok = ecdsa_p256_verify(
        bytes.fromhex(group["publicKeyDer"]),
        bytes.fromhex(test["msg"]),
        bytes.fromhex(test["sig"]),
    )
    assert ok is (test["result"] == "valid"), test["comment"]


@needs_vectors
@pytest.mark.parametrize("case", wycheproof("aes_gcm_test.json"), ids=_id)
def test_wycheproof_aes_gcm(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    group, test = case
    key, iv = bytes.fromhex(test["key"]), bytes.fromhex(test["iv"])
    aad, msg = bytes.fromhex(test["aad"]), bytes.fromhex(test["msg"])
    sealed = bytes.fromhex(test["ct"] + test["tag"])
    if group["keySize"] != 256 or group["ivSize"] != 96:
        # our policy: AES-256 with 96-bit nonces only; anything else is refused outright
        with pytest.raises(ValueError):
            aead_open(key, iv, sealed, aad)
        return
    if test["result"] == "valid":
        assert aead_seal(key, iv, msg, aad) == sealed
        assert aead_open(key, iv, sealed, aad) == msg
    else:
        with pytest.raises(Invalid):
            aead_open(key, iv, sealed, aad)


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


@needs_vectors
@pytest.mark.parametrize("path", merkle("inclusion"), ids=_id)
def test_merkle_inclusion_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    ok = verify_inclusion(
        leaf=_b64(v["leafHash"]),
        index=v["leafIdx"],
        tree_size=v["treeSize"],
        proof=[_b64(p) for p in v["proof"] or []],
        root=_b64(v["root"]),
    )
    assert ok is (not v["wantErr"]), v["desc"]


@needs_vectors
@pytest.mark.parametrize("path", merkle("consistency"), ids=_id)
def test_merkle_consistency_vectors(path: Path) -> None:
    v = json.loads(path.read_text())
    ok = verify_consistency(
        old_size=v["size1"],
        new_size=v["size2"],
        old_root=_b64(v["root1"]),
        new_root=_b64(v["root2"]),
        proof=[_b64(p) for p in v["proof"] or []],
    )
    assert ok is (not v["wantErr"]), v["desc"]
