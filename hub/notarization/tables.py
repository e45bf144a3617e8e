"""Tables of remote notarization (migration ``notary_0001``): acts and the notary's journal."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Float, Integer, String, Table, Text

from common.db import UTCDateTime
from hub.db import Base

__all__ = ["journal", "notarial_acts"]

notarial_acts = Table(
    "notarial_acts",
    Base.metadata,
    Column("id", String(24), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("act_type", String(32), nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("application_number", String(32), nullable=False, index=True),
    Column("resident_id", String(120), nullable=False),
    Column("resident_name", String(120), nullable=False),
    Column("resident_document", String(40), nullable=False),
    Column("resident_lang", String(2), nullable=False),
    Column("branch", String(16), nullable=False, index=True),
    Column("booking_reference", String(32), nullable=False),
    Column("notary", String(64), nullable=False, index=True),
    Column("scheduled_at", UTCDateTime, nullable=False),
    Column("particulars", JSON, nullable=False),
    Column("copies", Integer, nullable=False),
    Column("fee_cents", Integer, nullable=False),
    Column("verification_code", String(16), nullable=False, unique=True),
    Column("identity_attempt", String(64)),
    Column("identity_decision", Text),  # the node's signed decision (canonical JSON)
    Column("identity_sha256", String(64)),
    Column("identity_distance", Float),
    Column("video_session_id", String(32)),
    Column("advisements", JSON, nullable=False),  # [{"code", "at"}] in the order read
    Column("signing_request_id", String(32)),
    Column("document_sha256", String(64)),  # the certificate as presented for signature
    Column("certificate_sha256", String(64)),  # the certificate as issued (all signatures)
    Column("witness", String(64)),
    Column("reason", Text),  # of a refusal or adjournment
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("issued_at", UTCDateTime),
)

journal = Table(
    "notary_journal",
    Base.metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("notary", String(64), nullable=False, index=True),
    Column("act_id", String(24), nullable=False, index=True),
    Column("outcome", String(16), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("entry", JSON, nullable=False),  # model.JournalEntry's fields, as recorded then
)
