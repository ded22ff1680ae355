"""The orders service's tables.

An order is stored as its aggregate document (``state``) plus the columns that queries filter,
sort and page on. The timeline is append-only, so it lives in its own table.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

from chassis.tables import SEQUENCE, messaging_tables

metadata = MetaData()
messaging_tables(metadata)

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("buyer_org", String(100), nullable=False),
    Column("buyer_user", String(100), nullable=False),
    Column("supplier_org", String(100), nullable=False),
    Column("workflow", String(50), nullable=False),
    Column("workflow_version", Integer, nullable=False),
    Column("status", String(50), nullable=False),
    Column("status_group", String(30), nullable=False),
    Column("kind", String(50)),
    Column("delayed", Boolean, nullable=False, server_default=false()),
    Column("title", String(300), nullable=False),
    Column("search_text", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("next_deadline_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Column("state", JSON, nullable=False),
    # The same user id may exist in two organisations: a key belongs to both, like the gateway's.
)

# Each list tab is one index range scan, in keyset order: (scope, tab, placed_at, id).
for side in ("buyer_org", "supplier_org"):
    Index(f"ix_orders_{side}_all", orders.c[side], orders.c.placed_at, orders.c.id)
    Index(
        f"ix_orders_{side}_status", orders.c[side], orders.c.status, orders.c.placed_at, orders.c.id
    )
    Index(
        f"ix_orders_{side}_group",
        orders.c[side],
        orders.c.status_group,
        orders.c.placed_at,
        orders.c.id,
    )
Index("ix_orders_all", orders.c.placed_at, orders.c.id)
Index("ix_orders_status", orders.c.status, orders.c.placed_at, orders.c.id)
Index("ix_orders_group", orders.c.status_group, orders.c.placed_at, orders.c.id)
Index(
    "ix_orders_deadline",
    orders.c.next_deadline_at,
    postgresql_where=orders.c.next_deadline_at.isnot(None),
    sqlite_where=orders.c.next_deadline_at.isnot(None),
)

activities = Table(
    "activities",
    metadata,
    Column("id", SEQUENCE, primary_key=True, autoincrement=True),
    Column("order_id", String(36), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", JSON, nullable=False),
    Column("kind", String(50), nullable=False),
    Column("summary", Text, nullable=False),
    Column("data", JSON, nullable=False),
)
Index("ix_activities_order", activities.c.order_id, activities.c.id)
