"""Payout approvals: staff's decision on a payout above the approval threshold.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade():
    op.add_column("payouts", sa.Column("review_reason", sa.String(2000)))
    op.add_column("payouts", sa.Column("reviewed_by", sa.String(100)))
    op.add_column("payouts", sa.Column("reviewed_at", sa.DateTime(timezone=True)))
    op.create_index("ix_payouts_queue", "payouts", ["status", "requested_at", "id"])


def downgrade():
    op.drop_index("ix_payouts_queue", "payouts")
    for column in ("reviewed_at", "reviewed_by", "review_reason"):
        op.drop_column("payouts", column)
