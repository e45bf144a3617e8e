"""Accuracy on real photos: the labelled public photos in ``../shared/faces`` (see its README).

Every photo goes through the kiosk's own code: as a reference, through enrolment
(:func:`media.face.analyse_enrolment`: decoding, scaling down, detection, quality, encoding);
as a probe, the way a verification frame is read (the tracker's detection, then the encoding),
once as the photo is and once shrunk to a 240p capture (at most 427×240). Every labelled pair
is compared both ways round, and FNMR and FMR are counted at the threshold, with the margin the
threshold leaves to the largest genuine and the smallest impostor distance. The set is read in
place; nothing of it is copied into the project.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "faces"
CAPTURE_240P = (427, 240)
SEVERAL = ("couple.jpg", "selfie-many-people.jpg")  # several faces: enrolment must refuse them


@dataclass(frozen=True)
class PhotoResult:
    name: str
    size: tuple[int, int]
    refused: tuple[str, ...]  # enrolment's quality reasons (empty: enrolled)
    reference: tuple[float, ...] | None
    probe: tuple[float, ...] | None  # None: no single face found as a verification frame
    probe_240p: tuple[float, ...] | None
    faces_240p: int


def available() -> str | None:
    """None when the set is there, else why not (tests skip with this message)."""
    if not (FACES / "master.csv").is_file():
        return f"the public face photos are not at {FACES} (see the accuracy report's docs)"
    return None


def pairs() -> list[tuple[str, str, bool]]:
    """Every labelled pair of both files, once, as (x, y, same person)."""
    seen: dict[frozenset[str], tuple[str, str, bool]] = {}
    for name in ("master.csv", "face-recognition-pivot.csv"):
        with (FACES / name).open(newline="") as fh:
            for row in csv.DictReader(fh):
                x = Path(row["file_x"]).name
                y = Path(row["file_y"]).name
                same = (row.get("Decision") or row.get("decision")) == "Yes"
                if x != y and (FACES / x).is_file() and (FACES / y).is_file():
                    seen.setdefault(frozenset((x, y)), (x, y, same))
    return sorted(seen.values())


def _probe(pixels: np.ndarray) -> tuple[tuple[float, ...] | None, int]:
    from media.face import FaceTracker, encode_face

    seen = FaceTracker().step(np.ascontiguousarray(pixels))
    if seen.faces != 1 or seen.box is None:
        return None, seen.faces
    return encode_face(pixels, seen.box), 1


def analyse_photo(name: str) -> PhotoResult:
    from media.face import ImageError, analyse_enrolment, decode_image

    data = (FACES / name).read_bytes()
    with Image.open(FACES / name) as img:
        size = img.size
    try:
        enrolled = analyse_enrolment(data)
    except ImageError as exc:  # refused as an image (never for its size: see the tests)
        return PhotoResult(name, size, (f"image_{exc.problem.value}",), None, None, None, 0)
    frame = decode_image(data, 1024)
    probe, _ = _probe(frame)
    small = Image.fromarray(frame)
    small.thumbnail(CAPTURE_240P, Image.Resampling.LANCZOS)
    probe_240p, faces = _probe(np.asarray(small))
    reasons = tuple(r.value for r in enrolled.quality.reasons)
    return PhotoResult(name, size, reasons, enrolled.encoding, probe, probe_240p, faces)


def photos() -> list[str]:
    return sorted(p.name for p in FACES.glob("*.jpg"))


def _rates(
    results: dict[str, PhotoResult], labelled: Iterable[tuple[str, str, bool]], probe: str
) -> dict[str, Any]:
    from media.face import face_distance

    genuine: list[float] = []
    impostor: list[float] = []
    failed = 0  # genuine comparisons with no reference or no probe face: counted as non-matches
    named: list[tuple[float, str, str, bool]] = []  # (distance, reference, probe, same person)
    for x, y, same in labelled:
        for ref_name, probe_name in ((x, y), (y, x)):
            ref = results[ref_name].reference
            seen = getattr(results[probe_name], probe)
            if ref is None or seen is None:
                failed += same
                continue
            distance = face_distance(ref, seen)
            (genuine if same else impostor).append(distance)
            named.append((distance, ref_name, probe_name, same))
    return {"genuine": genuine, "impostor": impostor, "genuine_failed": failed, "named": named}


def _closest(named: list[tuple[float, str, str, bool]], same: bool, n: int) -> list[str]:
    """The ``n`` comparisons nearest the threshold's wrong side: the largest genuine distances,
    or the smallest impostor ones, as "reference→probe distance"."""
    chosen = sorted((d for d in named if d[3] is same), key=lambda d: -d[0] if same else d[0])
    return [f"{ref}→{seen} {d:.3f}" for d, ref, seen, _ in chosen[:n]]


def report(results: dict[str, PhotoResult], threshold: float) -> dict[str, Any]:
    """FNMR, FMR, their counts and the threshold's margins, for full-size and 240p probes."""
    labelled = pairs()
    out: dict[str, Any] = {"threshold": threshold, "photos": len(results), "pairs": len(labelled)}
    for probe in ("probe", "probe_240p"):
        r = _rates(results, labelled, probe)
        genuine, impostor, failed = r["genuine"], r["impostor"], r["genuine_failed"]
        non_matches = sum(d > threshold for d in genuine) + failed
        false_matches = sum(d <= threshold for d in impostor)
        n_genuine = len(genuine) + failed
        out[probe] = {
            "genuine_attempts": n_genuine,
            "false_non_matches": non_matches,
            "FNMR": round(non_matches / n_genuine, 4) if n_genuine else None,
            "impostor_attempts": len(impostor),
            "false_matches": false_matches,
            "FMR": round(false_matches / len(impostor), 4) if impostor else None,
            "largest_genuine": round(max(genuine), 3) if genuine else None,
            "smallest_impostor": round(min(impostor), 3) if impostor else None,
            "margin_to_genuine": round(threshold - max(genuine), 3) if genuine else None,
            "margin_to_impostor": round(min(impostor) - threshold, 3) if impostor else None,
            "no_face_or_no_reference": failed,
            "largest_genuine_pairs": _closest(r["named"], True, 5),
            "smallest_impostor_pairs": _closest(r["named"], False, 3),
        }
    return out
