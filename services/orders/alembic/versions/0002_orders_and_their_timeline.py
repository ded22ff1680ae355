"""Orders and their timeline.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.create_table(
        "activities",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index("ix_activities_order", ["order_id", "id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("buyer_org", sa.String(length=100), nullable=False),
        sa.Column("buyer_user", sa.String(length=100), nullable=False),
        sa.Column("supplier_org", sa.String(length=100), nullable=False),
        sa.Column("workflow", sa.String(length=50), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.Column("status_group", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("buyer_user", "idempotency_key", name="uq_orders_idempotency"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_all", ["placed_at", "id"], unique=False)
        batch_op.create_index(
            "ix_orders_buyer_org_all", ["buyer_org", "placed_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_orders_buyer_org_group",
            ["buyer_org", "status_group", "placed_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_orders_buyer_org_status", ["buyer_org", "status", "placed_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_orders_deadline",
            ["next_deadline_at"],
            unique=False,
            postgresql_where=sa.text("next_deadline_at IS NOT NULL"),
            sqlite_where=sa.text("next_deadline_at IS NOT NULL"),
        )
        batch_op.create_index("ix_orders_group", ["status_group", "placed_at", "id"], unique=False)
        batch_op.create_index("ix_orders_status", ["status", "placed_at", "id"], unique=False)
        batch_op.create_index(
            "ix_orders_supplier_org_all", ["supplier_org", "placed_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_orders_supplier_org_group",
            ["supplier_org", "status_group", "placed_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_orders_supplier_org_status",
            ["supplier_org", "status", "placed_at", "id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_supplier_org_status")
        batch_op.drop_index("ix_orders_supplier_org_group")
        batch_op.drop_index("ix_orders_supplier_org_all")
        batch_op.drop_index("ix_orders_status")
        batch_op.drop_index("ix_orders_group")
        batch_op.drop_index(
            "ix_orders_deadline",
            postgresql_where=sa.text("next_deadline_at IS NOT NULL"),
            sqlite_where=sa.text("next_deadline_at IS NOT NULL"),
        )
        batch_op.drop_index("ix_orders_buyer_org_status")
        batch_op.drop_index("ix_orders_buyer_org_group")
        batch_op.drop_index("ix_orders_buyer_org_all")
        batch_op.drop_index("ix_orders_all")

    op.drop_table("orders")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_order")

    op.drop_table("activities")
