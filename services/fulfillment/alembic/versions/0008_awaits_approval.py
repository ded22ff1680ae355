"""Whether the order waits for the supplier's approval before it ships (issue 7): set from
``order.placed``, cleared by ``order.approved``.

Records opened before this revision could ship at once and keep that (false), so an upgrade
stops no order that was shipping.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade():
    with op.batch_alter_table("fulfillments") as table:
        table.add_column(
            sa.Column("awaits_approval", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("fulfillments") as table:
        table.drop_column("awaits_approval")
