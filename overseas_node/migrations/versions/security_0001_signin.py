"""Sign-in security: staff second factors (TOTP) and failed sign-ins for lock-out.

Revision ID: security_0001
Revises: node_0002
"""

from common.migration_ops import create_signin_security, drop_signin_security

revision = "security_0001"
down_revision = "node_0002"
branch_labels = ("security",)
depends_on = None


def upgrade() -> None:
    create_signin_security()


def downgrade() -> None:
    drop_signin_security()
