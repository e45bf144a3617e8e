from alembic import context

from common.db import run_migrations_env

run_migrations_env(context)
