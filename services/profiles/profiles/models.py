"""The profiles service's tables: the events it was sent (its history) and the projection."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from chassis.tables import SEQUENCE, messaging_tables

metadata = MetaData()
messaging_tables(metadata)

# Every event the projection was built from, so that it can be rebuilt from history on demand.
history = Table(
    "history",
    metadata,
    Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
)

# One row per order: the facts its figures need, filled in as the order's events arrive.
order_facts = Table(
    "order_facts",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("buyer_org", String(100), nullable=False, index=True),
    Column("supplier_org", String(100), nullable=False, index=True),
    Column("workflow", String(100), nullable=False),
    Column("title", String(300), nullable=False, default=""),
    Column("placed_at", DateTime(timezone=True)),
    Column("approved_at", DateTime(timezone=True)),
    Column("committed_deliver_by", Date),
    Column("delivered_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancelled_by", String(20)),
    Column("counts_against_supplier", Boolean),
)

# Each verdict at inspection: an order sent back for re-work may be judged again.
verdicts = Table(
    "verdicts",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False),
    Column("supplier_org", String(100), nullable=False),
    Column("buyer_org", String(100), nullable=False),
    Column("workflow", String(100), nullable=False),
    Column("verdict", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_verdicts_supplier", verdicts.c.supplier_org)
Index("ix_verdicts_buyer", verdicts.c.buyer_org)

reviews = Table(
    "reviews",
    metadata,
    Column("review_id", String(60), primary_key=True),  # <order_id>:<reviewer role>
    Column("order_id", String(36), nullable=False, index=True),
    Column("reviewer_role", String(20), nullable=False),
    Column("reviewer_org", String(100), nullable=False),
    Column("reviewee_org", String(100), nullable=False, index=True),
    Column("rating", Integer, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("posted_at", DateTime(timezone=True), nullable=False),
)
Index("ix_reviews_reviewee_posted", reviews.c.reviewee_org, reviews.c.posted_at)
Index(
    "ix_reviews_received_by_role",
    reviews.c.reviewee_org,
    reviews.c.reviewer_role,
    reviews.c.posted_at,
)

# --- running totals: what a profile is read from, whatever the organisation's size -------------

# A count (and a sum, for ratings) per organisation, side, workflow ("*": the whole side) and
# figure, with the first and last moment it covers (profiles.tallies).
tallies = Table(
    "tallies",
    metadata,
    Column("org", String(100), primary_key=True),
    Column("side", String(20), primary_key=True),
    Column("workflow", String(100), primary_key=True),
    Column("name", String(40), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

# The waits a median is taken of, ordered by (seconds, sample_id) so that every one is distinct.
samples = Table(
    "samples",
    metadata,
    Column("org", String(100), primary_key=True),
    Column("side", String(20), primary_key=True),
    Column("workflow", String(100), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("sample_id", String(60), primary_key=True),
    Column("seconds", Float, nullable=False),
)
Index(
    "ix_samples_order",
    samples.c.org,
    samples.c.side,
    samples.c.workflow,
    samples.c.kind,
    samples.c.seconds,
    samples.c.sample_id,
)

# Each median's count and its middle samples (the lower and upper one), moved one step per
# new sample: reading a median reads one row.
medians = Table(
    "medians",
    metadata,
    Column("org", String(100), primary_key=True),
    Column("side", String(20), primary_key=True),
    Column("workflow", String(100), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("low_seconds", Float, nullable=False),
    Column("low_id", String(60), nullable=False),
    Column("high_seconds", Float, nullable=False),
    Column("high_id", String(60), nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

# The messages of each order's buyer-supplier conversation (chat's message.posted): who wrote
# when. The response-time samples are derived from them, whatever order they arrive in.
conversation_posts = Table(
    "conversation_posts",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("message_id", String(36), primary_key=True),
    Column("side", String(20), nullable=False),
    Column("org", String(100), nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=False),
)

# Staff's moderation of a review: a command, not an event, so a rebuild never touches it.
moderation = Table(
    "moderation",
    metadata,
    Column("review_id", String(60), primary_key=True),
    Column("reports", JSON, nullable=False, default=list),
    Column("hidden_reason", Text),
    Column("hidden_by", String(100)),
    Column("hidden_at", DateTime(timezone=True)),
)
