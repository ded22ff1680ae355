"""The highest shipment number each order gave out, so that a withdrawn draft's number is never
given to another parcel (its delivery note may be printed). Existing records start at 0: the
service takes the highest number still stored as well.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade():
    with op.batch_alter_table("fulfillments") as table:
        table.add_column(
            sa.Column("shipments_numbered", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("fulfillments") as table:
        table.drop_column("shipments_numbered")
