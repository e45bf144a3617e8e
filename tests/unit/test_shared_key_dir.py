"""Hub instances starting together on one shared data directory end up with one signing key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from common.httpsig import load_or_create_key


def test_instances_racing_to_make_the_key_all_get_the_same_one(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "hub-govnet.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: load_or_create_key(path), range(16)))
    raw = {
        k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        for k in keys
    }
    assert len(raw) == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["hub-govnet.pem", "hub-govnet.pub.pem"]
    assert path.stat().st_mode & 0o777 == 0o600
