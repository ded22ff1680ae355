"""When the order was approved: a shipment is created for an approved order only (issue 7).

Records opened before this revision could ship at once; they keep that (their approval time is
taken to be their opening), so an upgrade stops no order that was shipping.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade():
    with op.batch_alter_table("fulfillments") as table:
        table.add_column(sa.Column("approved_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE fulfillments SET approved_at = opened_at")


def downgrade():
    with op.batch_alter_table("fulfillments") as table:
        table.drop_column("approved_at")
