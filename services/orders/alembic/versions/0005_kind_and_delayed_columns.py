"""Orders are filtered by kind and by whether they are delayed: both become columns.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade():
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=50)))
        batch.add_column(
            sa.Column("delayed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Existing orders: the values come from the stored aggregate.
    orders = sa.table(
        "orders",
        sa.column("id", sa.String),
        sa.column("state", sa.JSON),
        sa.column("kind", sa.String),
        sa.column("delayed", sa.Boolean),
    )
    connection = op.get_bind()
    for order_id, state in connection.execute(sa.select(orders.c.id, orders.c.state)).all():
        if state.get("kind") is not None or state.get("delayed"):
            connection.execute(
                orders.update()
                .where(orders.c.id == order_id)
                .values(kind=state.get("kind"), delayed=bool(state.get("delayed")))
            )


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("delayed")
        batch.drop_column("kind")
