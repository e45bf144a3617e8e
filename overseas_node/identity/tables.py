"""The identity tables of the node (migrations ``identity_0001`` to ``identity_0003``)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from overseas_node.db import Base

__all__ = [
    "attempts",
    "frame_hashes",
    "frame_prints",
    "frames",
    "kiosk_grants",
    "lockouts",
    "templates",
]

templates = Table(
    "identity_templates",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("resident_id", String(120), nullable=False, index=True),
    Column("branch", String(16), nullable=False),
    Column("sealed", LargeBinary, nullable=True),  # None once deleted by retention
    Column("photo_sha256", String(64), nullable=False),
    Column("quality", Text, nullable=False),
    Column("review_match", String(120), nullable=True),  # another resident with this face
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("enrolled_by", String(120), nullable=False),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
)

attempts = Table(
    "identity_attempts",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("resident_id", String(120), nullable=False, index=True),
    Column("branch", String(16), nullable=False),
    Column("challenge", String(80), nullable=False),
    Column("state", String(16), nullable=False),  # issued, processing, decided
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("accepted", Boolean, nullable=True),
    Column("distance", Float, nullable=True),
    Column("decision", Text, nullable=True),  # canonical JSON, signed
    Column("key_id", String(64), nullable=True),
    Column("signature", LargeBinary, nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
)

frames = Table(
    "identity_frames",
    Base.metadata,
    Column("attempt_id", String(36), ForeignKey("identity_attempts.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
)

frame_hashes = Table(  # outlives the frames: the replay ledger
    "identity_frame_hashes",
    Base.metadata,
    Column("sha256", String(64), primary_key=True),
    Column("attempt_id", String(36), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

frame_prints = Table(  # outlives the frames too: replays by content, across residents
    "identity_frame_prints",
    Base.metadata,
    Column("attempt_id", String(36), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("coarse", String(16), nullable=False, index=True),  # looked up by equality
    Column("fine", String(64), nullable=False),  # compared bit by bit
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

lockouts = Table(
    "identity_lockouts",
    Base.metadata,
    Column("resident_id", String(120), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=True),
)

kiosk_grants = Table(  # a clerk lets the branch kiosk verify one resident, once, for a while
    "identity_kiosk_grants",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("token_sha256", String(64), nullable=False, unique=True),  # never the token itself
    Column("resident_id", String(120), nullable=False),
    Column("branch", String(16), nullable=False),
    Column("act_id", String(40), nullable=False),  # the hub's notarial act the resident is here for
    Column("booking_reference", String(40), nullable=True),
    Column("state", String(16), nullable=False),  # open, started, used
    Column("attempt_id", String(36), nullable=True),
    Column("opened_by", String(120), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)
