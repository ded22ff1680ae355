"""The fulfillment service's tables."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)

from chassis.tables import messaging_tables, waiting_events_table

metadata = MetaData()
messaging_tables(metadata)

# What fulfillment knows of each order: parties, lines (with what is allocated to shipments),
# and the shipping details given at placement.
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
    Column("title", String(300), nullable=False, server_default=""),
    Column("currency", String(3)),
    Column("shipping", JSON),
    Column("placed_at", DateTime(timezone=True)),
    # From ``order.placed`` until ``order.approved``: the supplier's shipments wait for it.
    Column("awaits_approval", Boolean, nullable=False, server_default=false()),
    # The highest shipment number given out, withdrawn drafts' too: numbers are never reused.
    Column("shipments_numbered", Integer, nullable=False, server_default="0"),
)

waiting_events = waiting_events_table(metadata)

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("buyer_org", String(100), nullable=False),
    Column("supplier_org", String(100), nullable=False),
    Column("carrier", String(50), nullable=False),
    Column("tracking_number", String(100)),
    Column("lines", JSON, nullable=False),
    Column("status", String(30), nullable=False),
    Column("status_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("handed_over_at", DateTime(timezone=True)),
    Column("first_scan_at", DateTime(timezone=True)),
    Column("unscanned_due_at", DateTime(timezone=True)),
    Column("unscanned_reported", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The [status, location kind] pairs its scans reached: a scan reaching a new one is news.
    # NULL for shipments stored before it was kept here (filled in from their scans).
    Column("milestones", JSON),
    UniqueConstraint("order_id", "number"),
    Index("ix_shipments_tracking_number", "tracking_number"),
    Index("ix_shipments_unscanned_due_at", "unscanned_due_at"),
)

# Every carrier scan ever accepted, once each; a scan with no shipment yet is parked.
scans = Table(
    "scans",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("dedupe_key", String(64), nullable=False, unique=True),
    Column("carrier", String(50), nullable=False),
    Column("carrier_event_id", String(200), nullable=False),
    Column("tracking_number", String(100), nullable=False, index=True),
    Column("shipment_id", String(36), index=True),
    Column("status", String(30), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("location", String(200), nullable=False),
    Column("location_kind", String(30), nullable=False),
    Column("message", String(500), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
# The backlog's parked scans inside the matching window (the service's ``own_backlog``).
Index(
    "ix_scans_parked",
    scans.c.occurred_at,
    postgresql_where=scans.c.shipment_id.is_(None),
    sqlite_where=scans.c.shipment_id.is_(None),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("blob_key", String(64), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("uploaded_by", JSON, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)

returns = Table(
    "returns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("lines", JSON),
    Column("wrong_item", Boolean, nullable=False),
    Column("note", String(2000), nullable=False),
    Column("photos", JSON, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True)),
)
