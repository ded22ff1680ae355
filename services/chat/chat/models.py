"""The chat service's tables."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from chassis.tables import SEQUENCE, messaging_tables, waiting_events_table

metadata = MetaData()
messaging_tables(metadata)
waiting_events = waiting_events_table(metadata)

ORG = String(100)
USER = String(100)
ID = String(36)
EVENT_TYPE = String(100)

# What chat knows about each order, from the order events it consumes.
orders = Table(
    "orders",
    metadata,
    Column("order_id", ID, primary_key=True),
    Column("buyer_org", ORG, nullable=False, index=True),
    Column("supplier_org", ORG, nullable=False, index=True),
    Column("buyer_user", USER),
    Column("title", String(200), nullable=False, default=""),
    Column("status", String(50), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One buyer-supplier conversation per order, and one support conversation per party.
conversations = Table(
    "conversations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("order_id", ID, ForeignKey("orders.order_id"), nullable=False),
    Column("name", String(30), nullable=False),
    Column("buyer_org", ORG, nullable=False),
    Column("supplier_org", ORG, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("order_id", "name"),
)

# Staff tagged into a conversation (or who wrote there): they read, write and count unread.
members = Table(
    "conversation_members",
    metadata,
    Column("conversation_id", ID, ForeignKey("conversations.id"), primary_key=True),
    Column("user_id", USER, primary_key=True),
    Column("role", String(20), nullable=False),
    Column("added_by", USER, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("conversation_id", ID, ForeignKey("conversations.id"), nullable=False),
    Column("order_id", ID, nullable=False),
    Column("author_user", USER, nullable=False),
    Column("author_role", String(20), nullable=False),
    Column("author_org", ORG, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("edited_at", DateTime(timezone=True)),
)
Index("ix_messages_conversation_seq", messages.c.conversation_id, messages.c.seq)

# An edit never overwrites silently: each earlier text is kept here.
message_revisions = Table(
    "message_revisions",
    metadata,
    Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    Column("message_id", ID, ForeignKey("messages.id"), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("replaced_at", DateTime(timezone=True), nullable=False),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("message_id", ID, ForeignKey("messages.id"), nullable=False, index=True),
    Column("order_id", ID, nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("blob_key", String(200), nullable=False),
    Column("thumbnail_key", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# How far each person has read each conversation.
read_marks = Table(
    "read_marks",
    metadata,
    Column("conversation_id", ID, ForeignKey("conversations.id"), primary_key=True),
    Column("user_id", USER, primary_key=True),
    Column("last_read_seq", SEQUENCE, nullable=False),
)

# The feed. A notification is addressed to a party of an order (its organisation and role), to
# the platform's staff, or to one person; ``audience`` keeps one row per event and addressee.
notifications = Table(
    "notifications",
    metadata,
    Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    Column("event_id", ID, nullable=False),
    Column("audience", String(250), nullable=False),
    Column("audience_role", String(20), nullable=False),
    Column("audience_org", ORG),
    Column("audience_user", USER),
    Column("order_id", ID, index=True),
    Column("event_type", EVENT_TYPE, nullable=False),
    Column("title", String(300), nullable=False),
    Column("link", String(300), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("event_id", "audience"),
)
Index(
    "ix_notifications_party",
    notifications.c.audience_role,
    notifications.c.audience_org,
    notifications.c.seq,
)
Index("ix_notifications_person", notifications.c.audience_user, notifications.c.seq)

notification_reads = Table(
    "notification_reads",
    metadata,
    Column("user_id", USER, primary_key=True),
    Column("notification_seq", SEQUENCE, primary_key=True),
)
# "Mark all read": everything up to this notification, without a row per notification.
feed_marks = Table(
    "feed_marks",
    metadata,
    Column("user_id", USER, primary_key=True),
    Column("read_up_to_seq", SEQUENCE, nullable=False),
)

# What each person wants by e-mail, and where.
preferences = Table(
    "notification_preferences",
    metadata,
    Column("user_id", USER, primary_key=True),
    Column("role", String(20), nullable=False),
    Column("org", ORG, nullable=False),
    Column("email", String(320)),
    Column("email_events", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_preferences_party", preferences.c.role, preferences.c.org)

# E-mails to send, written in the transaction of their notification (an outbox of its own).
emails = Table(
    "email_outbox",
    metadata,
    Column("id", SEQUENCE, primary_key=True, autoincrement=True),
    Column("notification_seq", SEQUENCE, nullable=False),
    Column("to_address", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("last_error", Text),
    UniqueConstraint("notification_seq", "to_address"),
)
Index("ix_email_outbox_due", emails.c.sent_at, emails.c.next_attempt_at)

# Outbound webhooks (Standard Webhooks): subscriptions, messages to deliver, and every attempt.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("org", ORG, index=True),  # None: the platform's own, for every order
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("secret", String(100), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(300)),
    Column("failing_since", DateTime(timezone=True)),  # the first failure since a success
    Column("created_by", USER, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
webhook_messages = Table(
    "webhook_messages",
    metadata,
    Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),  # webhook-id: the same on retries
    Column("endpoint_id", ID, ForeignKey("webhook_endpoints.id"), nullable=False, index=True),
    Column("event_id", ID, nullable=False),
    Column("event_type", EVENT_TYPE, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("endpoint_id", "event_id"),
)
Index("ix_webhook_messages_due", webhook_messages.c.status, webhook_messages.c.next_attempt_at)
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
    Column("message_id", String(40), ForeignKey("webhook_messages.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("latency_ms", Integer, nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
)
Index("ix_webhook_attempts_message", webhook_attempts.c.message_id, webhook_attempts.c.seq)
