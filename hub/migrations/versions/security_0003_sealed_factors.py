"""Staff authenticator secrets sealed at rest under the hub's key (they were stored in clear).

Revision ID: security_0003
Revises: security_0002
"""

from common.migration_ops import seal_staff_factors, unseal_staff_factors

revision = "security_0003"
down_revision = "security_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    seal_staff_factors()


def downgrade() -> None:
    unseal_staff_factors()
