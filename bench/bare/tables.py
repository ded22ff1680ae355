"""The bare stack's rows: what an approval must write at the least, on any stack."""

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, func

metadata = MetaData()
orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(20), nullable=False),
)
# The events of the approval's transaction, written with it: nothing lost if the process dies
# before it publishes them.
outbox = Table(
    "outbox",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("body", Text, nullable=False),
)
# One row per event a consumer applied: a redelivered event is applied once.
inbox = Table(
    "inbox",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False),
    Column("processed_at", DateTime(timezone=True), server_default=func.clock_timestamp()),
)
