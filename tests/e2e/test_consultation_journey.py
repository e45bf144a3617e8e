"""A consultation from booking to the knowledge base, in headless Chromium, by clicking and
typing only: a resident in Milan books lawyer.chen's next free time on the public page; the
consultant signs in (password and authenticator code), opens the recorded session from the desk
and the resident joins it from the follow-up page (fake cameras, a network namespace of the
test's own); the consultant ends it, writes the answer; the resident reads and rates it; the
consultant sees the rating and publishes the question in the knowledge base, where anyone finds
it. The hub's clock stands ten minutes before the booked time (tests/e2e/
test_consultation_servers.py). Every page is then seen in zh/en/it at 1280×800 and 390×844."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from signing.totp import code_at
from tests.e2e.browser_support import (
    HUB,
    REMOTE_VIDEO_PLAYING,
    Shots,
    camera_browser,
    chromium_args,
    chromium_in,
    harness,
    still_video,
)
from tests.e2e.journeys import VIEWS, PageFaults, check_page_sync
from tests.e2e.test_mediation_journey import in_lang, view_of

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
QUESTION = "父亲在文成去世，留下一套房产。我在意大利，如何办理继承？"
ANSWER = "请先在意大利办理委托公证和认证，再由亲属在文成申请继承公证。"


@pytest.fixture
def servers(netns: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with harness(
        netns, "test_consultation_servers.py", "--data", str(tmp_path), "--host", HUB
    ) as out:
        yield out


def book_and_meet(
    browser: Any, servers: dict[str, Any], shots: Shots, faults: PageFaults, pages: list[Any]
) -> tuple[Any, Any, Any, str, str]:
    """The resident books lawyer.chen's next free time, the consultant signs in and opens the
    session from the desk, the resident joins it; both see the other's video. Returns the
    consultant's and the resident's pages, the consultation's card, the desk and status pages."""
    hub = servers["hub"]
    offset = timedelta(seconds=servers["offset_s"])
    slot_day = datetime.fromisoformat(servers["slot"]).astimezone(ZoneInfo("Europe/Rome")).date()
    resident = view_of(browser, "it", "phone", faults)
    resident.goto(f"{hub}/consultations?lang=it")
    resident.locator("select[name=topic]").select_option("inheritance")
    resident.locator("input[name=from]").fill(str(slot_day))
    resident.locator("input[name=to]").fill(str(slot_day))
    resident.locator("input[name=tz]").fill("Europe/Rome")
    resident.locator("form[method=get] button").click()
    resident.locator("input[name=slot][value*='|lawyer.chen|']").first.check()
    check_page_sync(resident, "it", shots=shots, name="resident-book")
    pages.append(("resident-book", resident.url))
    resident.locator("input[name=name]").fill("Hu Xiaoming 胡小明")
    resident.locator("input[name=document]").fill("E1234567")
    resident.locator("input[name=contact]").fill("hu@example.it")
    resident.locator("textarea[name=question]").fill(QUESTION)
    resident.locator("form[method=post] button").click()
    number = resident.locator("#number").inner_text()
    code = resident.locator("#code").inner_text()
    check_page_sync(resident, "it", shots=shots, name="resident-booked")
    status = f"{hub}/consultations/status?number={number}&code={code}&lang=it"

    consultant = view_of(browser, "zh", "desk", faults)
    who = servers["staff"]["lawyer.chen"]
    consultant.goto(f"{hub}/signin?next=/consultations/desk")
    consultant.locator("input[name=username]").fill("lawyer.chen")
    consultant.locator("input[name=password]").fill(who["password"])
    now = datetime.now(UTC) + offset  # the authenticator shows the hub's time's code
    consultant.locator("input[name=code]").fill(code_at(who["secret"], now))
    consultant.locator("input[name=code]").press("Enter")
    consultant.wait_for_url("**/consultations/desk**")
    desk = f"{hub}/consultations/desk?lang=zh"
    card = consultant.locator(f"section[data-number='{number}']")
    check_page_sync(consultant, "zh", shots=shots, name="consultant-desk")
    pages.append(("consultant-desk", desk))
    card.locator("form[action*='/session'] button").click()
    consultant.wait_for_url("**/media/session?**")

    resident.goto(status)
    resident.locator("#join").click()
    resident.wait_for_url("**/media/session?**")
    consultant.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
    resident.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
    resident.wait_for_timeout(3000)  # a few seconds of consultation on the recording
    # each sees the other by name and role in their own language
    from playwright.sync_api import expect

    people = "#people li[data-participant='{}']"
    expect(consultant.locator(people.format("resident"))).to_contain_text("Hu Xiaoming 胡小明")
    expect(consultant.locator(people.format("resident"))).to_contain_text("侨胞")
    expect(resident.locator(people.format("lawyer-chen"))).to_contain_text("Chen Jie 陈杰")
    expect(resident.locator(people.format("lawyer-chen"))).to_contain_text("Consulente")
    check_page_sync(consultant, "zh", shots=shots, name="consultant-session")
    check_page_sync(resident, "it", shots=shots, name="resident-session")
    return consultant, resident, card, desk, status


def test_booking_session_answer_rating_and_the_knowledge_base(
    netns: str, servers: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    hub, shots, faults = servers["hub"], Shots(tmp_path), PageFaults()
    video = still_video(tmp_path / "camera.y4m")
    pages: list[tuple[str, str]] = []  # (name, address) of every page made, to see again
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_in(netns, tmp_path)),
            args=chromium_args(video, [hub]),
            headless=True,
        )
        try:
            consultant, resident, card, desk, status = book_and_meet(
                browser, servers, shots, faults, pages
            )
            consultant.goto(desk)
            card.locator("form[action*='/end'] button").click()
            resident.goto(status)  # the resident leaves the session page
            card.locator("textarea[name=answer_zh]").fill(ANSWER)
            card.locator("form[action*='/answer'] button").click()

            resident.goto(status)
            expect(resident.locator("#answer")).to_contain_text(ANSWER)
            check_page_sync(resident, "it", shots=shots, name="resident-answer")
            resident.locator("input[name=level][value='4']").check()
            resident.locator("form[action*='/rate'] button").click()
            expect(resident.locator("#rating")).to_contain_text("4")
            pages.append(("resident-status", status))

            consultant.goto(desk)
            expect(card).to_contain_text("4 / 5")
            card.locator("textarea[name=question_zh]").fill("在意大利如何办理国内房产的继承？")
            card.locator("form[action*='/publish'] button").click()
            consultant.wait_for_url("**/kb/**")
            expect(consultant.locator("main")).to_contain_text(ANSWER)
            check_page_sync(consultant, "zh", shots=shots, name="kb-entry")
            pages.append(("kb-entry", consultant.url))
            faults.assert_none()

            signed_in = consultant.context.storage_state()
            for lang, size in VIEWS:
                staff = view_of(browser, lang, size, faults, storage_state=signed_in)
                for name, url in pages:
                    staff.goto(in_lang(url, lang))
                    check_page_sync(staff, lang, shots=shots, name=f"{name}-{lang}-{size}")
                staff.context.close()
        finally:
            browser.close()
    shots.publish()
    assert len(shots.taken) == 7 + 6 * len(pages)


@pytest.fixture
def janus_servers(netns: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if shutil.which("janus") is None:
        pytest.fail("Debian's janus is needed: apt-get install janus janus-tools")
    with harness(
        netns, "test_consultation_servers.py", "--data", str(tmp_path), "--host", HUB, "--janus"
    ) as out:
        yield out


def test_the_consultation_session_on_janus(
    netns: str, janus_servers: dict[str, Any], tmp_path: Path
) -> None:
    """The part of the journey that uses the video session, with the hub's media on Janus."""
    from playwright.sync_api import expect

    faults = PageFaults()
    with camera_browser(netns, tmp_path, [janus_servers["hub"]]) as browser:
        consultant, resident, card, desk, _status = book_and_meet(
            browser, janus_servers, Shots(tmp_path), faults, []
        )
        assert consultant.evaluate("window.qiaolinkMedia.plane") == "janus"
        assert resident.evaluate("window.qiaolinkMedia.plane") == "janus"
        consultant.goto(desk)
        card.locator("form[action*='/end'] button").click()
        expect(card.locator("textarea[name=answer_zh]")).to_be_visible()
        faults.assert_none()
