"""After the officer's return, the clerk at the branch works the one-time deficiency notice in
the browser: reads each material's problem and the officer's reason, replaces one, is warned
that another is still asked for, sends anyway, sees the hub's refusal in Italian with nothing
lost, replaces the other and sends the correction again, which the hub takes.

The officer's return is made through the hub's API here: the officer's own pages have their
journey of their own (hub side). Everything the clerk does is clicks and typing."""

from __future__ import annotations

import asyncio
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
from tests.helpers import png_bytes
from tests.integration.test_node_hub_refusal import linked_hub_and_node


async def reload_until(page: Any, text: str, seconds: float = 30) -> None:
    """The clerk reloads the page until ``text`` shows (the link works in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await page.get_by_text(text).count():
        assert loop.time() < deadline, f"{text!r} never showed on {page.url}"
        await asyncio.sleep(0.3)
        await page.reload()


async def test_the_clerk_works_the_deficiency_notice_and_a_refusal(
    aiohttp_server: Any, aiohttp_client: Any, tmp_path: Path
) -> None:
    if not have_chromium():
        pytest.fail("this test needs Debian's chromium (scripts/system-deps.sh)")
    from playwright.async_api import async_playwright

    url = f"sqlite+aiosqlite:///{tmp_path / 'node.sqlite3'}"
    linked = await linked_hub_and_node(url, aiohttp_server, aiohttp_client, tmp_path)
    staff = await seeded_staff(None, linked.node_db, datetime.now(UTC), node_dir=tmp_path / "node")
    clerk = staff["clerk.milan"]
    base = str(linked.node.make_url("/")).rstrip("/")
    scan = tmp_path / "scan.png"
    scan.write_bytes(png_bytes())
    shots = Shots(tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=PLAIN_ARGS)
        try:
            context = await new_view(browser, "it", "desk")
            page = await context.new_page()
            faults = watch_console(page, PageFaults())
            await sign_in(page, base, clerk.username, clerk.password, clerk.secret)

            async def attach(material: str, checked: bool = True) -> None:
                await page.get_by_label("Documento", exact=True).select_option(label=material)
                if not checked:
                    await page.get_by_label("Solo caricato (livello C)").check()
                await page.get_by_label("File (PDF, PNG o JPEG)").set_input_files(scan)
                await page.get_by_role("button", name="Alleghi", exact=True).click()
                await page.wait_for_load_state()

            await page.goto(f"{base}/intake/catalogue/HR-005")
            await page.get_by_label("Nome del richiedente").fill("Hu Li")
            await page.get_by_label("Numero di passaporto").fill("E7654321")
            await page.get_by_role("button", name="Apra la pratica").click()
            await page.get_by_role(
                "heading", name="Certificato di iscrizione anagrafica"
            ).wait_for()
            number = page.url.rsplit("/", 1)[-1].split("?")[0]
            passport = "Passaporto (originale richiesto)"
            booklet = "Libretto di registrazione del nucleo familiare (hukou) (originale richiesto)"
            await attach(passport)
            await attach(booklet, checked=False)
            await page.get_by_role("button", name="Invii alla sede centrale").click()
            await page.get_by_text("Non ancora inviata").wait_for()  # an unchecked original
            await page.get_by_label("Invii comunque").check()
            await page.get_by_role("button", name="Invii alla sede centrale").click()
            await reload_until(page, "consegnata")

            returned = await linked.hub.post(
                f"/api/applications/{number}/return",
                json={"invalid": {"passport": "Passaporto scaduto il 2026-10-01"}},
                headers=linked.officer,
            )
            assert returned.status == 200, await returned.text()

            await reload_until(page, "Comunicazione unica delle integrazioni")
            detail_url = page.url
            await page.get_by_text("Passaporto scaduto il 2026-10-01").wait_for()
            await check_page(page, "it", shots=shots, name="notice-it-desk")
            await page.get_by_role("row", name="Libretto").get_by_role("link").click()
            assert await page.get_by_label("Documento", exact=True).input_value() == "hukou"
            await page.get_by_label("File (PDF, PNG o JPEG)").set_input_files(scan)
            await page.get_by_role("button", name="Alleghi", exact=True).click()
            await page.get_by_role("button", name="Invii l'integrazione").click()
            await page.get_by_text("restituirla per: Passaporto (da sostituire)").wait_for()
            await page.get_by_label("Invii comunque").check()
            await page.get_by_role("button", name="Invii l'integrazione").click()

            await reload_until(page, "La sede centrale ha rifiutato l'integrazione")
            await page.get_by_text("Nulla è andato perso").wait_for()
            await check_page(page, "it", shots=shots, name="refused-it-desk")
            await page.get_by_role("link", name="Accettazione").first.click()
            await page.get_by_role("heading", name="Rifiutate dalla sede centrale").wait_for()
            await check_page(page, "it", shots=shots, name="intake-refused-it-desk")
            visits = [Visit(detail_url, "refused"), Visit(f"{base}/intake", "intake-refused")]
            assert await revisit(page, visits, shots=shots) == 2 * 6

            await page.goto(f"{base}/intake?lang=it")
            await page.get_by_role("link", name=number).first.click()
            await page.get_by_role("row", name="Passaporto").get_by_role("link").click()
            await page.get_by_label("File (PDF, PNG o JPEG)").set_input_files(scan)
            await page.get_by_role("button", name="Alleghi", exact=True).click()
            await page.get_by_role("button", name="Invii l'integrazione").click()
            await reload_until(page, "Presso la sede centrale: presentata")
            assert not await page.get_by_text("ha rifiutato").count()
            await check_page(page, "it", shots=shots, name="resent-it-desk")
            faults.assert_none()
            await context.close()
        finally:
            await browser.close()
            shots.publish()
