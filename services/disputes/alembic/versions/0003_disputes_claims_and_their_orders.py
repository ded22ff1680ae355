"""Disputes, claims, the claims' triggers and the service's projection of orders.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    op.create_table(
        "claim_triggers",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "kind", "reference"),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("buyer_org", sa.String(length=100), nullable=False),
        sa.Column("supplier_org", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_claims_all_amount", "claims", ["amount", "id"], unique=False)
    op.create_index("ix_claims_all_opened_at", "claims", ["opened_at", "id"], unique=False)
    op.create_index(
        "ix_claims_buyer_org_amount", "claims", ["buyer_org", "amount", "id"], unique=False
    )
    op.create_index(
        "ix_claims_buyer_org_opened_at", "claims", ["buyer_org", "opened_at", "id"], unique=False
    )
    op.create_index("ix_claims_status_amount", "claims", ["status", "amount", "id"], unique=False)
    op.create_index(
        "ix_claims_status_opened_at", "claims", ["status", "opened_at", "id"], unique=False
    )
    op.create_index(
        "ix_claims_supplier_org_amount", "claims", ["supplier_org", "amount", "id"], unique=False
    )
    op.create_index(
        "ix_claims_supplier_org_opened_at",
        "claims",
        ["supplier_org", "opened_at", "id"],
        unique=False,
    )
    op.create_index("uq_claims_reference", "claims", ["order_id", "kind", "reference"], unique=True)
    op.create_table(
        "disputes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("buyer_org", sa.String(length=100), nullable=False),
        sa.Column("supplier_org", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("awaiting", sa.String(length=20), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_disputes_all_amount", "disputes", ["amount", "id"], unique=False)
    op.create_index("ix_disputes_all_opened_at", "disputes", ["opened_at", "id"], unique=False)
    op.create_index(
        "ix_disputes_awaiting",
        "disputes",
        ["respond_by"],
        unique=False,
        postgresql_where=sa.text("status = 'open' AND awaiting IS NOT NULL"),
        sqlite_where=sa.text("status = 'open' AND awaiting IS NOT NULL"),
    )
    op.create_index(
        "ix_disputes_buyer_org_amount", "disputes", ["buyer_org", "amount", "id"], unique=False
    )
    op.create_index(
        "ix_disputes_buyer_org_opened_at",
        "disputes",
        ["buyer_org", "opened_at", "id"],
        unique=False,
    )
    op.create_index("ix_disputes_order", "disputes", ["order_id", "opened_at"], unique=False)
    op.create_index(
        "ix_disputes_status_amount", "disputes", ["status", "amount", "id"], unique=False
    )
    op.create_index(
        "ix_disputes_status_opened_at", "disputes", ["status", "opened_at", "id"], unique=False
    )
    op.create_index(
        "ix_disputes_supplier_org_amount",
        "disputes",
        ["supplier_org", "amount", "id"],
        unique=False,
    )
    op.create_index(
        "ix_disputes_supplier_org_opened_at",
        "disputes",
        ["supplier_org", "opened_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_disputes_active_order",
        "disputes",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('open', 'escalated')"),
        sqlite_where=sa.text("status IN ('open', 'escalated')"),
    )
    op.create_table(
        "order_facts",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("buyer_org", sa.String(length=100), nullable=False),
        sa.Column("supplier_org", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )


def downgrade():
    op.drop_table("order_facts")
    op.drop_index(
        "uq_disputes_active_order",
        table_name="disputes",
        postgresql_where=sa.text("status IN ('open', 'escalated')"),
        sqlite_where=sa.text("status IN ('open', 'escalated')"),
    )
    op.drop_index("ix_disputes_supplier_org_opened_at", table_name="disputes")
    op.drop_index("ix_disputes_supplier_org_amount", table_name="disputes")
    op.drop_index("ix_disputes_status_opened_at", table_name="disputes")
    op.drop_index("ix_disputes_status_amount", table_name="disputes")
    op.drop_index("ix_disputes_order", table_name="disputes")
    op.drop_index("ix_disputes_buyer_org_opened_at", table_name="disputes")
    op.drop_index("ix_disputes_buyer_org_amount", table_name="disputes")
    op.drop_index(
        "ix_disputes_awaiting",
        table_name="disputes",
        postgresql_where=sa.text("status = 'open' AND awaiting IS NOT NULL"),
        sqlite_where=sa.text("status = 'open' AND awaiting IS NOT NULL"),
    )
    op.drop_index("ix_disputes_all_opened_at", table_name="disputes")
    op.drop_index("ix_disputes_all_amount", table_name="disputes")
    op.drop_table("disputes")
    op.drop_index("uq_claims_reference", table_name="claims")
    op.drop_index("ix_claims_supplier_org_opened_at", table_name="claims")
    op.drop_index("ix_claims_supplier_org_amount", table_name="claims")
    op.drop_index("ix_claims_status_opened_at", table_name="claims")
    op.drop_index("ix_claims_status_amount", table_name="claims")
    op.drop_index("ix_claims_buyer_org_opened_at", table_name="claims")
    op.drop_index("ix_claims_buyer_org_amount", table_name="claims")
    op.drop_index("ix_claims_all_opened_at", table_name="claims")
    op.drop_index("ix_claims_all_amount", table_name="claims")
    op.drop_table("claims")
    op.drop_table("claim_triggers")
