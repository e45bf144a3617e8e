"""Demo data for the node: the branch's clerk account (password generated on first seed)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from common.access import Role
from common.db import Database
from common.factors import enrol_demo
from common.httpsig import load_or_create_key
from common.passwords import append_credentials, hash_password
from common.secretbox import service_box
from common.settings import NodeSettings
from overseas_node.accounts import NodeStaff
from overseas_node.db import signin_tables


def hub_key(settings: NodeSettings) -> Ed25519PrivateKey:
    """The node's own key for signing requests to the hub (made on first use, file 0600)."""
    return load_or_create_key(settings.data_dir / "keys" / "node-hub.pem")


CLERKS = [("clerk.milan", "Chen Lei 陈磊")]


async def seed_database(db: Database, now: datetime) -> dict[str, str]:
    created: dict[str, str] = {}
    async with db.transaction() as session:
        known = set((await session.scalars(select(NodeStaff.username))).all())
        for username, name in CLERKS:
            if username in known:
                continue
            password = secrets.token_urlsafe(12)
            created[username] = password
            session.add(
                NodeStaff(
                    username=username,
                    display_name=name,
                    role=Role.CLERK.value,
                    password_hash=hash_password(password),
                    created_at=now,
                )
            )
    return created


async def seed(settings: NodeSettings) -> str:
    db = Database(settings.resolved_database_url())
    try:
        now = datetime.now(UTC)
        created = await seed_database(db, now)
        second_factors = await enrol_demo(
            db, signin_tables, list(created), now, service_box(settings.data_dir)
        )
        hub_key(settings)  # the key this node signs its calls to the hub with
    finally:
        await db.close()
    append_credentials(settings.data_dir / "demo-credentials.txt", "node", created, second_factors)
    return f"branch {settings.branch_code}: {len(created)} staff accounts created"
