"""THE application journey, in Chromium by clicking and typing only, across the three real
services (node, hub, platform simulator) with their relays and links running:

the Milan clerk finds the item, opens the application, attaches the materials and submits →
the officer at the hub returns it with a one-time notice naming the household register and why →
the clerk sees that reason at the branch, replaces the material and sends the correction → the
officer accepts (forwarded in the same step) → the platform concludes → the resident on a phone
follows it with number and query code, sees it concluded and rates it.

Walked once in Italian; then every page it made is seen again in every language and size."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from common.httpsig import load_or_create_key
from common.i18n import translate
from common.settings import HubSettings, NodeSettings
from hub.app import create_app as create_hub
from overseas_node.app import create_app as create_node
from tests.conftest import free_port
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
from tests.govnet_support import simulator
from tests.helpers import migrated_database, png_bytes


def it(message: str) -> str:
    """What an Italian page says for ``message`` (the test reads the page as a person would)."""
    return translate("it", message)


async def reload_until(
    page: Any, found: Callable[[], Awaitable[bool]], seconds: float = 60
) -> None:
    """A person waiting for the other side: reload now and then until the page shows it."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await found():
        assert asyncio.get_running_loop().time() < deadline, f"{page.url} never showed it"
        await asyncio.sleep(0.5)
        await page.reload()


async def _world(aiohttp_server: Any, tmp_path: Path) -> tuple[dict[str, str], dict[str, Staff]]:
    hub_dir, node_dir, sim_dir = tmp_path / "hub", tmp_path / "node", tmp_path / "sim"
    hub_port, sim_port, node_port = free_port(), free_port(), free_port()
    sim = await simulator(
        f"sqlite+aiosqlite:///{sim_dir}/p.sqlite3",
        sim_dir,
        return_rate=0.0,
        step_delay_s=1.0,
        callback_url=f"http://127.0.0.1:{hub_port}/api/v1/govnet/callbacks",
    )
    hub_url = f"sqlite+aiosqlite:///{hub_dir}/hub.sqlite3"
    hub_db = await migrated_database(hub_url, "hub:migrations")
    node_url = f"sqlite+aiosqlite:///{node_dir}/node.sqlite3"
    node_db = await migrated_database(node_url, "overseas_node:migrations")
    staff = await seeded_staff(
        hub_db, node_db, datetime.now(UTC), hub_dir=hub_dir, node_dir=node_dir
    )
    hub = create_hub(
        HubSettings(
            data_dir=hub_dir,
            database_url=hub_url,
            govnet_url=f"http://127.0.0.1:{sim_port}",
            outbox_relay_interval_s=0.2,
            outbox_base_delay_s=0.2,
            outbox_max_delay_s=1.0,
            govnet_reconcile_interval_s=2.0,
        ),
        database=hub_db,
    )
    shutil.copy(sim_dir / "keys" / "govnet-sim.pub.pem", hub_dir / "keys")
    shutil.copy(hub_dir / "keys" / "hub-govnet.pub.pem", sim_dir / "keys")
    load_or_create_key(node_dir / "keys" / "node-MIL.pem")  # the node registered by its key
    shutil.copy(node_dir / "keys" / "node-MIL.pub.pem", hub_dir / "keys")
    node = create_node(
        NodeSettings(
            data_dir=node_dir,
            database_url=node_url,
            hub_url=f"http://127.0.0.1:{hub_port}",
            link_interval_s=0.5,
            link_timeout_s=5.0,
        ),
        database=node_db,
    )
    await aiohttp_server(sim, port=sim_port)
    await aiohttp_server(hub, port=hub_port)
    await aiohttp_server(node, port=node_port)
    bases = {"hub": f"http://127.0.0.1:{hub_port}", "node": f"http://127.0.0.1:{node_port}"}
    return bases, staff


async def _clerk_opens_and_submits(page: Any, node: str, scans: dict[str, Path]) -> str:
    await page.goto(f"{node}/intake/catalogue")
    await reload_until(page, lambda: page.get_by_role("link").filter(has_text="hukou").count())
    await page.get_by_label(it("Search by name or code")).fill("HR-005")
    await page.get_by_role("button", name=it("Search"), exact=True).click()
    await page.locator("ul.items a").first.click()
    await page.get_by_label(it("Resident's name")).fill("Hu Xiaoming 胡小明")
    await page.get_by_label(it("Passport number")).fill("E1234567")
    await page.get_by_role("button", name=it("Open the application")).click()
    await page.get_by_text(it("Query code for the resident")).wait_for()
    for material, scan in list(scans.items())[:2]:
        await page.get_by_label(it("Material"), exact=True).select_option(material)
        await page.get_by_label(it("I checked it against the original (level B)")).check()
        await page.get_by_label(it("File (PDF, PNG or JPEG)")).set_input_files(str(scan))
        await page.get_by_role("button", name=it("Attach"), exact=True).click()
        await page.wait_for_load_state()
    await page.get_by_role("button", name=it("Submit to the hub")).click()
    await page.wait_for_load_state()
    return str(page.url.split("?")[0].rsplit("/", 1)[1])


async def test_clerk_officer_platform_resident_the_whole_application(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    if not have_chromium():
        pytest.fail("this test needs Debian's chromium (scripts/system-deps.sh)")
    from playwright.async_api import async_playwright

    bases, staff = await _world(aiohttp_server, tmp_path)
    node, hub = bases["node"], bases["hub"]
    scans = {}
    for material, colour in (("passport", "white"), ("hukou", "grey"), ("hukou-again", "white")):
        scans[material] = tmp_path / f"Scan {material}.png"  # as a branch scanner names them
        await asyncio.to_thread(scans[material].write_bytes, png_bytes(color=colour))
    shots = Shots(tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=PLAIN_ARGS)
        try:
            clerk_view = await new_view(browser, "it", "desk")
            clerk = await clerk_view.new_page()
            officer_view = await new_view(browser, "it", "desk")
            officer = await officer_view.new_page()
            resident_view = await new_view(browser, "it", "phone")
            resident = await resident_view.new_page()
            faults = PageFaults()
            for page in (clerk, officer, resident):
                watch_console(page, faults)
            c, o = staff["clerk.milan"], staff["officer.wz"]
            await sign_in(clerk, node, c.username, c.password, c.secret)
            await sign_in(officer, hub, o.username, o.password, o.secret)

            # 1. the clerk opens and submits
            number = await _clerk_opens_and_submits(clerk, node, scans)
            code = (await clerk.locator("strong.code").inner_text()).strip()
            clerk_visits = [Visit(f"{node}/intake/{number}", "journey-clerk-application")]
            await check_page(clerk, "it", shots=shots, name="journey-clerk-submitted-it-desk")

            # 2. the officer returns it: the household register is illegible
            await officer.goto(f"{hub}/queue")
            await reload_until(officer, lambda: officer.get_by_role("link", name=number).count())
            await officer.get_by_role("link", name=number).click()
            register = officer.locator("fieldset.notice-line").filter(
                has=officer.locator("input[value=hukou]")
            )
            await register.get_by_role("checkbox").check()
            await register.get_by_role("textbox").fill("Scansione illeggibile, la rifaccia")
            await officer.get_by_role("button", name=it("Send the deficiency notice")).click()
            await officer.get_by_role("status").wait_for()
            officer_visits = [Visit(f"{hub}/queue/{number}", "journey-officer-application")]
            await check_page(officer, "it", shots=shots, name="journey-officer-returned-it-desk")

            # 3. the clerk sees the reason, replaces the register and sends the correction
            await reload_until(clerk, lambda: clerk.get_by_text("Scansione illeggibile").count())
            await check_page(clerk, "it", shots=shots, name="journey-clerk-notice-it-desk")
            await clerk.locator("tr").filter(has_text="hukou").get_by_role("link").click()
            await clerk.get_by_label(it("I checked it against the original (level B)")).check()
            await clerk.get_by_label(it("File (PDF, PNG or JPEG)")).set_input_files(
                str(scans["hukou-again"])
            )
            await clerk.get_by_role("button", name=it("Attach"), exact=True).click()
            await clerk.wait_for_load_state()
            await clerk.get_by_role("button", name=it("Send the correction")).click()
            await clerk.wait_for_load_state()

            # 4. the officer accepts: forwarded at once
            await officer.goto(f"{hub}/queue/{number}")
            accept = officer.get_by_role("button", name=it("Accept and forward"))
            await reload_until(officer, accept.count)
            await accept.click()
            await officer.get_by_role("status").wait_for()

            # 5. the platform concludes; the resident follows it on a phone and rates it
            await resident.goto(f"{hub}/progress")
            await resident.get_by_label(it("Application number")).fill(number)
            await resident.get_by_label(it("Query code")).fill(code)
            await resident.get_by_role("button", name=it("Look up")).click()
            rate = resident.get_by_role("heading", name=it("Rate the service"))
            await reload_until(resident, rate.count, seconds=90)
            await check_page(
                resident, "it", shots=shots, name="journey-resident-concluded-it-phone"
            )
            progress = resident.url
            await resident.get_by_label(it("satisfied"), exact=True).check()
            await resident.get_by_label(it("Comment (optional)")).fill("Senza tornare in Cina!")
            await resident.get_by_role("button", name=it("Send my rating")).click()
            await resident.get_by_role("heading", name=it("Thank you for your rating")).wait_for()
            assert it("satisfied") in await resident.locator("#rating").inner_text()
            steps = await resident.locator("ol.steps").inner_text()
            for state in ("returned for correction", "accepted", "completed"):
                assert it(state) in steps, (state, steps)
            await reload_until(clerk, lambda: clerk.get_by_text(it("completed")).count())
            faults.assert_none()

            # the journey's pages in every language and size
            await revisit(clerk, clerk_visits, shots=shots)
            await revisit(officer, officer_visits, shots=shots)
            await revisit(resident, [Visit(progress, "journey-resident-progress")], shots=shots)
        finally:
            await browser.close()
            shots.publish()
