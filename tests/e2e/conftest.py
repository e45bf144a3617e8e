"""Browser assertions wait longer than Playwright's five seconds: these tests share two cores
with servers, WebRTC and face models, and a busy machine must not fail them."""

from __future__ import annotations

from playwright.async_api import expect as async_expect
from playwright.sync_api import expect as sync_expect

sync_expect.set_options(timeout=20_000)
async_expect.set_options(timeout=20_000)
