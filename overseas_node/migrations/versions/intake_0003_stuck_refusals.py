"""Intake: applications whose message the hub refused before refusals were recorded.

Such an application still said "queued" while its message lay dead in the outbox; it becomes
"refused" with the hub's code, so that the clerk sees it and can fix and send it again.

Revision ID: intake_0003
Revises: intake_0002
"""

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "intake_0003"
down_revision = "intake_0002"
branch_labels = None
depends_on = ("outbox_0001",)

CODE = re.compile(r"hub \d{3}: ([a-z_.]+)")


def upgrade() -> None:
    bind = op.get_bind()
    apps = sa.table(
        "node_applications",
        sa.column("number", sa.String),
        sa.column("state", sa.String),
        sa.column("rounds", sa.Integer),
        sa.column("refusal", sa.JSON),
    )
    outbox = sa.table(
        "outbox_messages",
        sa.column("id", sa.Integer),
        sa.column("order_key", sa.String),
        sa.column("state", sa.String),
        sa.column("last_error", sa.Text),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    queued = bind.execute(
        sa.select(apps.c.number, apps.c.rounds).where(apps.c.state == "queued")
    ).all()
    for number, rounds in queued:
        last = bind.execute(
            sa.select(outbox.c.state, outbox.c.last_error, outbox.c.updated_at)
            .where(outbox.c.order_key == number)
            .order_by(outbox.c.id.desc())
            .limit(1)
        ).first()
        if last is None or last.state != "dead":
            continue
        found = CODE.search(last.last_error or "")
        refusal = {
            "code": found.group(1) if found else "link.gave_up",
            "title": "",
            "round": rounds,
            "at": _iso(last.updated_at),
        }
        bind.execute(
            apps.update()
            .where(apps.c.number == number)
            .values(state="refused", rounds=max(rounds - 1, 0), refusal=refusal)
        )


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value or "")


def downgrade() -> None:
    """Nothing to undo: a refused application may stay refused."""
