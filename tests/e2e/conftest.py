"""Browser assertions wait longer than Playwright's five seconds: these tests share two cores
with servers, WebRTC and face models, and a busy machine must not fail them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import expect as async_expect
from playwright.sync_api import expect as sync_expect

from tests.e2e.browser_support import can_run_in_namespace, network_namespace

sync_expect.set_options(timeout=20_000)
async_expect.set_options(timeout=20_000)


@pytest.fixture
def netns() -> Iterator[str]:
    """A network namespace of the test's own: the hub's and the node's addresses on a veth
    pair (tests/e2e/browser_support.py), deleted when the test ends."""
    if not can_run_in_namespace():
        pytest.fail("this test needs root, iproute2 and Debian's chromium (scripts/system-deps.sh)")
    with network_namespace("qlns") as name:
        yield name
