"""The disputes service's tables.

Disputes and claims are stored as their document (``state``) plus the columns that queues
filter, sort and page on. ``order_facts`` is this service's projection of orders, and
``claim_triggers`` what fulfillment reported that opens a claim (an unscanned parcel, a wrong
item returned).
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    text,
)

from chassis.tables import messaging_tables

metadata = MetaData()
messaging_tables(metadata)

ACTIVE_STATUSES = "status IN ('open', 'escalated')"

order_facts = Table(
    "order_facts",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("buyer_org", String(100), nullable=False),
    Column("supplier_org", String(100), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(50), nullable=False),
)

disputes = Table(
    "disputes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False),
    Column("buyer_org", String(100), nullable=False),
    Column("supplier_org", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", String(50), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("respond_by", DateTime(timezone=True), nullable=False),
    Column("awaiting", String(20)),
    Column("state", JSON, nullable=False),
)
# One open dispute per order, even when two parties open one at the same moment.
Index(
    "uq_disputes_active_order",
    disputes.c.order_id,
    unique=True,
    postgresql_where=text(ACTIVE_STATUSES),
    sqlite_where=text(ACTIVE_STATUSES),
)
Index("ix_disputes_order", disputes.c.order_id, disputes.c.opened_at)
Index(
    "ix_disputes_awaiting",
    disputes.c.respond_by,
    postgresql_where=text("status = 'open' AND awaiting IS NOT NULL"),
    sqlite_where=text("status = 'open' AND awaiting IS NOT NULL"),
)

claims = Table(
    "claims",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("buyer_org", String(100), nullable=False),
    Column("supplier_org", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),  # the order's: claims queue by it too
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("state", JSON, nullable=False),
)
# One claim per parcel or return.
Index("uq_claims_reference", claims.c.order_id, claims.c.kind, claims.c.reference, unique=True)

# The staff queues: all or by status, or by either party, oldest or largest first, in keyset
# order, so that any page is one index range scan.
for queue in (disputes, claims):
    for sort in ("opened_at", "amount"):
        for scope in (None, "status", "buyer_org", "supplier_org"):
            columns = [queue.c[scope]] if scope else []
            name = f"ix_{queue.name}_{scope or 'all'}_{sort}"
            Index(name, *columns, queue.c[sort], queue.c.id)

claim_triggers = Table(
    "claim_triggers",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("kind", String(30), primary_key=True),
    Column("reference", String(200), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
)
