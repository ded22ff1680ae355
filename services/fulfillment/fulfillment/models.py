"""The fulfillment service's tables."""

from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table

from chassis.tables import messaging_tables

metadata = MetaData()
messaging_tables(metadata)

fulfillments = Table(
    "fulfillments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False, unique=True),
    Column("buyer_org", String(100), nullable=False, index=True),
    Column("supplier_org", String(100), nullable=False, index=True),
    Column("status", String(30), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
