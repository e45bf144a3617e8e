"""The audit table as a Merkle log: gapless leaf indexes, signed tree heads, proofs.

``common.audit.record`` stays the one audit function; this package arranges what it wrote
into an RFC 9162-style log that the hub and the node each publish and anyone can check.
"""

from common.auditlog.log import AuditLog, LeafCache
from common.auditlog.routes import audit_log_routes, head_ctx
from common.auditlog.tables import LogTables, log_tables

__all__ = ["AuditLog", "LeafCache", "LogTables", "audit_log_routes", "head_ctx", "log_tables"]
