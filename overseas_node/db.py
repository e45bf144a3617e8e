"""The node's tables share one metadata; each domain's models import ``Base`` from here."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from common.audit import audit_table
from common.db import NAMING
from common.factors import SignInTables, factors_table, failures_table
from common.outbox.store import inbox_table, outbox_table
from common.sessions import sessions_table


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


audit_events = audit_table(Base.metadata)
staff_sessions = sessions_table(Base.metadata)
outbox_messages = outbox_table(Base.metadata)
inbox_keys = inbox_table(Base.metadata)
signin_tables = SignInTables(factors_table(Base.metadata), failures_table(Base.metadata))
