"""The node's intake tables: catalogue copy, applications and their materials."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Table

from common.db import UTCDateTime
from overseas_node.db import Base

__all__ = ["catalogue_copy", "node_applications", "node_materials"]

metadata = Base.metadata

catalogue_copy = Table(
    "catalogue_copy",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("category", String(32), nullable=False),
    Column("name_zh", String(120), nullable=False),
    Column("name_en", String(160), nullable=False),
    Column("guide", JSON, nullable=False),
    Column("synced_at", UTCDateTime, nullable=False),
)

node_applications = Table(
    "node_applications",
    metadata,
    Column("number", String(32), primary_key=True),
    Column("query_code", String(16), nullable=False),  # shown to the resident; polls the hub
    Column("item_code", String(16), nullable=False),
    Column("item_version", Integer, nullable=False),
    Column("clerk", String(64), nullable=False),
    Column("resident", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # draft | queued | delivered | refused
    Column("hub_state", String(16), nullable=True),  # as the hub last reported it
    Column("hub_history", JSON, nullable=False),
    Column("rounds", Integer, nullable=False),  # submissions so far (1 + resubmissions)
    # the hub's one-time deficiency notices, as last polled: [{issued_at, items, resolved_at}]
    Column("hub_notices", JSON, nullable=False, server_default="[]"),
    # 容缺: materials the resident promised to bring later, [{material, due, recorded_by, at}]
    Column("promises", JSON, nullable=False, server_default="[]"),
    # the hub's refusal of the last message sent, until the clerk sends again: {code, title, at}
    Column("refusal", JSON, nullable=True),
    Column("sends", Integer, nullable=False, server_default="0"),  # messages queued so far
    Column("hub_deadline", Date, nullable=True),  # 承诺时限: the date the hub promised
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

node_materials = Table(
    "node_materials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "number", String(32), ForeignKey("node_applications.number"), nullable=False, index=True
    ),
    Column("material_code", String(40), nullable=False),
    Column("trust", String(1), nullable=False),
    Column("display_name", String(120), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("sha256", String(64), nullable=False),  # of the clean (unmarked) upload sent on
    Column("round", Integer, nullable=False),  # the submission round it goes with
    Column("recorded_at", UTCDateTime, nullable=False),
)
