"""Records from before 0009 take their highest shipment number still stored, so that the service
can number a new shipment from the record alone.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"

_HIGHEST_STORED = (
    "(SELECT coalesce(max(shipments.number), 0) FROM shipments"
    " WHERE shipments.order_id = fulfillments.order_id)"
)


def upgrade():
    op.execute(
        f"UPDATE fulfillments SET shipments_numbered = {_HIGHEST_STORED}"
        f" WHERE shipments_numbered < {_HIGHEST_STORED}"
    )


def downgrade():
    pass  # the numbers stay true under 0009 too
