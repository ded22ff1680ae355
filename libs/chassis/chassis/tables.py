"""The outbox, inbox and command tables every service keeps in its own database, and the
waiting events of a consumer whose events may come before the record they are about."""

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
)

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
SEQUENCE = BigInteger().with_variant(Integer, "sqlite")


def messaging_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
    )
    # The relay only ever looks for what is still unpublished: keep that index tiny.
    Index(
        "ix_outbox_unpublished",
        outbox.c.id,
        postgresql_where=outbox.c.published_at.is_(None),
        sqlite_where=outbox.c.published_at.is_(None),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    # A mutating RPC's outcome, stored in the transaction of its effect: a repeated command id
    # (a redelivery after a crash, a client's retry) is answered from here, never run twice.
    commands = Table(
        "commands",
        metadata,
        Column("scope", String(200), primary_key=True),
        Column("command_id", String(200), primary_key=True),
        Column("fingerprint", String(64)),
        Column("failed", Boolean, nullable=False),
        Column("outcome", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    )
    return outbox, inbox, commands


def waiting_events_table(metadata: MetaData) -> Table:
    """Events about an order that came before the event that gives the consumer its record of
    the order (each event type has its own queue): kept whole in the transaction that marks
    them processed, applied in the order they happened once the record is there (ADR 16)."""
    return Table(
        "waiting_events",
        metadata,
        Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        Column("order_id", String(36), nullable=False, index=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )
