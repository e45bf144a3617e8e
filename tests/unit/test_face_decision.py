"""Decision records: canonical encoding, Ed25519 signature, match rule, replay ledger."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from media.face.decision import (
    Ed25519Signer,
    FrameLedger,
    MatchStatus,
    SignedDecision,
    VerificationDecision,
    frame_hash,
    match_decision,
    sign_decision,
    verify_decision,
)


def decision(**changes) -> VerificationDecision:  # type: ignore[no-untyped-def]
    base = VerificationDecision(
        attempt_id="att-1",
        resident_id="res-1",
        branch="MIL",
        accepted=True,
        reason="accepted",
        distance=0.33,
        threshold=0.5,
        challenge=("blink", "turn_left", "turn_right"),
        steps=({"action": "blink", "frame": 3, "t_ms": 375, "measure": 0.08},),
        issued_at="2026-01-05T09:00:00+00:00",
        received_at="2026-01-05T09:00:08+00:00",
        decided_at="2026-01-05T09:00:09+00:00",
        frames_span_ms=2500,
        processing_ms=1300,
        frame_hashes=(frame_hash(b"a"), frame_hash(b"b")),
        encoded_frames=(0, 1),
        model="dlib_face_recognition_resnet_model_v1",
    )
    return replace(base, **changes)


def test_canonical_encoding_is_sorted_versioned_and_round_trips() -> None:
    d = decision()
    raw = d.canonical()
    doc = json.loads(raw)
    assert doc["v"] == 1 and list(doc) == sorted(doc)
    assert b" " not in raw.replace(b"T09", b"")  # compact separators
    assert VerificationDecision.from_dict(doc) == d
    assert frame_hash(b"a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


def test_signature_verifies_and_detects_tampering() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_decision(decision(), Ed25519Signer(key))
    assert signed.key_id.startswith("ed25519:")
    check = verify_decision(signed, key.public_key())
    assert check.intact and check.trusted

    again = SignedDecision.from_dict(json.loads(json.dumps(signed.to_dict())))
    assert verify_decision(again, key.public_key()).trusted

    forged = replace(signed, decision=decision(distance=0.2))
    assert verify_decision(forged, key.public_key()).reason == "bad_signature"
    other = Ed25519PrivateKey.generate()
    assert not verify_decision(signed, other.public_key()).intact


def test_match_rule() -> None:
    assert match_decision({0: 0.3, 5: 0.41}, 0.5).status is MatchStatus.MATCH
    assert match_decision({0: 0.3, 5: 0.41}, 0.5).distance == 0.41
    assert match_decision({0: 0.7, 5: 0.72}, 0.5).status is MatchStatus.NO_MATCH
    assert match_decision({0: 0.3, 5: 0.72}, 0.5).status is MatchStatus.FACE_CHANGED
    assert match_decision({}, 0.5).status is MatchStatus.NO_ENCODING


class FakeLedger:
    def __init__(self) -> None:
        self.used: dict[str, str] = {}

    async def claim(self, attempt_id: str, hashes: Sequence[str]) -> frozenset[str]:
        earlier = frozenset(h for h in hashes if self.used.get(h, attempt_id) != attempt_id)
        for h in hashes:
            self.used.setdefault(h, attempt_id)
        return earlier


async def test_ledger_protocol_names_replayed_frames() -> None:
    ledger: FrameLedger = FakeLedger()
    first = [frame_hash(b"1"), frame_hash(b"2")]
    assert await ledger.claim("a1", first) == frozenset()
    assert await ledger.claim("a2", [frame_hash(b"3"), first[1]]) == {first[1]}


def test_checks_survive_a_round_trip_through_a_browser() -> None:
    signer = Ed25519Signer(Ed25519PrivateKey.generate())
    d = decision(checks={"replay": {"score": None, "limit": 3.0}, "presentation": {"p": 0.0}})
    signed = sign_decision(d, signer)
    as_browser_sends = json.loads(json.dumps(signed.to_dict()).replace("3.0", "3"))
    again = SignedDecision.from_dict(as_browser_sends)
    assert again.decision.to_dict()["v"] == 2
    assert verify_decision(again, signer.private_key.public_key()).trusted
    old = decision()  # no checks: the version-1 bytes, unchanged
    assert old.to_dict()["v"] == 1 and "checks" not in old.to_dict()
