"""The mediator's cases, a case page and the supervisor's statistics in a real browser, in
Chinese, English and Italian: times in the viewer's zone, usable by keyboard, no sideways
scrolling on a phone. Screenshots go to $QIAOLINK_SCREENSHOT_DIR (default: the test's tmp)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from common.service import DB
from common.sessions import SESSION_COOKIE
from hub.mediation.tables import MediationCase
from tests.e2e.browser_support import CHROMIUM, LOCALES, PLAIN_ARGS, have_chromium
from tests.integration.mediation.world import make_world

WORDS = {
    "zh": ("我的调解案件", "各办公点调解统计", "当事人及代理人、翻译"),
    "en": ("My mediation cases", "Mediation statistics per office", "Parties and helpers"),
    "it": (
        "I miei casi di mediazione",
        "Statistiche della mediazione per ufficio",
        "Parti, rappresentanti e interpreti",
    ),
}


async def _plant(world: Any) -> None:
    now = world.clock.now()
    rows = [("MIL", 30, 12), ("MIL", 20, 5), ("MAD", 15, None), ("WZ", 10, 3), ("WZ", 8, None)]
    async with world.hub.app[DB].transaction() as session:
        for i, (office, ago, took) in enumerate(rows):
            opened = now - timedelta(days=ago)
            session.add(
                MediationCase(
                    number=f"TJ-{office}-DEMO-{i}",
                    office=office,
                    subject="遗产分割 Inheritance of a house",
                    summary="-",
                    mediator="mediator.milan",
                    mediator_name="Hu Wei 胡伟",
                    mediator_office="MIL",
                    state="settled" if took else "mediating",
                    opened_by="officer.wz",
                    opened_at=opened,
                    settled_at=opened + timedelta(days=took) if took else None,
                )
            )


def _screens(tmp_path: Path) -> Path:
    out = Path(os.environ.get("QIAOLINK_SCREENSHOT_DIR", tmp_path / "screens"))
    out.mkdir(parents=True, exist_ok=True)
    return out


def _pictures(out: Path) -> list[Path]:
    """This test's own pictures (the folder may be shared with other tests' screenshots)."""
    names = ("mediator-case-", "mediator-cases-", "supervisor-statistics-")
    return [
        p
        for p in out.glob("*.png")
        if p.name.startswith(names) and p.stem[-2:] in ("zh", "en", "it")
    ]


async def test_mediation_pages_in_three_languages(aiohttp_client: Any, tmp_path: Path) -> None:
    if not have_chromium():
        pytest.fail("this test needs Debian's chromium (scripts/system-deps.sh)")
    from playwright.async_api import async_playwright

    world = await make_world(
        aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}", tmp_path
    )
    await world.open_case()
    await world.consent_all()
    session_id = await world.hold_empty_session()
    await world.mediator(
        "POST",
        "/notes",
        {"text": "双方同意部分退还押金。 Both accept a partial refund.", "session": session_id},
    )
    await world.mediator(
        "POST", "/agreement", {"terms": ["房东于2026年3月31日前退还押金15000元。"]}
    )
    await _plant(world)
    out = _screens(tmp_path)
    base = str(world.hub.make_url("/")).rstrip("/")
    tokens = {
        u: (await world.as_(u))["Authorization"].split()[1]
        for u in ("mediator.milan", "supervisor.wz")
    }
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=PLAIN_ARGS, timeout=30_000
        )
        try:
            for lang, (cases_title, stats_title, parties_title) in WORDS.items():
                desk = await browser.new_context(
                    viewport={"width": 1280, "height": 860},
                    locale=LOCALES[lang],
                    timezone_id="Europe/Rome",
                )
                await desk.add_cookies(
                    [{"name": SESSION_COOKIE, "value": tokens["mediator.milan"], "url": base}]
                )
                page = await desk.new_page()
                page.set_default_timeout(15_000)
                await page.goto(f"{base}/mediation?lang={lang}")
                await page.wait_for_selector("td >> text=Europe/Rome")  # the browser's zone, kept
                assert await page.locator("h1").inner_text() == cases_title
                assert (
                    "Europe/Rome" in await page.locator("table").inner_text()
                )  # the viewer's zone
                await page.keyboard.press("Tab")
                assert await page.evaluate("document.activeElement.tagName") == "A"
                await page.screenshot(path=str(out / f"mediator-cases-{lang}.png"), full_page=True)
                await page.click(f"text={world.number}")
                await page.wait_for_selector("h2")
                assert parties_title in await page.content()
                assert "Europe/Rome" in await page.locator("dl").inner_text()
                await page.screenshot(path=str(out / f"mediator-case-{lang}.png"), full_page=True)
                await desk.close()

                phone = await browser.new_context(
                    viewport={"width": 390, "height": 844},
                    is_mobile=True,
                    has_touch=True,
                    locale=LOCALES[lang],
                    timezone_id="Asia/Shanghai",
                )
                await phone.add_cookies(
                    [{"name": SESSION_COOKIE, "value": tokens["supervisor.wz"], "url": base}]
                )
                page = await phone.new_page()
                page.set_default_timeout(15_000)
                await page.goto(f"{base}/mediation/statistics?lang={lang}")
                await page.wait_for_selector("header >> text=Asia/Shanghai")
                assert await page.locator("h1").inner_text() == stats_title
                table = await page.locator("table").inner_text()
                assert "MIL" in table and "MAD" in table and "WZ" in table
                wide = await page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                assert wide <= 1, "the page itself never scrolls sideways on a phone"
                await page.screenshot(
                    path=str(out / f"supervisor-statistics-{lang}.png"), full_page=True
                )
                await phone.close()
        finally:
            await browser.close()
    assert len(_pictures(out)) == 9
