"""The video session page in Chromium, as people see it: a notary at a desk (1280×800) and a
resident on a phone (390×844) asking for Chinese. Both see the recording notice from the first
paint, each other's video and their own without scrolling, who is present with their roles,
the connection state, and can rejoin after leaving; no Content-Security-Policy violation is
raised and nothing scrolls sideways. Servers and browser run in a network namespace of the
test's own (tests/e2e/media_servers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser_support import (
    HUB,
    NODE,
    REMOTE_VIDEO_PLAYING,
    Shots,
    chromium_args,
    chromium_in,
    harness,
    still_video,
)

pytestmark = pytest.mark.slow
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Both videos wholly inside the viewport, the page scrolled to its top.
BOTH_VIDEOS_IN_VIEW = """() => {
  const videos = [...document.querySelectorAll('.tile video')];
  return videos.length >= 2 && videos.every(v => {
    const r = v.getBoundingClientRect();
    return r.width > 80 && r.top >= 0 && r.left >= 0 &&
      r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  });
}"""
SIDEWAYS = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def servers(netns: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    args = ("--data", str(tmp_path), "--hub-host", HUB, "--node-host", NODE)
    with harness(netns, "media_servers.py", *args) as printed:
        yield printed


def watch_csp(page: Any, refused: list[str]) -> None:
    """Collect every CSP refusal the page reports in its console into ``refused``."""
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )


def test_session_page_at_a_desk_and_on_a_phone(
    netns: str, servers: dict[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = Shots(tmp_path)
    video = still_video(tmp_path / "camera.y4m")
    args = chromium_args(video, [f"http://{HUB}:8080", f"http://{NODE}:8081"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_in(netns, tmp_path)), args=args, headless=True
        )
        try:
            desk = browser.new_context(viewport=DESK, locale="en-GB").new_page()
            phone = browser.new_context(
                viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True
            ).new_page()
            refused: list[str] = []
            watch_csp(desk, refused)
            watch_csp(phone, refused)
            desk.goto(servers["notary_page"])
            expect(desk.locator("#recording-notice")).to_be_visible()
            expect(desk.locator("#recording-notice")).to_contain_text("This session is recorded.")
            expect(desk.locator("h1")).to_have_text(f"Notarial act {servers['act_number']}")
            phone.goto(servers["kiosk_page"])  # no ?lang=: the phone asks for Chinese
            expect(phone.locator("#recording-notice")).to_contain_text("本次会话全程录音录像")
            assert phone.evaluate("document.documentElement.lang") == "zh-CN"

            for page in (desk, phone):
                page.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
                page.wait_for_function(BOTH_VIDEOS_IN_VIEW, timeout=10_000)
                assert page.evaluate(SIDEWAYS) <= 0
            expect(desk.locator("#status")).to_have_text("Connected")
            expect(phone.locator("#status")).to_have_text("已连接")
            # the people present, with their roles in the viewer's language
            expect(desk.locator('#people [data-participant="milan-node"]')).to_contain_text(
                "Overseas branch"
            )
            expect(desk.locator('#people [data-participant="milan-node"]')).to_contain_text("here")
            tiles = desk.locator(".tile .tile-label")
            expect(tiles.filter(has_text="milan-node")).to_have_text("milan-node · Overseas branch")
            # the desk shows the videos side by side, the phone keeps oneself in a corner
            boxes = [desk.locator(".tile video").nth(i).bounding_box() for i in (0, 1)]
            assert boxes[0] and boxes[1] and abs(boxes[0]["y"] - boxes[1]["y"]) < 2
            assert boxes[0]["width"] > 350
            shots.take(desk, "session-desk-en")
            shots.take(phone, "session-phone-zh")

            # leaving shows the state and a way back in; rejoining brings the video back
            desk.get_by_role("button", name="Leave").click()
            expect(desk.locator("#status")).to_have_text("Disconnected")
            desk.get_by_role("button", name="Rejoin the session").click()
            expect(desk.locator("#status")).to_have_text("Connected", timeout=30_000)
            expect(desk.get_by_role("button", name="Rejoin the session")).to_be_hidden()
            desk.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=30_000)
            for lang in ("it", "en"):
                phone.goto(servers["kiosk_page"] + f"&lang={lang}")
                phone.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
                phone.wait_for_function(BOTH_VIDEOS_IN_VIEW, timeout=10_000)
                assert phone.evaluate(SIDEWAYS) <= 0
                shots.take(phone, f"session-phone-{lang}")
        finally:
            browser.close()
    shots.publish()
    assert refused == [], refused
