"""Running totals and medians, so that reading a profile costs the same at any size; the
conversations awaiting an answer (response time from chat's message.posted).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

AT = sa.DateTime(timezone=True)
KEY = ("org", "side", "workflow")


def _key():
    return [
        sa.Column("org", sa.String(100), primary_key=True),
        sa.Column("side", sa.String(20), primary_key=True),
        sa.Column("workflow", sa.String(100), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "tallies",
        *_key(),
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("first_at", AT, nullable=False),
        sa.Column("last_at", AT, nullable=False),
    )
    op.create_table(
        "samples",
        *_key(),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("sample_id", sa.String(60), primary_key=True),
        sa.Column("seconds", sa.Float(), nullable=False),
    )
    op.create_index(
        "ix_samples_order", "samples", [*KEY, "kind", "seconds", "sample_id"], unique=False
    )
    op.create_table(
        "medians",
        *_key(),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("low_seconds", sa.Float(), nullable=False),
        sa.Column("low_id", sa.String(60), nullable=False),
        sa.Column("high_seconds", sa.Float(), nullable=False),
        sa.Column("high_id", sa.String(60), nullable=False),
        sa.Column("first_at", AT, nullable=False),
        sa.Column("last_at", AT, nullable=False),
    )
    op.create_table(
        "awaiting",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("side", sa.String(20), nullable=False),
        sa.Column("since", AT, nullable=False),
    )
    op.create_index("ix_reviews_reviewee_posted", "reviews", ["reviewee_org", "posted_at"])


def downgrade() -> None:
    op.drop_index("ix_reviews_reviewee_posted", "reviews")
    for table in ("awaiting", "medians", "samples", "tallies"):
        op.drop_table(table)
