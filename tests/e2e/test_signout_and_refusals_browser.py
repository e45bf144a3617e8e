"""At a shared branch PC: an officer signs in with password and authenticator code, strays onto
a page that does not exist and one that is not theirs, reads in their language what happened
and how to go on, and signs out with the button every staff page carries. The pages pass the
journeys' checks (axe-core, no sideways scroll, nothing untranslated) in every view."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser_support import CHROMIUM, PLAIN_ARGS, Shots, have_chromium
from tests.e2e.journeys import (
    PageFaults,
    Visit,
    check_page,
    new_view,
    revisit,
    seeded_staff,
    sign_in,
    watch_console,
)
from tests.helpers import service_app


async def test_refusal_pages_and_sign_out_at_a_shared_pc(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    if not have_chromium():
        pytest.fail("this test needs Debian's chromium (scripts/system-deps.sh)")
    from playwright.async_api import async_playwright

    app, db = await service_app("hub", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    staff = await seeded_staff(db, None, datetime.now(UTC), hub_dir=tmp_path)
    officer = staff["officer.wz"]
    base = str((await aiohttp_client(app)).make_url("/")).rstrip("/")
    shots = Shots(tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=PLAIN_ARGS)
        try:
            context = await new_view(browser, "it", "desk")
            page = await context.new_page()
            faults = watch_console(page, PageFaults())
            await sign_in(page, base, officer.username, officer.password, officer.secret)
            assert page.url == f"{base}/queue"
            await check_page(page, "it", shots=shots, name="queue-it-desk")

            missing = await page.goto(f"{base}/pratiche-perse")
            assert missing is not None and missing.status == 404
            await page.get_by_role("heading", name="Questa pagina non esiste").wait_for()
            await check_page(page, "it", shots=shots, name="not-found-it-desk")
            await page.get_by_role("link", name="Torni alla pagina iniziale").click()
            assert page.url == f"{base}/"

            denied = await page.goto(f"{base}/statistics")
            assert denied is not None and denied.status == 403
            await page.get_by_role("heading", name="Lei non ha accesso a questa pagina").wait_for()
            await check_page(page, "it", shots=shots, name="forbidden-it-desk")

            visits = [
                Visit(f"{base}/pratiche-perse", "not-found"),
                Visit(f"{base}/statistics", "forbidden"),
            ]
            assert await revisit(page, visits, shots=shots) == 2 * 6

            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(f"{base}/queue?lang=zh")
            await page.get_by_role("button", name="退出登录").click()
            await page.get_by_text("您已退出登录").wait_for()
            assert page.url.startswith(f"{base}/signin")
            await check_page(page, "zh", shots=shots, name="signed-out-zh-phone")
            # Back on the queue's address: the browser holds nothing that opens it any more.
            await page.goto(f"{base}/queue")
            assert "/signin" in page.url
            faults.assert_none()
            await context.close()
        finally:
            await browser.close()
            shots.publish()
