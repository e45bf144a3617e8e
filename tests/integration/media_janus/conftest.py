"""Janus in a namespace of its own for each test, and a JanusPlane of the hub's talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media.janus import JanusPlane
from tests.janus_support import JanusSite, can_run_janus, janus_site


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[JanusSite]:
    if not can_run_janus():
        pytest.fail("needs Debian's janus (scripts/system-deps.sh) and root for a namespace")
    async with janus_site(tmp_path) as running:
        yield running


@pytest.fixture
async def plane(site: JanusSite) -> AsyncIterator[JanusPlane]:
    plane = JanusPlane(site.urls, timeout=5.0, keepalive=5.0)
    await plane.start()
    yield plane
    await plane.close()
