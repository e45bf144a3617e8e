"""Per-frame latency of face verification on 640×480 frames: our pipeline beside bare
face_recognition on the same frames, in the same run.

Bare: ``face_locations`` (HOG, one upsampling) and ``face_encodings`` on every full frame — what
a straightforward integration does. Ours: ``media.face.pipeline.analyse_images`` — detection
on a downscaled frame, the box followed between full searches, landmarks on the tracked box,
encodings only on the frames the decision needs, plus the liveness check, the presentation
check (homography fit over the turned frames) and a perceptual print of every frame. Both run
on one core on already decoded frames. The run also checks that both reach the same decisions:
faces per frame, and match / no match against the enrolled template.

Each side runs ``REPEATS`` times, alternately; the medians are reported with their spread.
ratio = bare time per frame / our time per frame (the speed-up; the target is ≥ 1.5).
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import face_recognition

from media.face import Action, MatchStatus, analyse_enrolment, decode_image, face_distance
from media.face.pipeline import PipelineConfig, analyse_images
from tests import facedata as fd

THRESHOLD = 0.55
REPEATS = 5
CHALLENGE = (Action.BLINK, Action.TURN_LEFT, Action.TURN_RIGHT)


def bare(frames: list, reference: tuple[float, ...]) -> tuple[tuple[int, ...], bool]:  # type: ignore[type-arg]
    faces, match = [], True
    for frame in frames:
        boxes = face_recognition.face_locations(frame)
        faces.append(len(boxes))
        for encoding in face_recognition.face_encodings(frame, boxes):
            match = match and face_distance(encoding, reference) <= THRESHOLD
    return tuple(faces), match and all(n == 1 for n in faces)


def main() -> None:
    reference = analyse_enrolment(fd.jpeg(fd.passport_photo(fd.face("astronaut")))).encoding
    assert reference is not None
    series = []
    for name, seed in (("astronaut", 1), ("hanks", 2)):
        data, times = fd.live_series(fd.face(name), CHALLENGE, seed=seed)
        series.append((name, [decode_image(d) for d in data], times))
    config = PipelineConfig()
    analyse_images(series[0][1][:6], series[0][2][:6], CHALLENGE, reference, THRESHOLD, config)
    ours_runs: list[float] = []
    bare_runs: list[float] = []
    agree = True
    for repeat in range(REPEATS):
        ours_s = bare_s = 0.0
        n_frames = 0
        for name, frames, times in series:
            t0 = time.perf_counter()
            result = analyse_images(frames, times, CHALLENGE, reference, THRESHOLD, config)
            t1 = time.perf_counter()
            bare_faces, bare_match = bare(frames, reference)
            t2 = time.perf_counter()
            ours_s, bare_s, n_frames = ours_s + t1 - t0, bare_s + t2 - t1, n_frames + len(frames)
            ours_match = result.match.status is MatchStatus.MATCH
            same = result.faces == bare_faces and ours_match == bare_match
            agree = agree and same
            if repeat == 0:
                pad = result.presentation
                print(
                    f"{name}: {len(frames)} frames; ours {1000 * (t1 - t0) / len(frames):.1f} "
                    f"ms/frame ({result.detections} full searches, {len(result.distances)} "
                    f"encodings, liveness {result.liveness.status.value}, presentation "
                    f"{pad.status.value if pad else None}, match {result.match.status.value}); "
                    f"bare {1000 * (t2 - t1) / len(frames):.1f} ms/frame (match {bare_match}); "
                    f"same decisions: {same}"
                )
        ours_runs.append(1000 * ours_s / n_frames)
        bare_runs.append(1000 * bare_s / n_frames)
    ours_ms, bare_ms = statistics.median(ours_runs), statistics.median(bare_runs)
    print(
        f"over {REPEATS} runs: ours {ours_ms:.1f} ms/frame "
        f"({min(ours_runs):.1f}–{max(ours_runs):.1f}), bare {bare_ms:.1f} ms/frame "
        f"({min(bare_runs):.1f}–{max(bare_runs):.1f})"
    )
    per_series = n_frames / len(series)
    print(
        f"verifications/s/core ({per_series:.0f} frames each): ours "
        f"{1000 / (ours_ms * per_series):.2f}, bare {1000 / (bare_ms * per_series):.2f}; "
        f"decisions agree: {agree}"
    )
    print(
        json.dumps(
            {
                "bench": "face_verification_per_frame",
                "ours": round(ours_ms, 1),
                "baseline": round(bare_ms, 1),
                "unit": "ms/frame",
                "ratio": round(bare_ms / ours_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
