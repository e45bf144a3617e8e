"""Tables of signatures at the hub (migration ``auditlog_0002``)."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String, Table, Text

from common.db import UTCDateTime
from hub.db import Base

__all__ = ["node_keys", "signing_requests", "totp_enrolments"]

totp_enrolments = Table(
    "totp_enrolments",
    Base.metadata,
    Column("account", String(120), primary_key=True),
    Column("secret_sealed", LargeBinary, nullable=False),  # AES-256-GCM, account as aad
    Column("enrolled_at", UTCDateTime, nullable=False),
)

node_keys = Table(
    "node_decision_keys",
    Base.metadata,
    Column("key_id", String(64), primary_key=True),
    Column("branch", String(16), nullable=False),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("registered_by", String(64), nullable=False),
)

signing_requests = Table(
    "signing_requests",
    Base.metadata,
    Column("id", String(32), primary_key=True),
    Column("application_number", String(32), nullable=False, index=True),
    Column("resident_id", String(120), nullable=False),
    Column("resident_name", String(120), nullable=False),
    Column("notary", String(64), nullable=False),
    Column("title", String(160), nullable=False),
    Column("document_sha256", String(64), nullable=False),  # what the resident consents to
    Column("current_sha256", String(64), nullable=False),  # the file as signed so far
    Column("state", String(24), nullable=False),
    Column("session_id", String(64)),  # the face verification attempt the consent binds
    Column("challenge_opened_at", UTCDateTime),
    Column("face_decision", Text),  # the node's signed decision, kept as evidence
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
