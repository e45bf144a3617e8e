"""A whole power-of-attorney notarization in Chromium, by clicking and typing only, each person
signed in for real (password and the code of their authenticator app typed into the page):

the notary (hub, desk, English) finds today's booking on the day page and opens its act on the
resident's application; the branch clerk (hub, Chinese) finds the act and its kiosk reference;
at the branch kiosk (node, phone-size, Italian; each of its screens checked) the clerk opens the
face check, the resident performs the liveness challenge (the fake camera shows exactly the
actions asked for) and is handed to the hub's page of the act; the notary starts the recorded
session, the resident joins it; the notary reads the advisements and presents the certificate,
the resident signs with a one-time code, the clerk co-signs as witness, the notary signs and
seals; the resident downloads the certificate and anyone checks it on /verify. The notary's
journal and its export come from the same pages. Then every page the journey made is seen again
in zh/en/it at 1280×800 and 390×844. Every page passes axe-core and does not scroll sideways;
the console shows no CSP refusal; the session page keeps both videos in view at both sizes.

Servers and browser run in a network namespace of the test's own (tests/e2e/notary_servers.py).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from common.i18n import translate
from hub.notarization.pages import RESIDENT_NEXT
from signing.cli_verify import main as verify_main
from tests.e2e.browser_support import (
    HUB,
    NODE,
    REMOTE_VIDEO_PLAYING,
    Shots,
    challenge_video,
    chromium_args,
    chromium_in,
    harness,
    still_video,
)
from tests.e2e.journeys import (
    SIZES,
    PageFaults,
    Visit,
    check_page,
    codes_already_used,
    new_view,
    revisit,
    sign_in,
    typed_code,
    watch_console,
)

pytestmark = pytest.mark.slow
IT = partial(translate, "it")
ZH = partial(translate, "zh")
NOTARY_ZONE = "Asia/Shanghai"
POA = {
    "Agent's name": "Hu Xiaoli 胡小丽",
    "Agent's identity document": "330328198001010022",
    "The home to be bought": "浙江省温州市文成县大峃镇建设路 8 号 3 幢 501 室",
}
# Both videos wholly inside the viewport, the page scrolled to its top.
BOTH_VIDEOS_IN_VIEW = """() => {
  window.scrollTo(0, 0);
  const videos = [...document.querySelectorAll('.tile video')];
  return videos.length >= 2 && videos.every(v => {
    const r = v.getBoundingClientRect();
    return v.videoWidth > 0 && r.width > 80 && r.top >= 0 && r.left >= 0 &&
      r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  });
}"""


@pytest.fixture
def servers(netns: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    args = ("--data", str(tmp_path), "--hub-host", HUB, "--node-host", NODE)
    with harness(netns, "notary_servers.py", *args) as printed:
        codes_already_used(printed["codes_used"])
        yield printed


async def _in_view_at_both_sizes(page: Any, size: str, shots: Shots, name: str) -> None:
    """The session page keeps both videos in view at its size and at the other one."""
    for each in (size, "phone" if size == "desk" else "desk", size):
        await page.set_viewport_size(SIZES[each])
        await page.wait_for_function(BOTH_VIDEOS_IN_VIEW, timeout=15_000)
        path = shots.dir / f"{name}-{each}.png"
        if not path.exists():
            await page.screenshot(path=str(path))
            shots.taken.append(path)


@pytest.mark.timeout(900)  # a whole act and 60 page checks on two shared cores
async def test_power_of_attorney_from_booking_to_verified_certificate(
    netns: str, servers: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    began = time.monotonic()
    hub, node, resident = servers["hub"], servers["node"], servers["resident"]
    staff, clerk_at_node = servers["hub_staff"], servers["node_staff"]["clerk.milan"]
    shots, faults = Shots(tmp_path), PageFaults()
    video = still_video(tmp_path / "camera.y4m")  # replaced once the challenge is known
    booked_day = datetime.fromisoformat(resident["starts_at"]).astimezone(ZoneInfo(NOTARY_ZONE))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(chromium_in(netns, tmp_path)),
            args=chromium_args(video, [hub, node]),
        )
        try:
            # --- the notary's day: the booking, its act opened on the resident's application
            notary = await (await new_view(browser, "en", "desk", zone=NOTARY_ZONE)).new_page()
            watch_console(notary, faults)
            await sign_in(notary, hub, **staff["notary.wz"])
            await notary.goto(f"{hub}/notary")
            if booked_day.date().isoformat() not in await notary.locator("h1").inner_text():
                await notary.get_by_label("Day").fill(booked_day.date().isoformat())
                await notary.get_by_role("button", name="Show").click()
            day_url = notary.url
            booking = notary.locator(f'[data-booking="{resident["booking"]}"]')
            await expect(booking).to_contain_text("Open the act on the resident's application")
            await check_page(notary, "en", shots=shots, name="notary-day-first")
            await booking.get_by_role("link").click()
            booking_url = notary.url
            await check_page(notary, "en", shots=shots, name="notary-booking-first")
            form = notary.locator("form", has_text=resident["application"])
            for label, value in POA.items():
                await form.get_by_label(label).fill(value)
            await form.get_by_role("button", name="Open the act").click()
            await notary.wait_for_url("**/notary/acts/**")
            act_url = notary.url
            await expect(notary.locator("#act-next")).to_have_text(
                "Waiting for the resident's face check at the branch"
            )
            await expect(notary.locator('[data-action="start-session"]')).to_be_hidden()
            await check_page(notary, "en", shots=shots, name="notary-act-booked")
            number = (await notary.locator("h1").inner_text()).split(" · ")[0]

            # --- the branch clerk, at the hub: the act of the day and its kiosk reference
            branch = await new_view(browser, "zh", "desk")
            clerk = await branch.new_page()
            watch_console(clerk, faults)
            await sign_in(clerk, hub, **staff["clerk.milan"])
            await clerk.goto(f"{hub}/branch/notarizations")
            if booked_day.date().isoformat() not in await clerk.locator("h1").inner_text():
                await clerk.goto(f"{hub}/branch/notarizations?day={booked_day.date()}")
            branch_url = clerk.url
            await check_page(clerk, "zh", shots=shots, name="clerk-day-first")
            await clerk.get_by_role("link", name=ZH("Open act {number}", number=number)).click()
            witness_url = clerk.url
            act_id = await clerk.locator("#kiosk-ref").inner_text()
            await expect(clerk.locator("#act-next")).to_have_text(
                ZH("Next: the resident proves identity at the kiosk.")
            )
            await expect(clerk.locator('[data-action="witness"]')).to_be_hidden()
            await check_page(clerk, "zh", shots=shots, name="clerk-witness-booked")

            # --- the kiosk at the branch (through the node), the resident's screen in Italian
            kiosk = await (await new_view(browser, "it", "phone")).new_page()
            kiosk.set_default_timeout(30_000)
            watch_console(kiosk, faults)
            await sign_in(kiosk, node, **clerk_at_node)
            await kiosk.goto(f"{node}/kiosk?lang=it")
            kiosk_url = kiosk.url
            await check_page(kiosk, "it", shots=shots, name="kiosk-open-first")
            await kiosk.locator("#k-resident-id").fill(servers["resident_id"])
            await kiosk.locator("#k-act").fill(act_id)
            await kiosk.locator("#k-code").fill(resident["query_code"])
            await kiosk.locator("#k-code").press("Enter")
            await kiosk.wait_for_url("**/kiosk/verify**")
            await expect(kiosk.locator("#k-begin")).to_be_focused()
            await check_page(kiosk, "it", shots=shots, name="kiosk-start")
            await kiosk.locator("#k-begin").click()
            await expect(kiosk.locator("#k-camera")).to_be_visible()
            await check_page(kiosk, "it", shots=shots, name="kiosk-challenge")
            challenge = await kiosk.locator("#k-challenge").get_attribute("data-challenge") or ""
            challenge_video(video, challenge.split(","))
            await kiosk.locator("#k-camera").click()
            await expect(kiosk.locator("#k-result")).to_have_attribute(
                "data-accepted", "true", timeout=90_000
            )
            await check_page(kiosk, "it", shots=shots, name="kiosk-verified")
            kiosk_verify_url = kiosk.url  # the grant is spent: seen again, the page says so
            await kiosk.locator("#k-continue").click()
            await kiosk.wait_for_url(f"{hub}/notarization/acts/{act_id}**")
            resident_url = kiosk.url
            await expect(kiosk.locator("#act-problem")).to_be_empty()
            await expect(kiosk.locator("#act-state")).to_have_text(IT("Identity verified"))
            await expect(kiosk.locator("#act-next")).to_have_text(IT(RESIDENT_NEXT["identified"]))
            await check_page(kiosk, "it", shots=shots, name="resident-identified")

            # --- the recorded session: the notary starts it, the resident joins beside the steps
            start = notary.get_by_role("button", name="Start the recorded video session")
            await start.click(timeout=30_000)  # shown once the page sees the identity
            await notary.wait_for_url("**session=**")
            await expect(notary.locator("#recording-notice")).to_be_visible()
            await kiosk.get_by_role("button", name=IT("Join the video session")).click()
            await expect(kiosk.locator("#recording-notice")).to_contain_text(
                IT("This session is recorded.")
            )
            for page in (notary, kiosk):
                await page.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
            await expect(notary.locator('#people [data-participant="resident"]')).to_contain_text(
                "here"
            )
            # each tile names the person with their role, once ("Notaio", not "Notaio · Notaio")
            resident_tile = notary.locator(".tile .tile-label", has_text="Hu Xiaoming")
            await expect(resident_tile).to_have_text("Hu Xiaoming 胡小明 · Resident")
            notary_tile = kiosk.locator(".tile:not([data-participant='__self__']) .tile-label")
            await expect(notary_tile).to_have_text(IT("Notary"))
            await _in_view_at_both_sizes(notary, "desk", shots, "session-notary-en")
            await _in_view_at_both_sizes(kiosk, "phone", shots, "session-resident-it")
            await check_page(notary, "en", name="session-notary")
            await check_page(kiosk, "it", name="session-resident")

            # --- advisements read aloud, then the certificate presented for signature
            present = notary.get_by_role("button", name="Present the certificate for signature")
            await expect(present).to_be_hidden()
            for box in await notary.locator("[data-advisement]").all():
                await box.check()
                await expect(box).to_be_disabled()
            await present.click()
            await expect(notary.locator("#act-state")).to_have_text("Ready for your signature")

            # --- the resident signs with the code of their authenticator app
            await expect(kiosk.locator("#sign-step")).to_be_visible()
            await kiosk.locator("#r-consent").check()
            await kiosk.locator("#r-code").fill(await typed_code(resident["secret"]))
            await kiosk.get_by_role("button", name=IT("Sign"), exact=True).click()
            await expect(kiosk.locator("#act-status")).to_have_text(
                IT("Your signature is on the certificate."), timeout=90_000
            )
            await expect(kiosk.locator("#sign-step")).to_be_hidden()

            # --- the clerk co-signs as witness; the notary signs and seals
            witness = clerk.get_by_role("button", name=ZH("Co-sign as witness"))
            await witness.click(timeout=30_000)  # shown once the page sees the signature
            await expect(clerk.locator("#act-state")).to_have_text(ZH("Witnessed by the branch"))
            await check_page(clerk, "zh", shots=shots, name="clerk-witnessed")
            issue = notary.get_by_role("button", name="Sign and seal the certificate")
            await issue.click(timeout=30_000)
            await expect(notary.locator("#act-state")).to_have_text(
                "Certificate issued", timeout=90_000
            )
            code = await notary.locator("#verification-code").inner_text()

            # --- the resident keeps the certificate; anyone checks it on /verify
            await expect(kiosk.locator("#done-step")).to_be_visible(timeout=30_000)
            async with kiosk.expect_download() as download:
                await kiosk.get_by_role("link", name=IT("Download the certificate")).click()
            certificate = tmp_path / "certificate.pdf"
            await (await download.value).save_as(certificate)
            anyone = await (await new_view(browser, "en", "phone")).new_page()
            watch_console(anyone, faults)
            await anyone.goto(f"{hub}/verify")
            await anyone.get_by_label("Verification code").fill(code)
            await anyone.get_by_role("button", name="Check", exact=True).click()
            await expect(anyone.locator("#found-h")).to_have_text("This certificate was issued")
            await anyone.get_by_label("Check a PDF you hold").set_input_files(certificate)
            await anyone.get_by_role("button", name="Check the file").click()
            await expect(anyone.locator("#verdict")).to_contain_text(
                "every signature on it is valid"
            )
            verify_url = anyone.url.split("#")[0]
            await check_page(anyone, "en", shots=shots, name="verify-valid")

            # --- the notary's journal, and its export, from the same pages
            await notary.goto(act_url)
            await notary.get_by_role("link", name="My journal").click()
            journal_url = notary.url
            await expect(notary.locator("table")).to_contain_text(number)
            async with notary.expect_download() as exported:
                await notary.get_by_role("link", name="Export (CSV)").click()
            csv = tmp_path / "journal.csv"
            await (await exported.value).save_as(csv)
            assert number in csv.read_text(encoding="utf-8")

            # --- every page again, in the other languages and sizes
            checked = await revisit(
                notary,
                [
                    Visit(day_url, "notary-day"),
                    Visit(booking_url, "notary-booking"),
                    Visit(act_url, "notary-act"),
                    Visit(journal_url, "notary-journal"),
                ],
                shots=shots,
            )
            checked += await revisit(
                clerk,
                [Visit(branch_url, "clerk-day"), Visit(witness_url, "clerk-witness")],
                shots=shots,
            )
            checked += await revisit(
                kiosk,
                [
                    Visit(kiosk_url, "kiosk-open"),
                    Visit(kiosk_verify_url, "kiosk-verify"),
                    Visit(resident_url, "resident"),
                ],
                shots=shots,
            )
            checked += await revisit(anyone, [Visit(verify_url, "verify")], shots=shots)
        finally:
            await browser.close()
    shots.publish()
    faults.assert_none()
    assert checked == 10 * 6

    checked_pdf = ["pdf", str(certificate), "--trust", servers["ca_pem"]]
    assert await asyncio.to_thread(verify_main, checked_pdf) == 0  # `qiaolink verify pdf`
    pdfsig = ["pdfsig", str(certificate)]
    out = (await asyncio.to_thread(subprocess.run, pdfsig, capture_output=True, text=True)).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 4, out
    assert time.monotonic() - began < 840
