"""The orders' own idempotency key goes: commands answer repeated requests (chassis.commands).

Orders placed with a key before this revision lose nothing: the gateway replays its recorded
answer to a retry with that key without asking the service again.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("uq_orders_idempotency", type_="unique")
        batch.drop_column("idempotency_key")


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch.create_unique_constraint(
            "uq_orders_idempotency", ["buyer_org", "buyer_user", "idempotency_key"]
        )
