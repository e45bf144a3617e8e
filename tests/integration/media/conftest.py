"""Loopback WebRTC in one process: aioice may offer 127.0.0.1, in these tests only."""

from __future__ import annotations

from collections.abc import Iterator

import aioice.ice
import pytest


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    yield
