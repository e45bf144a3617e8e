"""Accuracy on the public photos of ``../shared/faces`` (skipped with a message where absent).

Each photo is analysed once for the whole session (about a minute on a quiet machine); the report
itself is printed by ``scripts/face_report.py``. These tests hold what the kiosk promises:
no photo refused for its size, every face of a 240p-sized capture found, group photos refused
at enrolment, no false match at the shipped threshold.

The FNMR target of NIST SP 800-63B (≤ 1 %) is NOT met, by one comparison: 3 of 280 genuine
comparisons refused with full-size probes (1.1 %) and 4 of 280 with 240p probes (1.4 %); none
of 760 impostor comparisons accepted (nearest 0.553). Earlier refusals came from the loose box
of a 240p close-up (img28) and from single-view encodings; what remains is one person
photographed some 25 years apart (img12.jpg against img3 and img55, 0.555–0.567), not a
detection, quality or liveness gate. Those distances lie beyond the nearest impostor's (img35
against img33, two actors alike), so no threshold accepts them without a false match. The
bounds hold what was reached, so that it does not get worse unseen.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common.settings import NodeSettings
from overseas_node.identity.uploads import sniff_image
from tests import faceset as fs

FNMR_REACHED = {"probe": 0.011, "probe_240p": 0.015}  # the target is 0.01: see above
THRESHOLD = NodeSettings.model_fields["face_threshold"].default


@pytest.fixture(scope="session")
def photos() -> Iterator[dict[str, fs.PhotoResult]]:
    missing = fs.available()
    if missing:
        pytest.skip(missing)
    yield {name: fs.analyse_photo(name) for name in fs.photos()}


def test_no_photo_is_refused_for_its_size(photos: dict[str, fs.PhotoResult]) -> None:
    assert max(r.size[0] * r.size[1] for r in photos.values()) >= 2280 * 1588
    for name in photos:
        data = (fs.FACES / name).read_bytes()
        try:
            sniff_image(data)  # what the node checks before anything is decoded
        except Exception as exc:
            raise AssertionError(f"{name} refused: {exc}") from exc
    refused = {r.name: r.refused for r in photos.values() if r.refused and r.name not in fs.SEVERAL}
    assert refused == {}  # neither as an image nor by the enrolment's quality checks


def test_every_face_of_a_240p_capture_is_found(photos: dict[str, fs.PhotoResult]) -> None:
    singles = [r for r in photos.values() if r.name not in fs.SEVERAL and not r.refused]
    assert len(singles) >= 60
    missed = [r.name for r in singles if r.probe_240p is None]
    assert missed == [], missed
    for name in fs.SEVERAL:
        assert photos[name].refused == ("several_faces",)
        assert photos[name].faces_240p >= 2


def test_no_false_match_and_fnmr_within_the_bound(photos: dict[str, fs.PhotoResult]) -> None:
    report = fs.report(photos, THRESHOLD)
    for probe in ("probe", "probe_240p"):
        rates = report[probe]
        assert rates["impostor_attempts"] > 500 and rates["genuine_attempts"] > 250
        assert rates["false_matches"] == 0, rates
        assert rates["FNMR"] <= FNMR_REACHED[probe], rates
