"""One decoded picture reaches several consumers at once (the recording, the notary's snapshot):
converting it on two threads at the same time must finish. With the frame's own, shared scaler
this deadlocked inside libswscale and held a whole session (and a CI run) forever."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from av import VideoFrame

from hub.sessions.routes import _jpeg
from media.recorder import _Muxer


def _decoded_picture() -> VideoFrame:
    """A 320×240 picture in the decoder's own format (yuv420p), as aiortc hands it out."""
    ramp = np.tile(np.arange(0, 640, 2, dtype=np.uint16).astype(np.uint8), (240, 1))
    rgb = VideoFrame.from_ndarray(np.dstack([ramp, ramp[::-1], ramp]), format="rgb24")
    return VideoFrame.from_ndarray(rgb.reformat(format="yuv420p").to_ndarray(), format="yuv420p")


def test_recording_and_snapshots_of_the_same_frame_both_finish(tmp_path: Path) -> None:
    frame = _decoded_picture()
    muxer = _Muxer(tmp_path / "s.mkv", [("a/video", "video")], 640, 480)
    failures: list[BaseException] = []

    def record() -> None:
        try:
            for i in range(300):
                muxer.write(0, frame, i / 30)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    def snapshot() -> None:
        try:
            for _ in range(300):
                assert _jpeg(frame)[:2] == b"\xff\xd8"
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=f, daemon=True) for f in (record, snapshot)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "converting one frame on two threads hung"
    assert failures == []
    assert muxer.close() is not None
    assert muxer.frames == 300
