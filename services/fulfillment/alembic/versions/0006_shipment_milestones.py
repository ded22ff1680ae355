"""The milestones each shipment's scans reached, kept on the shipment (no query per scan).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade():
    with op.batch_alter_table("shipments") as table:
        table.add_column(sa.Column("milestones", sa.JSON()))


def downgrade():
    with op.batch_alter_table("shipments") as table:
        table.drop_column("milestones")
