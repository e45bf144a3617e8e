from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from common.audit import canonical_entry, leaf_hash

AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def test_entry_is_canonical_and_versioned() -> None:
    a = canonical_entry(
        at=AT,
        actor="clerk.milan",
        actor_role="clerk",
        action="application.accept",
        subject="application:WZ-1",
        detail={"b": 2, "a": "受理"},
    )
    b = canonical_entry(
        at=AT,
        actor="clerk.milan",
        actor_role="clerk",
        action="application.accept",
        subject="application:WZ-1",
        detail={"a": "受理", "b": 2},
    )
    assert a == b
    doc = json.loads(a)
    assert doc["v"] == 1
    assert "受理" in a.decode()  # stored as text, not escaped
    assert b" " not in a.replace(b"application.accept", b"")  # no insignificant whitespace


def test_leaf_hash_uses_the_rfc9162_leaf_prefix() -> None:
    entry = b'{"v":1}'
    assert leaf_hash(entry) == hashlib.sha256(b"\x00" + entry).digest()
    assert leaf_hash(entry) != hashlib.sha256(entry).digest()


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        canonical_entry(
            at=datetime(2026, 3, 1),
            actor="x",
            actor_role="system",
            action="a",
            subject="s",
            detail={},
        )
