"""The clerk at the Milan counter takes an application in, in the browser only: signs in with
password and authenticator code, finds the item in the catalogue by a word, reads its guide,
opens the application for a resident (a wrong field is named in Italian), attaches materials,
is refused while one is missing, records the resident's promise to bring it later (容缺受理),
submits, and prints the receipt in the resident's language. The hub is out of reach all along:
the branch works on its own. Every page passes the journeys' checks in every view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from common.settings import NodeSettings
from overseas_node.app import create_app as create_node
from tests.conftest import free_port
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
from tests.helpers import migrated_database, png_bytes
from tests.integration.test_node_intake_refusals import copy_catalogue


async def test_the_clerk_takes_an_application_in_and_prints_the_receipt(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    if not have_chromium():
        pytest.fail("this test needs Debian's chromium (scripts/system-deps.sh)")
    from playwright.async_api import async_playwright

    url = f"sqlite+aiosqlite:///{tmp_path / 'node.sqlite3'}"
    db = await migrated_database(url, "overseas_node:migrations")
    clerk = (await seeded_staff(None, db, datetime.now(UTC), node_dir=tmp_path))["clerk.milan"]
    await copy_catalogue(db)
    settings = NodeSettings(
        data_dir=tmp_path, database_url=url, hub_url=f"http://127.0.0.1:{free_port()}"
    )
    base = str((await aiohttp_client(create_node(settings, database=db))).make_url("/"))
    base = base.rstrip("/")
    scan = tmp_path / "scan.png"
    scan.write_bytes(png_bytes())
    due = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    shots = Shots(tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=PLAIN_ARGS)
        try:
            context = await new_view(browser, "it", "phone")
            page = await context.new_page()
            faults = watch_console(page, PageFaults())
            await page.goto(base)
            await page.get_by_role(
                "link", name="Accettazione: aprire e seguire le pratiche"
            ).click()
            assert "/signin" in page.url
            await sign_in(page, base, clerk.username, clerk.password, clerk.secret)
            assert page.url == f"{base}/intake"
            await check_page(page, "it", shots=shots, name="intake-it-phone")

            # the catalogue, by a word of the item's Italian name
            await page.get_by_label("Trovi il servizio per nome o codice").fill("modifica hukou")
            await page.get_by_label("Trovi il servizio per nome o codice").press("Enter")
            await page.get_by_text("Servizi trovati: 1").wait_for()
            search_url = page.url
            await check_page(page, "it", shots=shots, name="catalogue-it-phone")
            await page.get_by_role("link", name="Modifica dei dati del libretto hukou").click()
            await page.get_by_role("heading", name="Guida al servizio").wait_for()
            guide_url = page.url
            await check_page(page, "it", shots=shots, name="guide-it-phone")

            # the resident's form: a wrong passport number is named in Italian, nothing kept
            await page.get_by_label("Nome del richiedente").fill("Lin Wei")
            await page.get_by_label("Numero di passaporto").fill("E1")
            await page.get_by_label("Lingua del richiedente").select_option("zh")
            await page.get_by_role("button", name="Apra la pratica").click()
            await page.get_by_text("da 3 a 40 lettere, cifre o trattini").wait_for()
            await check_page(page, "it", shots=shots, name="open-refused-it-phone")
            await page.get_by_label("Numero di passaporto").fill("YA1234567")
            await page.get_by_role("button", name="Apra la pratica").click()
            await page.get_by_role(
                "heading", name="Modifica dei dati del libretto hukou"
            ).wait_for()
            detail_url = page.url
            code = await page.locator("strong.code").inner_text()
            assert len(code) == 8

            async def attach(material: str) -> None:
                await page.get_by_label("Documento", exact=True).select_option(label=material)
                await page.get_by_label("File (PDF, PNG o JPEG)").set_input_files(scan)
                await page.get_by_role("button", name="Alleghi", exact=True).click()
                await page.wait_for_load_state()

            await attach("Passaporto (originale richiesto)")
            await page.get_by_role("button", name="Invii alla sede centrale").click()
            await page.get_by_text("Non inviata: mancano documenti").wait_for()
            assert code in await page.content()  # the query code stays, whatever happens
            await check_page(page, "it", shots=shots, name="incomplete-it-phone")

            booklet = "Libretto di registrazione del nucleo familiare (hukou)"
            await attach(f"{booklet} (originale richiesto)")
            await attach("Modulo di domanda")
            await page.get_by_label("Prove a sostegno").check()
            await page.get_by_label("Da portare entro (data)").fill(due)
            await page.get_by_role("button", name="Invii alla sede centrale").click()
            await page.get_by_text("in attesa di invio").wait_for()
            await check_page(page, "it", shots=shots, name="queued-it-phone")
            checklist = page.locator("table.checklist")
            assert await checklist.get_by_text("promesso in seguito").count() == 1
            assert await checklist.get_by_text("presente", exact=True).count() == 3
            assert await checklist.get_by_text("mancante").count() == 0

            # the receipt, in the resident's language (Chinese), with the QR code drawn
            await page.get_by_role("link", name="Stampi la ricevuta per il richiedente").click()
            await page.get_by_role("heading", name="办件受理回执").wait_for()
            receipt_url = page.url
            assert code in await page.locator("dl").inner_text()
            drawn = await page.locator("img.qr").evaluate("img => img.naturalWidth")
            assert drawn > 0
            await check_page(page, "zh", shots=shots, name="receipt-zh-phone")
            await page.emulate_media(media="print")  # on paper: the receipt only
            assert not await page.locator("header").is_visible()
            assert await page.locator("img.qr").is_visible()
            assert not await page.get_by_role("button", name="打印").is_visible()
            await page.emulate_media(media="screen")
            faults.assert_none()

            visits = [
                Visit(f"{base}/", "front"),
                Visit(f"{base}/intake", "intake"),
                Visit(search_url, "catalogue"),
                Visit(guide_url, "guide"),
                Visit(detail_url, "application"),
                Visit(receipt_url, "receipt"),
            ]
            assert await revisit(page, visits, shots=shots) == 6 * 6
            faults.assert_none()
            await context.close()
        finally:
            await browser.close()
            shots.publish()
