"""Idempotency keys' owners as long as the token claims they are made of.

The owner is ``org/role/sub``; the contracts allow 100 characters for ``org`` and for ``sub``.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    with op.batch_alter_table("idempotency_keys") as table:
        table.alter_column("user_id", type_=sa.String(255), existing_nullable=False)


def downgrade():
    with op.batch_alter_table("idempotency_keys") as table:
        table.alter_column("user_id", type_=sa.String(128), existing_nullable=False)
