"""The escrow ledger (accounts, transactions, entries) and the payment state of each order.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from chassis.tables import SEQUENCE

revision = "0003"
down_revision = "0002"


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False, index=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("non_negative", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("key", sa.String(250), nullable=False, unique=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("order_id", sa.String(36), index=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("resolves", sa.String(36), sa.ForeignKey("ledger_transactions.id"), unique=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cause_type", sa.String(100), nullable=False),
        sa.Column("cause_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "entries",
        sa.Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column(
            "transaction_id",
            sa.String(36),
            sa.ForeignKey("ledger_transactions.id"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "account_id", sa.String(200), sa.ForeignKey("accounts.id"), nullable=False, index=True
        ),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "order_payments",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("buyer_org", sa.String(100), nullable=False, index=True),
        sa.Column("supplier_org", sa.String(100), nullable=False, index=True),
        sa.Column("buyer_user", sa.String(100)),
        sa.Column("workflow", sa.String(50), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(20)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("failure_reason", sa.String(300)),
        sa.Column("provider_reference", sa.String(300)),
        sa.Column("commission_bps", sa.Integer()),
        sa.Column("commission_fixed", sa.BigInteger()),
        sa.Column("refund_to", sa.String(10)),
        sa.Column("refund_decided", sa.BigInteger()),
        sa.Column("decided_by", sa.String(100)),
        sa.Column("decided_cause", sa.String(200)),
        sa.Column("hold_id", sa.String(36)),
        sa.Column("placed_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
    )


def downgrade():
    for table in ("order_payments", "entries", "ledger_transactions", "accounts"):
        op.drop_table(table)
