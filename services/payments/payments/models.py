"""The payments service's tables.

The ledger (``accounts``, ``ledger_transactions``, ``entries``) is append-only: rows are inserted,
never updated or deleted. ``order_payments`` is the service's projection of each order and the
state of its payment; it changes as events arrive.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from chassis.tables import SEQUENCE, messaging_tables

metadata = MetaData()
messaging_tables(metadata)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("owner", String(100), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("non_negative", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", String(36), primary_key=True),
    # The event or command that caused the movement, and the step of it: a redelivery finds its
    # key taken and moves nothing.
    Column("key", String(250), nullable=False, unique=True),
    Column("kind", String(30), nullable=False),
    Column("order_id", String(36), index=True),
    Column("pending", Boolean, nullable=False),
    # A post or void of a pending transaction; unique, so a hold is resolved once whoever races.
    Column("resolves", String(36), ForeignKey("ledger_transactions.id"), unique=True),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("cause_type", String(100), nullable=False),
    Column("cause_id", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

entries = Table(
    "entries",
    metadata,
    Column("id", SEQUENCE, primary_key=True, autoincrement=True),
    Column(
        "transaction_id",
        String(36),
        ForeignKey("ledger_transactions.id"),
        nullable=False,
        index=True,
    ),
    Column("account_id", String(200), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
)

order_payments = Table(
    "order_payments",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("buyer_org", String(100), nullable=False, index=True),
    Column("supplier_org", String(100), nullable=False, index=True),
    Column("buyer_user", String(100)),
    Column("workflow", String(50), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("method", String(20)),
    Column("status", String(20), nullable=False),
    Column("failure_reason", String(300)),
    Column("provider_reference", String(300)),
    # Fixed when the funds are held: a later change of configuration leaves this order alone.
    Column("commission_bps", Integer),
    Column("commission_fixed", BigInteger),
    Column("refund_to", String(10)),
    # The first event that decided the money, kept until the funds are held if it came early.
    Column("refund_decided", BigInteger),
    Column("decided_by", String(100)),
    Column("decided_cause", String(200)),
    Column("hold_id", String(36)),
    Column("placed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("lock_version", Integer, nullable=False, default=0),
)

payouts = Table(
    "payouts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org", String(100), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    # The provider's token for the bank account: never an account number.
    Column("destination", String(100), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("failure_reason", String(300)),
    Column("hold_id", String(36), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Staff's last decision on a payout that waited for approval: why, who, when.
    Column("review_reason", String(2000)),
    Column("reviewed_by", String(100)),
    Column("reviewed_at", DateTime(timezone=True)),
)
Index("ix_payouts_queue", payouts.c.status, payouts.c.requested_at, payouts.c.id)

# When a release becomes the supplier's to pay out: the workflow's payment terms (net days,
# counted from the invoice where the workflow asks for one).
payables = Table(
    "payables",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("supplier_org", String(100), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("net_days", Integer, nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), index=True),
    Column("available_at", DateTime(timezone=True)),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False, unique=True),
    Column("supplier_org", String(100), nullable=False),
    Column("blob_key", String(64), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)
