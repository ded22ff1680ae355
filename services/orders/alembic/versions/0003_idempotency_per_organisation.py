"""Idempotency keys are unique per organisation and user, not per user id alone.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("uq_orders_idempotency", type_="unique")
        batch.create_unique_constraint(
            "uq_orders_idempotency", ["buyer_org", "buyer_user", "idempotency_key"]
        )


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("uq_orders_idempotency", type_="unique")
        batch.create_unique_constraint("uq_orders_idempotency", ["buyer_user", "idempotency_key"])
