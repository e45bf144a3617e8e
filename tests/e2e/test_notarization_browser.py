"""A power-of-attorney notarization from booking to certificate, in headless Chromium, with two
browser contexts: the resident at the branch kiosk (through the node) and the notary at the hub.

The clerk signs in at the node and opens a kiosk verification; the kiosk page starts the
attempt and shows the challenge, and only then does the fake camera get its video — the face
performing exactly the actions asked for (Chromium opens the .y4m when capture starts). The
node decides, the kiosk hands the signed decision to the hub's resident page; kiosk and notary
meet in a WebRTC video session (hub and node are WebRTC peers, in a network namespace of the
test's own); the notary presents, the resident signs with a one-time code, the clerk witnesses,
the notary issues; the certificate verifies on the public page, with ``qiaolink verify`` and
with ``pdfsig``. Screenshots of the kiosk pages in zh/en/it go to the test's directory."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from signing.cli_verify import main as verify_main
from signing.totp import code_at
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

pytestmark = pytest.mark.slow
NOTARY = {
    "X-Test-Subject": "notary.wz",
    "X-Test-Role": "notary",
    "X-Test-Branch": "WZ",
    "X-Test-Name": "Hu Jing 胡静",
}
HUB_CLERK = {  # the branch clerk's identity at the hub (test-only header sign-in there)
    "X-Test-Subject": "clerk.milan",
    "X-Test-Role": "clerk",
    "X-Test-Branch": "MIL",
    "X-Test-Name": "Chen Lei 陈磊",
}


@pytest.fixture
def servers(netns: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    args = ("--data", str(tmp_path), "--hub-host", HUB, "--node-host", NODE)
    with harness(netns, "kiosk_servers.py", *args) as printed:
        yield printed


def fetch(
    page: Any, path: str, headers: dict[str, str], method: str = "GET", body: Any = None
) -> Any:
    """A request from ``page`` (same origin); binary answers come back in base64."""
    return page.evaluate(
        """async ([path, headers, method, body]) => {
            const init = {method, headers: Object.assign({}, headers)};
            if (body !== null) {
              init.body = JSON.stringify(body);
              init.headers['Content-Type'] = 'application/json';
            }
            const r = await fetch(path, init);
            const type = r.headers.get('content-type') || '';
            if (type.includes('json')) return {status: r.status, body: await r.json()};
            const bytes = new Uint8Array(await r.arrayBuffer());
            let s = ''; bytes.forEach(b => s += String.fromCharCode(b));
            return {status: r.status, data: btoa(s)};
        }""",
        [path, headers, method, body],
    )


def test_power_of_attorney_from_kiosk_to_verified_certificate(
    netns: str, servers: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    began = time.monotonic()
    hub, node, act = servers["hub"], servers["node"], servers["act"]
    act_id, shots = act["id"], Shots(tmp_path)
    video = still_video(tmp_path / "camera.y4m")  # replaced once the challenge is known
    args = chromium_args(video, [hub, node])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_in(netns, tmp_path)), args=args, headless=True
        )
        try:
            branch = browser.new_context(viewport={"width": 1024, "height": 768})
            kiosk = branch.new_page()
            kiosk.set_default_timeout(30_000)

            # the clerk signs in at the node and opens the kiosk verification
            kiosk.goto(f"{node}/signin?next=/kiosk&lang=en")
            kiosk.locator("input[name=username]").fill(servers["clerk"]["username"])
            kiosk.locator("input[name=password]").fill(servers["clerk"]["password"])
            kiosk.locator("input[name=password]").press("Enter")
            kiosk.wait_for_url("**/kiosk**")
            for lang in ("zh", "it", "en"):
                kiosk.goto(f"{node}/kiosk?lang={lang}")
                shots.take(kiosk, f"kiosk-clerk-{lang}")
            kiosk.locator("#k-resident-id").fill(servers["resident_id"])
            kiosk.locator("#k-act").fill(act_id)
            kiosk.locator("#k-code").fill(servers["query_code"])
            kiosk.get_by_role("button", name="Open the kiosk verification").click()
            kiosk.wait_for_url("**/kiosk/verify**")
            expect(kiosk.locator("#k-begin")).to_be_visible()
            assert "#" not in kiosk.url  # the grant left the address bar
            for lang in ("zh", "en", "it"):
                kiosk.goto(f"{node}/kiosk/verify?lang={lang}")
                expect(kiosk.locator("#k-resident")).to_have_text("E1••••67")
                shots.take(kiosk, f"kiosk-start-{lang}")

            # the resident starts; the camera shows exactly the challenge asked for
            kiosk.locator("#k-begin").focus()
            kiosk.keyboard.press("Enter")
            expect(kiosk.locator("#k-camera")).to_be_focused()
            challenge = kiosk.locator("#k-challenge").get_attribute("data-challenge") or ""
            assert sorted(challenge.split(",")) == ["blink", "turn_left", "turn_right"]
            shots.take(kiosk, "kiosk-challenge-it")
            challenge_video(video, challenge.split(","))
            kiosk.keyboard.press("Enter")
            expect(kiosk.locator("#k-prompt")).to_have_text("Guardi dritto nella fotocamera.")
            expect(kiosk.locator("#k-progress")).to_be_visible(timeout=20_000)
            shots.take(kiosk, "kiosk-checking-it")
            expect(kiosk.locator("#k-result")).to_have_attribute(
                "data-accepted", "true", timeout=90_000
            )
            expect(kiosk.locator("#k-verdict")).to_have_text("La sua identità è verificata.")
            shots.take(kiosk, "kiosk-verified-it")

            # hand-over to the hub's resident page, in the same kiosk tab
            expect(kiosk.locator("#k-continue")).to_be_focused()
            kiosk.keyboard.press("Enter")
            kiosk.wait_for_url(f"{hub}/notarization/acts/{act_id}**")
            expect(kiosk.locator("#act-state")).to_have_text("Identità verificata")

            # the notary opens the recorded video session; the kiosk joins through the node
            desk = browser.new_context(extra_http_headers=NOTARY)
            notary = desk.new_page()
            notary.set_default_timeout(30_000)
            notary.goto(f"{hub}/notary/acts/{act_id}?lang=en")
            notary.get_by_role("button", name="Start the recorded video session").click()
            notary.wait_for_url("**session=**")
            expect(notary.locator("#act-state")).to_have_text("In session with the notary")
            invitation = json.loads(
                notary.evaluate("sessionStorage.getItem('qiaolink.branch-invitation')")
            )
            counter = branch.new_page()  # the kiosk's video session, through the node
            counter.set_default_timeout(30_000)
            counter.goto(f"{node}/kiosk?lang=it")
            joined = fetch(
                counter,
                "/api/kiosk-sessions",
                {},
                "POST",
                {
                    "session_id": notary.url.split("session=")[1].split("&")[0],
                    "hub_token": invitation["token"],
                    "participant": "kiosk-1",
                },
            )
            assert joined["status"] == 201, joined
            counter.goto(f"{node}{joined['body']['page']}&lang=it")
            notary.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=30_000)
            counter.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=30_000)

            # the notary reads the advisements and presents the certificate
            for box in notary.locator("[data-advisement]").all():
                box.focus()
                notary.keyboard.press("Space")
                expect(box).to_be_disabled()
            notary.get_by_role("button", name="Present the certificate for signature").click()
            expect(notary.locator("#act-state")).to_have_text("Ready for your signature")

            # the resident signs at the kiosk with the code from the authenticator app
            kiosk.goto(f"{hub}/notarization/acts/{act_id}?lang=en")
            expect(kiosk.locator("#sign-step")).to_be_visible()
            kiosk.locator("#r-consent").check()
            kiosk.locator("#r-code").fill(code_at(servers["secret"], datetime.now(UTC)))
            kiosk.get_by_role("button", name="Sign", exact=True).click()
            expect(kiosk.locator("#act-status")).to_have_text(
                "Your signature is on the certificate."
            )

            # the clerk, at the branch, co-signs as witness (the hub's branch page)
            witness = branch.new_page()
            witness.set_extra_http_headers(HUB_CLERK)
            witness.goto(f"{hub}/branch/notarizations/{act_id}?lang=zh&tz=Europe/Rome")
            witness.get_by_role("button", name="作为证人签名").click()
            expect(witness.locator("#act-state")).to_have_text("分中心已见证")

            notary.get_by_role("button", name="Sign and seal the certificate").click()
            expect(notary.locator("#act-state")).to_have_text("Certificate issued", timeout=60_000)

            kiosk.goto(f"{hub}/notarization/acts/{act_id}?lang=en")
            expect(kiosk.locator("#done-step")).to_be_visible()
            headers = {"X-Query-Code": servers["query_code"]}
            pdf = fetch(kiosk, f"/api/notarizations/{act_id}/certificate.pdf", headers)
            ca = fetch(kiosk, "/api/pki/ca.pem", {})
            (tmp_path / "certificate.pdf").write_bytes(base64.b64decode(pdf["data"]))
            (tmp_path / "ca.pem").write_bytes(base64.b64decode(ca["data"]))
            public = kiosk  # the public page, anyone's browser
            public.goto(f"{hub}/verify?code={act['verification_code']}&lang=en")
            public.locator("input[type=file]").set_input_files(str(tmp_path / "certificate.pdf"))
            public.get_by_role("button", name="Check the file").click()
            expect(public.locator("#verdict")).to_contain_text("every signature on it is valid")
        finally:
            browser.close()
    shots.publish()
    assert len(shots.taken) == 9

    args_ = ["pdf", str(tmp_path / "certificate.pdf"), "--trust", str(tmp_path / "ca.pem")]
    assert verify_main(args_) == 0
    out = subprocess.run(
        ["pdfsig", str(tmp_path / "certificate.pdf")], capture_output=True, text=True, timeout=60
    ).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 4, out
    assert time.monotonic() - began < 180
