"""Fulfillment records.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.create_table(
        "fulfillments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), nullable=False, unique=True),
        sa.Column("buyer_org", sa.String(100), nullable=False, index=True),
        sa.Column("supplier_org", sa.String(100), nullable=False, index=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("fulfillments")
