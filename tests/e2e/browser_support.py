"""Shared pieces of the browser tests: a network namespace of the test's own, Chromium started
inside it with a fake camera, screenshots, and fake-camera videos of a face that performs a
liveness challenge (from tests/facedata.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
HUB, NODE = "10.213.9.1", "10.213.9.2"
REMOTE_VIDEO_PLAYING = """() => [...document.querySelectorAll('.tile')]
  .filter(t => t.dataset.participant !== '__self__')
  .map(t => t.querySelector('video'))
  .some(v => v && v.videoWidth > 0 && v.currentTime > 1)"""
FPS = 10  # of the fake camera videos below
# Chromium for pages without a camera; no background traffic on this closed network.
PLAIN_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCALES = {"zh": "zh-CN", "en": "en-GB", "it": "it-IT"}  # the browser's Accept-Language


def have_chromium() -> bool:
    return Path(CHROMIUM).exists()


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


@contextmanager
def network_namespace(prefix: str, hub: str = HUB, node: str = NODE) -> Iterator[str]:
    """A namespace with a veth pair carrying ``hub`` and ``node``; deleted afterwards."""
    name = f"{prefix}{os.getpid()}"
    sh("ip", "netns", "add", name)
    try:
        run = ("ip", "netns", "exec", name)
        sh(*run, "ip", "link", "set", "lo", "up")
        sh(*run, "ip", "link", "add", "qlh", "type", "veth", "peer", "name", "qln")
        sh(*run, "ip", "addr", "add", f"{hub}/24", "dev", "qlh")
        sh(*run, "ip", "addr", "add", f"{node}/24", "dev", "qln")
        sh(*run, "ip", "link", "set", "qlh", "up")
        sh(*run, "ip", "link", "set", "qln", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False, timeout=30)


def can_run_in_namespace() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None and Path(CHROMIUM).exists()


def chromium_in(namespace: str, directory: Path) -> Path:
    """A wrapper that starts Debian's Chromium inside ``namespace``."""
    wrapper = directory / "chromium-in-ns"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {namespace} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@contextmanager
def camera_browser(namespace: str, directory: Path, origins: list[str]) -> Iterator[Any]:
    """Headless Chromium in ``namespace`` whose fake camera shows a still face, trusting
    ``origins`` as secure; closed afterwards."""
    from playwright.sync_api import sync_playwright

    video = still_video(directory / "camera.y4m")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_in(namespace, directory)),
            args=chromium_args(video, origins),
            headless=True,
        )
        try:
            yield browser
        finally:
            browser.close()


def chromium_args(video: Path, origins: Iterable[str]) -> list[str]:
    return [
        "--no-sandbox",
        "--disable-gpu",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--unsafely-treat-insecure-origin-as-secure={','.join(origins)}",
    ]


def write_y4m(path: Path, frames: Iterable[Image.Image], fps: int = FPS) -> Path:
    """A 640×480 4:2:0 .y4m, written beside ``path`` and moved in place at once (Chromium opens
    the file when a page starts capturing)."""
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        out.write(f"YUV4MPEG2 W640 H480 F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            y, cb, cr = (np.asarray(p) for p in frame.convert("YCbCr").split())
            out.write(b"FRAME\n" + y.tobytes())
            for plane in (cb, cr):
                out.write(
                    plane.reshape(240, 2, 320, 2).mean(axis=(1, 3)).astype(np.uint8).tobytes()
                )
    partial.replace(path)
    return path


def challenge_video(path: Path, challenge: Iterable[str], dx: float = 0.0) -> Path:
    """The astronaut at a kiosk camera performing ``challenge`` in order, once: a second of
    looking at the camera, each action (facedata's poses, 0.2 s each) followed by a pause, then
    three seconds of looking at the camera again. ``dx`` moves the face sideways in the frame
    (another sitting at the kiosk: frames the node has not seen before)."""
    from tests import facedata as fd

    base = fd.camera_frame(fd.face("astronaut"), dx=dx)
    names = ["open"] * FPS
    for action in challenge:
        names += [p for p in fd.POSES[action] for _ in range(2)] + ["open"] * 6
    names += ["open"] * (3 * FPS)
    cache: dict[str, Image.Image] = {}
    for name in names:
        if name not in cache:
            cache[name] = fd.pose(base, name)
    return write_y4m(path, (cache[n] for n in names))


def still_video(path: Path) -> Path:
    """Two seconds of the astronaut looking at the camera."""
    from tests import facedata as fd

    base = fd.camera_frame(fd.face("astronaut"))
    return write_y4m(path, [base] * (2 * FPS))


class Shots:
    """Screenshots in the test's directory, copied to $QIAOLINK_SCREENSHOT_DIR when it is set."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path / "screenshots"
        self.dir.mkdir()
        self.taken: list[Path] = []

    def take(self, page: Any, name: str) -> None:
        path = self.dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)

    def publish(self) -> None:
        if os.environ.get("QIAOLINK_SCREENSHOT_DIR"):
            target = Path(os.environ["QIAOLINK_SCREENSHOT_DIR"])
            target.mkdir(parents=True, exist_ok=True)
            for path in self.taken:
                shutil.copy(path, target / path.name)


@contextmanager
def harness(namespace: str, script: str, *args: str) -> Iterator[dict[str, Any]]:
    """Run a test harness (``tests/e2e/<script>``) inside ``namespace``; yield the JSON line it
    prints once its servers are up, and stop it (SIGINT, then kill) afterwards."""
    import json
    import signal
    import sys
    import tempfile

    # The servers' log goes to a file: a pipe nobody reads fills up and stalls the servers.
    log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
    process = subprocess.Popen(
        ["ip", "netns", "exec", namespace, sys.executable, str(ROOT / "tests/e2e" / script), *args],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # bounded: the harness prints or exits
        if not line:
            log.seek(0)
            raise RuntimeError("servers did not start: " + log.read()[-4000:])
        yield json.loads(line)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()
