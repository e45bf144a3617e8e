"""Two headless Chromium browsers in a video session: a kiosk through the node, a notary at
the hub. Everything runs in a network namespace this test creates and deletes, so WebRTC
uses private addresses of its own and no traffic leaves the machine."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from tests.helpers import open_sealed_recording

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
HUB, NODE = "10.213.7.1", "10.213.7.2"
pytestmark = pytest.mark.slow


def face_video(path: Path, frames: int = 60) -> Path:
    """A 640×480 .y4m of a face photo (scikit-image's astronaut), drifting a little."""
    from skimage import data

    photo = Image.fromarray(data.astronaut()).resize((520, 520))
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for i in range(frames):
            canvas = Image.new("RGB", (640, 480), (90, 110, 130))
            canvas.paste(photo.crop((0, 0, 520, 480)), (60 + (i % 20) - 10, 0))
            y, cb, cr = (np.asarray(p) for p in canvas.convert("YCbCr").split())
            out.write(b"FRAME\n" + y.tobytes())
            for plane in (cb, cr):
                out.write(
                    plane.reshape(240, 2, 320, 2).mean(axis=(1, 3)).astype(np.uint8).tobytes()
                )
    return path


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


@pytest.fixture
def namespace() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None or not Path(CHROMIUM).exists():
        pytest.fail("this test needs root, iproute2 and Debian's chromium (scripts/system-deps.sh)")
    name = f"qlmedia{os.getpid()}"
    sh("ip", "netns", "add", name)
    try:
        run = ("ip", "netns", "exec", name)
        sh(*run, "ip", "link", "set", "lo", "up")
        sh(*run, "ip", "link", "add", "qlh", "type", "veth", "peer", "name", "qln")
        sh(*run, "ip", "addr", "add", f"{HUB}/24", "dev", "qlh")
        sh(*run, "ip", "addr", "add", f"{NODE}/24", "dev", "qln")
        sh(*run, "ip", "link", "set", "qlh", "up")
        sh(*run, "ip", "link", "set", "qln", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


@pytest.fixture(params=["relay", "janus"])
def plane(request: pytest.FixtureRequest) -> str:
    """The hub's media plane: its own aiortc relay, or Janus beside it."""
    if request.param == "janus" and shutil.which("janus") is None:
        pytest.fail("Janus is missing: run scripts/system-deps.sh")
    return str(request.param)


@pytest.fixture
def servers(namespace: str, plane: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    log = (tmp_path / "servers.log").open("w")
    process = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            namespace,
            sys.executable,
            str(ROOT / "tests/e2e/media_servers.py"),
            "--data",
            str(tmp_path),
            "--hub-host",
            HUB,
            "--node-host",
            NODE,
            *(["--janus"] if plane == "janus" else []),
        ],
        stdout=subprocess.PIPE,
        # A file, not a pipe: nobody reads the servers' log while the test runs, and a pipe
        # that fills up (a loaded machine logs more) would stall the hub mid-session.
        stderr=log,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            pytest.fail("servers did not start: " + (tmp_path / "servers.log").read_text())
        yield {**json.loads(line), "data": str(tmp_path)}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


REMOTE_VIDEO_PLAYING = """() => [...document.querySelectorAll('.tile')]
  .filter(t => t.dataset.participant !== '__self__')
  .map(t => t.querySelector('video'))
  .some(v => v.videoWidth > 0 && v.currentTime > 1)"""


def fetch(page: object, method: str, path: str, role: str) -> object:
    return page.evaluate(  # type: ignore[attr-defined]
        """async ([method, path, role]) => {
            const r = await fetch(path, {method, headers: {'X-Test-Role': role}});
            const type = r.headers.get('content-type') || '';
            if (type.startsWith('image/')) {
              const bytes = new Uint8Array(await r.arrayBuffer());
              let s = ''; bytes.forEach(b => s += String.fromCharCode(b));
              return {status: r.status, image: btoa(s)};
            }
            return {status: r.status, body: await r.json()};
        }""",
        [method, path, role],
    )


def test_kiosk_and_notary_browsers_see_each_other_and_the_recording_plays(
    namespace: str, plane: str, servers: dict[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    video = face_video(tmp_path / "face.y4m")
    wrapper = tmp_path / "chromium-in-ns"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {namespace} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    origins = f"http://{HUB}:8080,http://{NODE}:8081"
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--unsafely-treat-insecure-origin-as-secure={origins}",
    ]
    session_id = servers["session_id"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(wrapper), args=args, headless=True)
        try:
            notary = browser.new_context().new_page()
            kiosk = browser.new_context().new_page()
            notary.goto(servers["notary_page"] + "&lang=en")
            kiosk.goto(servers["kiosk_page"] + "&lang=it")
            notary.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
            kiosk.wait_for_function(REMOTE_VIDEO_PLAYING, timeout=60_000)
            # a joining member makes the others renegotiate: the state settles within moments
            expect(notary.locator("#status")).to_have_text("Connected", timeout=30_000)
            expect(kiosk.locator("#status")).to_have_text("Connesso", timeout=30_000)
            assert "notary-li si è unito" in kiosk.locator("#events").inner_text(timeout=10_000)
            kiosk.click("#mute")
            assert kiosk.locator("#mute").text_content() == "Riattiva audio"
            assert kiosk.evaluate("window.qiaolinkMedia.local.getAudioTracks()[0].enabled") is False
            notary.wait_for_function("() => window.qiaolinkMedia.quality !== null", timeout=20_000)
            assert notary.locator("#quality").text_content().startswith("Connection quality: ")
            assert notary.locator("#camera option").count() >= 1

            # the hub's frame tap sees the kiosk's face (a loaded machine may first send a few
            # coarse frames while the encoder ramps up: look again for a while)
            found = 0
            for _attempt in range(10):
                picture = fetch(
                    notary,
                    "GET",
                    f"/api/sessions/{session_id}/participants/milan-node/snapshot",
                    "notary",
                )
                assert picture["status"] == 200  # type: ignore[index]
                raw = base64.b64decode(picture["image"])  # type: ignore[index]
                face = Image.open(io.BytesIO(raw))
                assert face.size == (640, 480)
                found = faces_in(face)
                if found:
                    break
                notary.wait_for_timeout(1_500)
            assert found >= 1

            kiosk.evaluate(
                "window.qiaolinkMedia.sendEvent({kind:'caption', text:'ciao', lang:'it'})"
            )
            notary.wait_for_function(
                "() => window.qiaolinkMedia.events.some(e => e.kind === 'caption')", timeout=30_000
            )
            node_end = fetch(kiosk, "POST", f"/api/kiosk-sessions/{session_id}/end", "clerk")
            hub_end = fetch(notary, "POST", f"/api/sessions/{session_id}/end", "notary")
        finally:
            browser.close()
    assert node_end["status"] == 200 and hub_end["status"] == 200  # type: ignore[index]
    ended = hub_end["body"]  # type: ignore[index]
    kinds = [e["kind"] for e in ended["events"]]
    assert [k for k in kinds if k != "segment_closed"] == ["caption"]
    announced = [e for e in ended["events"] if e["kind"] == "segment_closed"]
    assert announced and {e["participant"] for e in announced} == {"milan-node"}  # the witness
    if plane == "janus":
        kiosk_video_plays(servers, session_id, ended["segments"])
        return
    both = [
        s for s in ended["segments"] if {"notary-li/video", "milan-node/video"} <= set(s["tracks"])
    ]
    assert both, ended["segments"]
    longest = max(both, key=lambda s: s["frames"])
    plain, failures = open_sealed_recording(
        Path(servers["data"]) / "hub", session_id, longest["file"]
    )
    assert failures == []  # the recording is sealed: signed manifest, encrypted at rest
    assert hashlib.sha256(plain).hexdigest() == longest["sha256"]
    recording = Path(servers["data"]) / "played.mkv"
    recording.write_bytes(plain)
    with av.open(str(recording)) as container:
        assert len(container.streams.video) == 2
        assert container.duration is not None and container.duration / 1e6 > 1
        pictures = sum(1 for _ in container.decode(video=1))
    assert pictures > 10  # the kiosk's video in the hub's recording plays


def kiosk_video_plays(servers: dict[str, str], session_id: str, segments: list[Any]) -> None:
    """On Janus every participant's stream is its own sealed file, named in its tracks."""
    named = {t: s for s in segments for t in s["tracks"]}
    assert {"notary-li/video", "milan-node/video", "milan-node/audio"} <= set(named), segments
    video = named["milan-node/video"]
    plain, failures = open_sealed_recording(
        Path(servers["data"]) / "hub", session_id, video["file"]
    )
    assert failures == [] and hashlib.sha256(plain).hexdigest() == video["sha256"]
    played = Path(servers["data"]) / "played.webm"
    played.write_bytes(plain)
    with av.open(str(played)) as container:
        pictures = sum(1 for _ in container.decode(video=0))
    assert pictures > 10  # the kiosk's video, as Janus recorded it, plays


def faces_in(image: Image.Image) -> int:
    import face_recognition

    return len(face_recognition.face_locations(np.asarray(image.convert("RGB"))))
