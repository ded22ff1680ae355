"""The messages of each order's conversation, instead of the one open wait: response times are
derived from all of them, so a message handled after a later one still counts right. An index
for a side's newest and oldest reviews (by the reviewer's role).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "conversation_posts",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("message_id", sa.String(36), primary_key=True),
        sa.Column("side", sa.String(20), nullable=False),
        sa.Column("org", sa.String(100), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_table("awaiting")
    op.create_index(
        "ix_reviews_received_by_role", "reviews", ["reviewee_org", "reviewer_role", "posted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_received_by_role", "reviews")
    op.create_table(
        "awaiting",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("side", sa.String(20), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_table("conversation_posts")
