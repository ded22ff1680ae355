"""The outbox, inbox and command tables every service keeps in its own database."""

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
