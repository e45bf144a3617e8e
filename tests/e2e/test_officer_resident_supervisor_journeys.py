"""The hub's three jobs around applications, done in Chromium by clicking and typing only, on
the demo's day of applications:

- the officer signs in (password and authenticator code), narrows the queue to Milan, returns
  one application with a reason per ticked material, accepts another (forwarded at once) and
  rejects a third with its reason;
- a resident on a phone follows a concluded application with number and query code, rates the
  service and sees what was recorded;
- the supervisor reads the statistics at a glance and downloads the same figures as CSV.

Each journey is walked whole once (Italian, phone or desk); then every page it made is seen
again in Chinese, English and Italian at 1280×800 and 390×844, each passing axe-core, no
sideways scroll and no raw key or untranslated message."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.applications.demo import DemoApplication, seed_applications
from hub.applications.storage import MaterialStore
from tests.e2e.browser_support import CHROMIUM, PLAIN_ARGS, Shots, have_chromium
from tests.e2e.journeys import (
    PageFaults,
    Staff,
    Visit,
    check_page,
    new_view,
    revisit,
    seeded_staff,
    sign_in,
    watch_console,
)
from tests.helpers import service_app


def _find(seeded: list[DemoApplication], note: str) -> DemoApplication:
    return next(a for a in seeded if a.note.startswith(note))


async def _officer(browser: Any, base: str, officer: Staff, seeded: Any, shots: Shots) -> None:
    context = await new_view(browser, "it", "desk")
    page = await context.new_page()
    faults = watch_console(page, PageFaults())
    await sign_in(page, base, officer.username, officer.password, officer.secret)
    assert page.url == f"{base}/queue"
    await check_page(page, "it", shots=shots, name="officer-queue-it-desk")
    await page.get_by_label("Sede").select_option("MIL")
    await page.get_by_role("button", name="Mostri").click()
    await page.wait_for_url("**/queue?branch=MIL**")
    rows = page.locator("tbody tr")
    assert await rows.count() >= 3
    assert await page.get_by_text("PAR-").count() == 0  # Paris's are filtered out
    visits = [Visit(f"{base}/queue", "officer-queue"), Visit(page.url, "officer-queue-milan")]

    # return the application waiting in Milan: passport expired, form unsigned
    waiting = _find(seeded, "submitted, waiting")
    await page.get_by_role("link", name=waiting.number).click()
    await page.get_by_role("heading", name="Decisione").wait_for()
    await check_page(page, "it", shots=shots, name="officer-application-it-desk")
    await page.get_by_label("Passaporto", exact=True).check()
    await page.get_by_label("Motivo per Passaporto").fill("Passaporto scaduto nel 2025")
    await page.get_by_role("button", name="Invii l'avviso di integrazione").click()
    await page.get_by_role("status").get_by_text("Restituita con l'avviso").wait_for()
    await page.get_by_text("Passaporto scaduto nel 2025").first.wait_for()
    assert "restituita per integrazione" in await page.locator(".card").first.inner_text()
    visits.append(Visit(page.url.split("?")[0], "officer-returned"))

    # accept the one from Paris: forwarded in the same step
    await page.goto(f"{base}/queue?lang=it")
    paris = _find(seeded, "submitted at the Paris")
    await page.get_by_role("link", name=paris.number).click()
    await page.get_by_role("button", name="Accetti e inoltri").click()
    await page.get_by_role("status").get_by_text("Accettata e messa in coda").wait_for()
    card = await page.locator(".card").first.inner_text()
    assert "inoltrata" in card and "in attesa di consegna alla piattaforma" in card
    visits.append(Visit(page.url.split("?")[0], "officer-accepted"))

    # a rejection needs its reason: refused without one, recorded with it
    await page.goto(f"{base}/queue?branch=MIL&lang=it")
    life = _find(seeded, "submitted: a life")
    await page.get_by_role("link", name=life.number).click()
    await page.get_by_role("button", name="Respinga").click()
    await page.get_by_role("alert").get_by_text("almeno un motivo").wait_for()
    await check_page(page, "it", shots=shots, name="officer-reject-refused-it-desk")
    await page.get_by_label("Motivo del rigetto").fill("Certificato di esistenza in vita scaduto")
    await page.get_by_role("button", name="Respinga").click()
    await page.get_by_role("status").get_by_text("Respinta").wait_for()
    assert "Certificato di esistenza in vita scaduto" in await page.locator("ol.steps").inner_text()
    visits.append(Visit(page.url.split("?")[0], "officer-rejected"))
    returned = _find(seeded, "returned with")
    await page.goto(f"{base}/queue/{returned.number}?lang=it")
    assert await page.get_by_role("button", name="Respinga").count() == 0  # waits for the branch
    faults.assert_none()
    await revisit(page, visits, shots=shots)
    await context.close()


async def _resident(browser: Any, base: str, seeded: Any, shots: Shots) -> None:
    concluded = _find(seeded, "concluded, waiting")
    context = await new_view(browser, "it", "phone")
    page = await context.new_page()
    faults = watch_console(page, PageFaults())
    await page.goto(f"{base}/progress")
    await check_page(page, "it", shots=shots, name="resident-lookup-it-phone")
    await page.get_by_label("Numero della pratica").fill(concluded.number)
    await page.get_by_label("Codice di consultazione").fill("WRONG123")
    await page.get_by_role("button", name="Cerchi").click()
    await page.get_by_role("alert").wait_for()
    await check_page(page, "it", shots=shots, name="resident-wrong-code-it-phone")
    await page.get_by_label("Codice di consultazione").fill(concluded.query_code)
    await page.get_by_role("button", name="Cerchi").click()
    await page.get_by_role("heading", name="Duplicato del libretto").wait_for()
    text = await page.locator("main").inner_text()
    assert "conclusa" in text and "Europe/Rome" in text and "0577" in text
    visits = [Visit(page.url, "resident-progress")]
    await page.get_by_label("molto soddisfatto").check()
    await page.get_by_label("Commento (facoltativo)").fill("Rapidi e gentili, grazie.")
    await page.get_by_role("button", name="Invii la valutazione").click()
    await page.get_by_role("heading", name="Grazie per la Sua valutazione").wait_for()
    recorded = await page.locator("#rating").inner_text()
    assert "molto soddisfatto" in recorded and "Rapidi e gentili, grazie." in recorded
    visits.append(Visit(page.url.split("#")[0], "resident-rated"))
    faults.assert_none()
    await revisit(page, visits, shots=shots)
    await context.close()


async def _supervisor(browser: Any, base: str, supervisor: Staff, shots: Shots) -> None:
    context = await new_view(browser, "it", "desk", accept_downloads=True)
    page = await context.new_page()
    faults = watch_console(page, PageFaults())
    await sign_in(page, base, supervisor.username, supervisor.password, supervisor.secret)
    assert page.url == f"{base}/statistics"
    await page.get_by_role("heading", name="In sintesi").wait_for()
    await check_page(page, "it", shots=shots, name="supervisor-statistics-it-desk")
    height = await page.evaluate("document.documentElement.scrollHeight")
    assert height < 6000, f"the statistics page is {height}px tall"
    glance = await page.locator("dl.glance").inner_text()
    assert "pratiche ricevute" in glance and "pratiche accettate" in glance
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Scarichi in CSV").click()
    saved = await (await download.value).path()
    csv = await asyncio.to_thread(Path(str(saved)).read_text, encoding="utf-8-sig")
    assert "applications,all,received,10" in csv.replace("\r", "")
    faults.assert_none()
    await revisit(page, [Visit(f"{base}/statistics", "supervisor-statistics")], shots=shots)
    await context.close()


async def test_officer_resident_and_supervisor_do_their_jobs_in_the_browser(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    if not have_chromium():
        pytest.fail("this test needs Debian's chromium (scripts/system-deps.sh)")
    from playwright.async_api import async_playwright

    app, db = await service_app("hub", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    now = datetime.now(UTC)
    staff = await seeded_staff(db, None, now, hub_dir=tmp_path)
    async with db.transaction() as session:
        seeded = await seed_applications(
            session, store=MaterialStore(tmp_path / "materials"), now=now
        )
    base = str((await aiohttp_client(app)).make_url("/")).rstrip("/")
    shots = Shots(tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=PLAIN_ARGS)
        try:
            await _officer(browser, base, staff["officer.wz"], seeded, shots)
            await _resident(browser, base, seeded, shots)
            await _supervisor(browser, base, staff["supervisor.wz"], shots)
        finally:
            await browser.close()
            shots.publish()
    # eight pages (five of the officer's, two of the resident's, the statistics) in six views
    assert len({p.name for p in shots.taken}) >= 8 * 6
