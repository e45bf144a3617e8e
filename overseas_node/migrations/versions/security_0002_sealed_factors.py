"""Staff authenticator secrets sealed at rest under the node's key (they were stored in clear).

Revision ID: security_0002
Revises: security_0001
"""

from common.migration_ops import seal_staff_factors, unseal_staff_factors

revision = "security_0002"
down_revision = "security_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    seal_staff_factors()


def downgrade() -> None:
    unseal_staff_factors()
