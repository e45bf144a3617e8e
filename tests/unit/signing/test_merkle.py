"""Merkle tree: roots, proofs and the watcher that catches a forked log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.audit import canonical_entry
from common.audit import leaf_hash as audit_leaf_hash
from signing.merkle import (
    EMPTY_ROOT,
    InMemoryTreeHeadStore,
    MerkleLog,
    SignedTreeHead,
    TreeHeadChecker,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def entries(n: int, tag: str = "e") -> list[bytes]:
    return [f"{tag}{i}".encode() for i in range(n)]


def test_leaf_hash_is_the_audit_tables_leaf_hash() -> None:
    entry = canonical_entry(
        at=T0, actor="clerk-1", actor_role="clerk", action="accept", subject="A-1", detail={}
    )
    assert leaf_hash(entry) == audit_leaf_hash(entry)


def test_roots_of_small_trees_follow_the_rfc_definition() -> None:
    a, b, c = (leaf_hash(x) for x in entries(3))
    assert tree_root([]) == EMPTY_ROOT
    assert tree_root([a]) == a
    assert tree_root([a, b]) == node_hash(a, b)
    assert tree_root([a, b, c]) == node_hash(node_hash(a, b), c)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13])
def test_every_leaf_has_a_working_inclusion_proof(size: int) -> None:
    leaves = [leaf_hash(e) for e in entries(size)]
    root = tree_root(leaves)
    for i, leaf in enumerate(leaves):
        proof = inclusion_proof(leaves, i)
        assert verify_inclusion(leaf=leaf, index=i, tree_size=size, proof=proof, root=root)
        assert not verify_inclusion(
            leaf=leaf_hash(b"other"), index=i, tree_size=size, proof=proof, root=root
        )
        if size > 1:
            assert not verify_inclusion(
                leaf=leaf, index=(i + 1) % size, tree_size=size, proof=proof, root=root
            )


@pytest.mark.parametrize(("old", "new"), [(1, 2), (2, 3), (3, 7), (4, 8), (5, 13), (7, 7)])
def test_consistency_proofs_between_any_two_sizes(old: int, new: int) -> None:
    leaves = [leaf_hash(e) for e in entries(new)]
    proof = consistency_proof(leaves, old)
    assert verify_consistency(
        old_size=old,
        new_size=new,
        old_root=tree_root(leaves[:old]),
        new_root=tree_root(leaves),
        proof=proof,
    )


def test_a_rewritten_entry_breaks_consistency() -> None:
    honest = [leaf_hash(e) for e in entries(6)]
    forked = [*honest[:2], leaf_hash(b"rewritten"), *honest[3:], leaf_hash(b"e6")]
    proof = consistency_proof(forked, 4)
    assert not verify_consistency(
        old_size=4,
        new_size=7,
        old_root=tree_root(honest[:4]),
        new_root=tree_root(forked),
        proof=proof,
    )


def test_signed_tree_head_round_trip_and_tamper() -> None:
    key = Ed25519PrivateKey.generate()
    log = MerkleLog()
    for e in entries(5):
        log.append_entry(e)
    head = log.signed_head(key, T0)
    again = SignedTreeHead.from_json(head.to_json())
    assert again == head and again.verify(key.public_key())
    bumped = SignedTreeHead(6, head.root, head.timestamp, head.signature)
    assert not bumped.verify(key.public_key())
    assert not head.verify(Ed25519PrivateKey.generate().public_key())


def test_watcher_accepts_an_honest_log_and_alarms_on_a_fork() -> None:
    key = Ed25519PrivateKey.generate()
    log = MerkleLog()
    for e in entries(4):
        log.append_entry(e)
    watcher = TreeHeadChecker(key.public_key(), InMemoryTreeHeadStore())
    assert watcher.observe(log.signed_head(key, T0)).accepted
    for e in entries(3, "more"):
        log.append_entry(e)
    head = log.signed_head(key, T0 + timedelta(minutes=1))
    assert watcher.proof_needed(head) == (4, 7)
    verdict = watcher.observe(head, log.consistency_proof(4))
    assert verdict.accepted and not verdict.alarm

    # the operator rewrites entry 1 and keeps appending: a validly signed, forked head
    forked_leaves = [leaf_hash(e) for e in entries(7)]
    forked_leaves[1] = leaf_hash(b"forged")
    forked = MerkleLog([*forked_leaves, leaf_hash(b"x")])
    fork_head = forked.signed_head(key, T0 + timedelta(minutes=2))
    verdict = watcher.observe(fork_head, forked.consistency_proof(7))
    assert verdict.alarm and not verdict.accepted
    assert "not consistent" in verdict.reason


def test_watcher_alarms_on_same_size_different_root_and_ignores_bad_signatures() -> None:
    key = Ed25519PrivateKey.generate()
    watcher = TreeHeadChecker(key.public_key(), InMemoryTreeHeadStore())
    log = MerkleLog([leaf_hash(e) for e in entries(3)])
    assert watcher.observe(log.signed_head(key, T0)).accepted
    other = MerkleLog([leaf_hash(e) for e in entries(3, "z")])
    assert watcher.observe(other.signed_head(key, T0)).alarm
    stranger = other.signed_head(Ed25519PrivateKey.generate(), T0)
    verdict = watcher.observe(stranger)
    assert not verdict.accepted and not verdict.alarm


def test_proof_requests_outside_the_tree_are_refused() -> None:
    leaves = [leaf_hash(e) for e in entries(3)]
    with pytest.raises(ValueError):
        inclusion_proof(leaves, 3)
    with pytest.raises(ValueError):
        consistency_proof(leaves, 0)
    with pytest.raises(ValueError):
        MerkleLog().append_leaf(b"short")
