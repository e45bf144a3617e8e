"""Every role signs in through the sign-in page in Chromium and lands on its own main page, in
Chinese, English and Italian; residents open the kiosk and the progress page. Screenshots of
each main page in each language go to $QIAOLINK_SCREENSHOT_DIR (default: the test's tmp)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.seed import seed_database as seed_hub
from overseas_node.seed import seed_database as seed_node
from tests.e2e.browser_support import CHROMIUM, LOCALES, PLAIN_ARGS, have_chromium
from tests.helpers import service_app

# (service, user, main page): each staff role signs in and is sent to its own page.
STAFF = [
    ("node", "clerk.milan", "/intake"),
    ("hub", "officer.wz", "/queue"),
    ("hub", "notary.wz", "/notary"),
    ("hub", "mediator.milan", "/mediation"),
    ("hub", "lawyer.chen", "/consultations/desk"),
    ("hub", "supervisor.wz", "/statistics"),
    ("hub", "auditor.wz", "/mediation/audit"),
]
# Residents need no account: at the branch the clerk opens the kiosk for them; on their own
# phone they follow their application.
KIOSK = "/kiosk"
RESIDENT = [("hub", "/progress")]
UNTRANSLATED = ("Traceback", "{{", "}}", "msgid")


def _screens(tmp_path: Path) -> Path:
    out = Path(os.environ.get("QIAOLINK_SCREENSHOT_DIR", tmp_path / "screens"))
    out.mkdir(parents=True, exist_ok=True)
    return out


async def _looks_right(page: Any, lang: str) -> str:
    """The page is in ``lang``, has a heading, shows no template or stack residue and does
    not scroll sideways; returns its heading."""
    assert (await page.evaluate("document.documentElement.lang")).split("-")[0] == lang
    heading = (await page.locator("h1").first.inner_text()).strip()
    assert heading
    text = await page.locator("body").inner_text()
    for residue in UNTRANSLATED:
        assert residue not in text, (page.url, residue)
    wide = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{page.url} scrolls sideways"
    return str(heading)


async def test_each_role_lands_on_its_main_page_in_three_languages(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    if not have_chromium():
        pytest.fail("this test needs Debian's chromium (scripts/system-deps.sh)")
    from playwright.async_api import async_playwright

    hub_app, hub_db = await service_app(
        "hub", f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}", tmp_path / "hub"
    )
    node_app, node_db = await service_app(
        "node",
        f"sqlite+aiosqlite:///{tmp_path / 'node.sqlite3'}",
        tmp_path / "node",
        hub_url="http://127.0.0.1:9",
    )
    now = datetime.now(UTC)
    passwords = {**await seed_hub(hub_db, now), **await seed_node(node_db, now)}
    servers = {"hub": await aiohttp_client(hub_app), "node": await aiohttp_client(node_app)}
    base = {name: str(s.make_url("/")).rstrip("/") for name, s in servers.items()}
    out = _screens(tmp_path)
    headings: dict[str, set[str]] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=PLAIN_ARGS, timeout=30_000
        )
        try:
            for lang, locale in LOCALES.items():
                for service, user, home in STAFF:
                    context = await browser.new_context(
                        viewport={"width": 1280, "height": 860},
                        locale=locale,
                        timezone_id="Europe/Rome",
                    )
                    page = await context.new_page()
                    page.set_default_timeout(20_000)
                    await page.goto(f"{base[service]}/signin")
                    await page.fill("input[name=username]", user)
                    await page.fill("input[name=password]", passwords[user])
                    async with page.expect_navigation():
                        await page.keyboard.press("Enter")  # a keyboard is enough
                    assert page.url == f"{base[service]}{home}", (user, page.url)
                    # times in the browser's own zone, not the office's
                    await page.wait_for_selector("header >> text=Europe/Rome")
                    heading = await _looks_right(page, lang)
                    headings.setdefault(user, set()).add(heading)
                    role = user.split(".")[0]
                    await page.screenshot(path=str(out / f"home-{role}-{lang}.png"), full_page=True)
                    if home == "/intake":
                        await page.goto(f"{base[service]}{KIOSK}")
                        headings.setdefault(KIOSK, set()).add(await _looks_right(page, lang))
                        await page.screenshot(
                            path=str(out / f"home-resident-kiosk-{lang}.png"), full_page=True
                        )
                    await context.close()
                for service, path in RESIDENT:
                    phone = await browser.new_context(
                        viewport={"width": 390, "height": 844},
                        is_mobile=True,
                        has_touch=True,
                        locale=locale,
                        timezone_id="Europe/Rome",
                    )
                    page = await phone.new_page()
                    page.set_default_timeout(20_000)
                    await page.goto(f"{base[service]}{path}")
                    await page.wait_for_selector("header >> text=Europe/Rome")
                    heading = await _looks_right(page, lang)
                    headings.setdefault(path, set()).add(heading)
                    name = path.strip("/").replace("/", "-")
                    await page.screenshot(
                        path=str(out / f"home-resident-{name}-{lang}.png"), full_page=True
                    )
                    await phone.close()
        finally:
            await browser.close()
    for who, seen in headings.items():
        assert len(seen) == 3, f"{who}: the same heading in two languages: {seen}"
    assert len(list(out.glob("home-*.png"))) == 3 * (len(STAFF) + len(RESIDENT) + 1)
