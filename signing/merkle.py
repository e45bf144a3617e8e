"""An RFC 9162-style Merkle tree: roots, inclusion and consistency proofs, signed tree heads.

Leaf hash ``SHA-256(0x00 || entry)`` and node hash ``SHA-256(0x01 || left || right)``, the same
leaf hash that ``common.audit`` stores beside every entry, so an audit table's ``leaf_hash``
column is exactly the input of :func:`tree_root`, :func:`inclusion_proof` and
:func:`consistency_proof`.

Signed tree heads are canonically encoded (versioned, fixed layout) and signed with Ed25519.
:class:`TreeHeadChecker` is what the node runs against the hub: it keeps every head it has seen
and answers with an alarm when a new head cannot be proved consistent with the older ones.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signing.primitives import ed25519_sign, ed25519_verify

__all__ = [
    "EMPTY_ROOT",
    "HeadVerdict",
    "InMemoryTreeHeadStore",
    "MerkleLog",
    "SignedTreeHead",
    "TreeHeadChecker",
    "TreeHeadStore",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "sign_tree_head",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
STH_VERSION = 1
_STH_MAGIC = b"QLSTH"


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (not entries)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, leaves) of RFC 9162 §2.1.3.1."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of size {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(leaves[:k], index), tree_root(leaves[k:])]
    return [*inclusion_proof(leaves[k:], index - k), tree_root(leaves[:k])]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, leaves) of RFC 9162 §2.1.4.1."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"no consistency proof from size {old_size} to {len(leaves)}")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [tree_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), tree_root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), tree_root(leaves[:k])]


def verify_inclusion(
    *, leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show ``leaf`` (a leaf hash) at ``index`` under ``root``?"""
    if not 0 <= index < tree_size or len(leaf) != 32:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0 or len(p) != 32:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree ``new_root`` an append-only extension of ``old_root``?"""
    if old_size < 1 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if not path or any(len(p) != 32 for p in path):
        return False
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree size and root at a time, signed by the log's Ed25519 key."""

    tree_size: int
    root: bytes
    timestamp: datetime
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        """Canonical, versioned encoding of what the signature covers."""
        if self.timestamp.tzinfo is None:
            raise ValueError("tree head times are timezone-aware")
        millis = int(self.timestamp.astimezone(UTC).timestamp() * 1000)
        return _STH_MAGIC + struct.pack(">BQQ", STH_VERSION, self.tree_size, millis) + self.root

    def verify(self, key: Ed25519PublicKey) -> bool:
        return ed25519_verify(key, self.signed_bytes(), self.signature)

    def to_json(self) -> dict[str, object]:
        return {
            "v": STH_VERSION,
            "tree_size": self.tree_size,
            "root": self.root.hex(),
            "timestamp": self.timestamp.astimezone(UTC).isoformat(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, doc: dict[str, object]) -> SignedTreeHead:
        if doc.get("v") != STH_VERSION:
            raise ValueError(f"unknown tree head version {doc.get('v')!r}")
        when = datetime.fromisoformat(str(doc["timestamp"]))
        size = doc["tree_size"]
        if not isinstance(size, int) or size < 0 or when.tzinfo is None:
            raise ValueError("malformed tree head")
        return cls(
            size, bytes.fromhex(str(doc["root"])), when, bytes.fromhex(str(doc["signature"]))
        )


def sign_tree_head(
    key: Ed25519PrivateKey, *, tree_size: int, root: bytes, timestamp: datetime
) -> SignedTreeHead:
    unsigned = SignedTreeHead(tree_size, root, timestamp)
    return SignedTreeHead(tree_size, root, timestamp, ed25519_sign(key, unsigned.signed_bytes()))


class MerkleLog:
    """An append-only list of leaf hashes with the proofs a log server hands out."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self._leaves: list[bytes] = list(leaves)

    def __len__(self) -> int:
        return len(self._leaves)

    def append_entry(self, entry: bytes) -> int:
        """Append an entry (its leaf hash is stored); returns its index."""
        return self.append_leaf(leaf_hash(entry))

    def append_leaf(self, leaf: bytes) -> int:
        if len(leaf) != 32:
            raise ValueError("a leaf hash is 32 bytes")
        self._leaves.append(leaf)
        return len(self._leaves) - 1

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self._leaves[: len(self._leaves) if size is None else size])

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self._leaves[: len(self._leaves) if size is None else size], index)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        end = len(self._leaves) if new_size is None else new_size
        return consistency_proof(self._leaves[:end], old_size)

    def signed_head(self, key: Ed25519PrivateKey, timestamp: datetime) -> SignedTreeHead:
        return sign_tree_head(key, tree_size=len(self), root=self.root(), timestamp=timestamp)


class TreeHeadStore(Protocol):
    """Where a watcher keeps the heads it has accepted (a table on the node)."""

    def heads(self) -> list[SignedTreeHead]: ...

    def add(self, head: SignedTreeHead) -> None: ...


class InMemoryTreeHeadStore:
    def __init__(self) -> None:
        self._heads: list[SignedTreeHead] = []

    def heads(self) -> list[SignedTreeHead]:
        return list(self._heads)

    def add(self, head: SignedTreeHead) -> None:
        self._heads.append(head)


@dataclass(frozen=True)
class HeadVerdict:
    """``accepted``; otherwise ``alarm`` is True when the log contradicts its own history."""

    accepted: bool
    alarm: bool
    reason: str


class TreeHeadChecker:
    """Keeps the hub's signed tree heads and checks each new one against the largest seen.

    Call :meth:`proof_needed` to learn which consistency proof to fetch from the log, then
    :meth:`observe` with it. A bad signature is rejected without alarm (not the log's word);
    a well-signed head that contradicts an older one raises the alarm.
    """

    def __init__(self, key: Ed25519PublicKey, store: TreeHeadStore) -> None:
        self._key = key
        self._store = store

    def _latest(self) -> SignedTreeHead | None:
        heads = self._store.heads()
        return max(heads, key=lambda h: h.tree_size) if heads else None

    def proof_needed(self, head: SignedTreeHead) -> tuple[int, int] | None:
        """(old_size, new_size) of the consistency proof :meth:`observe` needs, if any."""
        latest = self._latest()
        if latest is None or latest.tree_size == 0 or head.tree_size == 0:
            return None
        if latest.tree_size == head.tree_size:
            return None
        return (min(latest.tree_size, head.tree_size), max(latest.tree_size, head.tree_size))

    def observe(self, head: SignedTreeHead, proof: Sequence[bytes] = ()) -> HeadVerdict:
        if not head.verify(self._key):
            return HeadVerdict(False, False, "tree head signature does not verify")
        latest = self._latest()
        if latest is not None:
            problem = self._contradiction(latest, head, proof)
            if problem:
                return HeadVerdict(False, True, problem)
        if head.tree_size >= (latest.tree_size if latest else 0):
            self._store.add(head)
        return HeadVerdict(True, False, "consistent")

    @staticmethod
    def _contradiction(
        latest: SignedTreeHead, head: SignedTreeHead, proof: Sequence[bytes]
    ) -> str | None:
        old, new = (latest, head) if latest.tree_size <= head.tree_size else (head, latest)
        if old.tree_size == 0:
            return None if old.root == EMPTY_ROOT else "empty tree head with a non-empty root"
        ok = verify_consistency(
            old_size=old.tree_size,
            new_size=new.tree_size,
            old_root=old.root,
            new_root=new.root,
            proof=proof,
        )
        if ok:
            return None
        return (
            f"tree head of size {head.tree_size} is not consistent with the head of size "
            f"{latest.tree_size} seen before"
        )
