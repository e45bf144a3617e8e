"""Face library: detection, tracking, encodings, liveness, enrolment quality, signed decisions.

No web framework, no database. The CPU-heavy parts run in worker processes through
:class:`FaceEngine`; :mod:`media.face.liveness` is a pure function over landmark sequences.
"""

from media.face.decision import (
    DecisionCheck,
    Ed25519Signer,
    FrameLedger,
    MatchResult,
    MatchStatus,
    SignedDecision,
    Signer,
    VerificationDecision,
    frame_hash,
    key_id_of,
    match_decision,
    sign_decision,
    verify_decision,
)
from media.face.detect import FaceBox, FaceTracker, TrackerConfig, detect_faces, landmarks_68
from media.face.encode import ENCODING_MODEL, Encoding, encode_face, face_distance
from media.face.engine import FaceEngine
from media.face.fingerprint import REPLAY_LIMIT, FramePrint, frame_print, replay_score
from media.face.images import ImageError, ImageProblem, decode_image
from media.face.liveness import (
    Action,
    LivenessLimits,
    LivenessResult,
    LivenessStatus,
    Observation,
    check_liveness,
    eye_aspect_ratio,
    head_yaw,
    issue_challenge,
)
from media.face.pipeline import (
    EnrolmentAnalysis,
    PipelineConfig,
    SeriesAnalysis,
    analyse_enrolment,
    analyse_series,
)
from media.face.presentation import (
    PresentationLimits,
    PresentationResult,
    PresentationStatus,
    check_presentation,
    planar_residual,
)
from media.face.quality import QualityLimits, QualityReason, QualityReport, assess_quality

__all__ = [
    "ENCODING_MODEL",
    "REPLAY_LIMIT",
    "Action",
    "DecisionCheck",
    "Ed25519Signer",
    "Encoding",
    "EnrolmentAnalysis",
    "FaceBox",
    "FaceEngine",
    "FaceTracker",
    "FrameLedger",
    "FramePrint",
    "ImageError",
    "ImageProblem",
    "LivenessLimits",
    "LivenessResult",
    "LivenessStatus",
    "MatchResult",
    "MatchStatus",
    "Observation",
    "PipelineConfig",
    "PresentationLimits",
    "PresentationResult",
    "PresentationStatus",
    "QualityLimits",
    "QualityReason",
    "QualityReport",
    "SeriesAnalysis",
    "SignedDecision",
    "Signer",
    "TrackerConfig",
    "VerificationDecision",
    "analyse_enrolment",
    "analyse_series",
    "assess_quality",
    "check_liveness",
    "check_presentation",
    "decode_image",
    "detect_faces",
    "encode_face",
    "eye_aspect_ratio",
    "face_distance",
    "frame_hash",
    "frame_print",
    "head_yaw",
    "issue_challenge",
    "key_id_of",
    "landmarks_68",
    "match_decision",
    "planar_residual",
    "replay_score",
    "sign_decision",
    "verify_decision",
]
