"""Events about an order that arrived before the event that opens its record.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from chassis.tables import SEQUENCE

revision = "0005"
down_revision = "0004"

MOMENT = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "waiting_events",
        sa.Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(36), nullable=False, index=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("occurred_at", MOMENT, nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("received_at", MOMENT, nullable=False),
    )


def downgrade():
    op.drop_table("waiting_events")
