"""Shipments, carrier scans, quality documents and returns; the order facts fulfillment keeps.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

MOMENT = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("fulfillments") as table:
        table.add_column(sa.Column("title", sa.String(300), nullable=False, server_default=""))
        table.add_column(sa.Column("currency", sa.String(3)))
        table.add_column(sa.Column("shipping", sa.JSON()))
        table.add_column(sa.Column("placed_at", MOMENT))
    op.create_table(
        "shipments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), nullable=False, index=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("buyer_org", sa.String(100), nullable=False),
        sa.Column("supplier_org", sa.String(100), nullable=False),
        sa.Column("carrier", sa.String(50), nullable=False),
        sa.Column("tracking_number", sa.String(100)),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("status_at", MOMENT),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("handed_over_at", MOMENT),
        sa.Column("first_scan_at", MOMENT),
        sa.Column("unscanned_due_at", MOMENT),
        sa.Column("unscanned_reported", sa.Boolean(), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.UniqueConstraint("order_id", "number"),
    )
    op.create_index("ix_shipments_tracking_number", "shipments", ["tracking_number"])
    op.create_index("ix_shipments_unscanned_due_at", "shipments", ["unscanned_due_at"])
    op.create_table(
        "scans",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("dedupe_key", sa.String(64), nullable=False, unique=True),
        sa.Column("carrier", sa.String(50), nullable=False),
        sa.Column("carrier_event_id", sa.String(200), nullable=False),
        sa.Column("tracking_number", sa.String(100), nullable=False, index=True),
        sa.Column("shipment_id", sa.String(36), index=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("occurred_at", MOMENT, nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("location_kind", sa.String(30), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("received_at", MOMENT, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("blob_key", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.JSON(), nullable=False),
        sa.Column("uploaded_at", MOMENT, nullable=False),
    )
    op.create_table(
        "returns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("lines", sa.JSON()),
        sa.Column("wrong_item", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("requested_at", MOMENT, nullable=False),
        sa.Column("received_at", MOMENT),
    )


def downgrade():
    for table in ("returns", "documents", "scans", "shipments"):
        op.drop_table(table)
    with op.batch_alter_table("fulfillments") as table:
        for column in ("placed_at", "shipping", "currency", "title"):
            table.drop_column(column)
