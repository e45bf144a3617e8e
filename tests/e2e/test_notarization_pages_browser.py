"""The notarization pages in headless Chromium: the notary ticks the advisements with the
keyboard and presents the certificate, the resident (on a phone-sized screen) proves identity
with the node's decision and signs with a one-time code, the clerk co-signs as witness, the
notary signs and seals; the certificate then verifies on the public page, with ``qiaolink
verify`` and with ``pdfsig``. Screenshots of every role's page in zh/en/it are written to the
test's directory (and to $QIAOLINK_SCREENSHOT_DIR when it is set)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from signing.cli_verify import main as verify_main
from signing.totp import code_at
from tests.conftest import free_port
from tests.e2e.browser_support import Shots

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = pytest.mark.slow
NOTARY = {
    "X-Test-Subject": "notary.wz",
    "X-Test-Role": "notary",
    "X-Test-Branch": "WZ",
    "X-Test-Name": "Hu Jing 胡静",
}
CLERK = {
    "X-Test-Subject": "clerk.milan",
    "X-Test-Role": "clerk",
    "X-Test-Branch": "MIL",
    "X-Test-Name": "Chen Lei 陈磊",
}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[dict[str, Any]]:
    if not Path(CHROMIUM).exists():
        pytest.fail("this test needs Debian's chromium (scripts/system-deps.sh)")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests/e2e/notary_servers.py"),
            "--data",
            str(tmp_path),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            pytest.fail("hub did not start: " + (process.stderr.read() if process.stderr else ""))
        yield json.loads(line)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_notarization_from_presentation_to_verified_certificate_in_the_browser(
    hub: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, act = hub["base"], hub["act"]
    act_id, shots = act["id"], Shots(tmp_path)
    resident_url = f"{base}/notarization/acts/{act_id}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844})
            resident = phone.new_page()
            resident.set_default_timeout(20_000)
            resident.goto(
                f"{resident_url}?lang=it#code={hub['query_code']}&decision={hub['decision']}"
            )
            expect(resident.locator("#act-state")).to_have_text("Identità verificata")

            desk = browser.new_context(extra_http_headers=NOTARY)
            notary = desk.new_page()
            notary.set_default_timeout(20_000)
            day = act["scheduled_at"][:10]
            for lang in ("zh", "en", "it"):
                notary.goto(f"{base}/notary?lang={lang}&day={day}&tz=Asia/Shanghai")
                shots.take(notary, f"notary-day-{lang}")
            notary.goto(f"{base}/notary/acts/{act_id}?lang=en")
            notary.get_by_role("button", name="Start the recorded video session").click()
            notary.wait_for_url("**session=**")
            expect(notary.locator("#act-state")).to_have_text("In session with the notary")
            for box in notary.locator("[data-advisement]").all():  # with the keyboard
                box.focus()
                notary.keyboard.press("Space")
                expect(box).to_be_disabled()
            notary.get_by_role("button", name="Present the certificate for signature").focus()
            notary.keyboard.press("Enter")
            expect(notary.locator("#act-state")).to_have_text("Ready for your signature")
            for lang in ("zh", "it", "en"):
                notary.goto(f"{base}/notary/acts/{act_id}?lang={lang}")
                shots.take(notary, f"notary-act-{lang}")

            for lang in ("zh", "it", "en"):
                resident.goto(f"{resident_url}?lang={lang}")
                expect(resident.locator("#sign-step")).to_be_visible()
                shots.take(resident, f"resident-{lang}")
            resident.locator("#r-consent").check()
            resident.locator("#r-code").fill(code_at(hub["secret"], _now()))
            resident.get_by_role("button", name="Sign", exact=True).click()
            expect(resident.locator("#act-status")).to_have_text(
                "Your signature is on the certificate."
            )

            office = browser.new_context(extra_http_headers=CLERK)
            clerk = office.new_page()
            clerk.set_default_timeout(30_000)
            for lang in ("en", "it", "zh"):
                clerk.goto(f"{base}/branch/notarizations/{act_id}?lang={lang}&tz=Europe/Rome")
                shots.take(clerk, f"clerk-{lang}")
            clerk.get_by_role("button", name="作为证人签名").click()
            expect(clerk.locator("#act-state")).to_have_text("分中心已见证")

            notary.goto(f"{base}/notary/acts/{act_id}?lang=en")
            notary.get_by_role("button", name="Sign and seal the certificate").click()
            expect(notary.locator("#act-state")).to_have_text("Certificate issued", timeout=30_000)
            for lang in ("zh", "en", "it"):
                notary.goto(f"{base}/notary/journal?lang={lang}")
                shots.take(notary, f"notary-journal-{lang}")
            expect(notary.locator("tbody tr")).to_have_count(1)

            resident.goto(f"{resident_url}?lang=en")
            expect(resident.locator("#done-step")).to_be_visible()
            pdf = _get(
                f"{base}/api/notarizations/{act_id}/certificate.pdf",
                {"X-Query-Code": hub["query_code"]},
            )
            (tmp_path / "certificate.pdf").write_bytes(pdf)
            public = browser.new_context().new_page()
            for lang in ("zh", "en", "it"):
                public.goto(f"{base}/verify?code={act['verification_code']}&lang={lang}")
                shots.take(public, f"verify-{lang}")
            public.goto(f"{base}/verify?code={act['verification_code']}&lang=en")
            public.locator("input[type=file]").set_input_files(str(tmp_path / "certificate.pdf"))
            public.get_by_role("button", name="Check the file").click()
            expect(public.locator("#verdict")).to_contain_text("every signature on it is valid")
        finally:
            browser.close()
    shots.publish()
    assert len(shots.taken) == 18

    (tmp_path / "ca.pem").write_bytes(_get(f"{base}/api/pki/ca.pem", {}))
    args = ["pdf", str(tmp_path / "certificate.pdf"), "--trust", str(tmp_path / "ca.pem")]
    assert verify_main(args) == 0
    out = subprocess.run(
        ["pdfsig", str(tmp_path / "certificate.pdf")], capture_output=True, text=True, timeout=60
    ).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 4, out


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _get(url: str, headers: dict[str, str]) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        return bytes(r.read())
