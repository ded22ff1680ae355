"""An index of the scans still parked, by when they happened: the backlog counts those inside the
matching window without reading every scan ever parked.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade():
    parked = sa.text("shipment_id IS NULL")
    op.create_index(
        "ix_scans_parked",
        "scans",
        ["occurred_at"],
        postgresql_where=parked,
        sqlite_where=parked,
    )


def downgrade():
    op.drop_index("ix_scans_parked", table_name="scans")
