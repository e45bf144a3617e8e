"""The attempt's reason: liveness first, then whether a head was measured, then identity."""

from __future__ import annotations

from media.face import (
    LivenessStatus,
    MatchResult,
    MatchStatus,
    PresentationResult,
    PresentationStatus,
    SeriesAnalysis,
)
from media.face.liveness import LivenessResult
from overseas_node.identity.model import attempt_reason, decision_checks


def analysis(live: LivenessStatus, pad: PresentationStatus | None, match: MatchStatus):  # type: ignore[no-untyped-def]
    presentation = None if pad is None else PresentationResult(pad, 0.02, 4, 0.012)
    return SeriesAnalysis(
        LivenessResult(live), MatchResult(match, 0.3), {0: 0.3}, (1,), 1, 5, presentation
    )


def test_a_head_must_be_measured_before_identity_counts() -> None:
    depth, flat = PresentationStatus.DEPTH, PresentationStatus.FLAT
    ok, passed = MatchStatus.MATCH, LivenessStatus.PASSED
    assert attempt_reason(analysis(passed, depth, ok)) == "accepted"
    assert attempt_reason(analysis(passed, flat, ok)) == "presentation_flat"
    unmeasured = analysis(passed, PresentationStatus.NOT_MEASURED, ok)
    assert attempt_reason(unmeasured) == "presentation_not_measured"
    assert attempt_reason(analysis(passed, None, ok)) == "presentation_not_measured"
    incomplete = analysis(LivenessStatus.INCOMPLETE, flat, ok)
    assert attempt_reason(incomplete) == "liveness_incomplete"
    assert attempt_reason(analysis(passed, depth, MatchStatus.NO_MATCH)) == "identity_no_match"


def test_the_decision_records_each_check_beside_its_limit() -> None:
    checks = decision_checks(
        analysis(LivenessStatus.PASSED, PresentationStatus.DEPTH, MatchStatus.MATCH), 9.5
    )
    assert checks["presentation"] == {
        "status": "depth",
        "parallax": 0.02,
        "min_parallax": 0.012,
        "turned_frames": 4,
    }
    assert checks["replay"]["score"] == 9.5 and checks["replay"]["limit"] == 3.0
    assert checks["identity"] == {"status": "match", "distance": 0.3}
    assert set(decision_checks(None, None)) == {"replay"}
