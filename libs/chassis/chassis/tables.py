"""The outbox and inbox tables every service keeps in its own database."""
from sqlalchemy import (
    JSON, BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table,
)

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
SEQUENCE = BigInteger().with_variant(Integer, "sqlite")


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    outbox = Table(
        "outbox", metadata,
        Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
    )
    # The relay only ever looks for what is still unpublished: keep that index tiny.
    Index("ix_outbox_unpublished", outbox.c.id,
          postgresql_where=outbox.c.published_at.is_(None),
          sqlite_where=outbox.c.published_at.is_(None))
    inbox = Table(
        "inbox", metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    return outbox, inbox
