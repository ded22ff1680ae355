"""The profiles' history of events and the projection built from it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("occurred_at", AT, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_table(
        "order_facts",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("buyer_org", sa.String(100), nullable=False),
        sa.Column("supplier_org", sa.String(100), nullable=False),
        sa.Column("workflow", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("placed_at", AT),
        sa.Column("approved_at", AT),
        sa.Column("committed_deliver_by", sa.Date()),
        sa.Column("delivered_at", AT),
        sa.Column("completed_at", AT),
        sa.Column("cancelled_at", AT),
        sa.Column("cancelled_by", sa.String(20)),
        sa.Column("counts_against_supplier", sa.Boolean()),
    )
    op.create_index("ix_order_facts_buyer_org", "order_facts", ["buyer_org"])
    op.create_index("ix_order_facts_supplier_org", "order_facts", ["supplier_org"])
    op.create_table(
        "verdicts",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("supplier_org", sa.String(100), nullable=False),
        sa.Column("buyer_org", sa.String(100), nullable=False),
        sa.Column("workflow", sa.String(100), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("at", AT, nullable=False),
    )
    op.create_index("ix_verdicts_supplier", "verdicts", ["supplier_org"])
    op.create_index("ix_verdicts_buyer", "verdicts", ["buyer_org"])
    op.create_table(
        "reviews",
        sa.Column("review_id", sa.String(60), primary_key=True),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("reviewer_role", sa.String(20), nullable=False),
        sa.Column("reviewer_org", sa.String(100), nullable=False),
        sa.Column("reviewee_org", sa.String(100), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("posted_at", AT, nullable=False),
    )
    op.create_index("ix_reviews_order_id", "reviews", ["order_id"])
    op.create_index("ix_reviews_reviewee_org", "reviews", ["reviewee_org"])
    op.create_table(
        "moderation",
        sa.Column("review_id", sa.String(60), primary_key=True),
        sa.Column("reports", sa.JSON(), nullable=False),
        sa.Column("hidden_reason", sa.Text()),
        sa.Column("hidden_by", sa.String(100)),
        sa.Column("hidden_at", AT),
    )


def downgrade() -> None:
    for table in ("moderation", "reviews", "verdicts", "order_facts", "history"):
        op.drop_table(table)
