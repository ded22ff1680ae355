"""Alembic glue shared by every service's migrations."""

from typing import cast

import sqlalchemy as sa
from alembic import context
from alembic.operations import Operations
from sqlalchemy import MetaData, engine_from_config, pool

from chassis.database import normalise_url
from chassis.settings import database_url
from chassis.tables import SEQUENCE


def run(service: str, metadata: MetaData) -> None:
    """The body of a service's ``alembic/env.py``: migrate its own database, online or offline."""
    config = context.config
    url = normalise_url(config.get_main_option("sqlalchemy.url") or database_url(service))
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config({"sqlalchemy.url": url}, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


def upgrade_messaging() -> None:
    """``upgrade`` of every service's first revision."""
    from alembic import op

    create_messaging_tables(cast(Operations, op))  # alembic.op proxies the migration's Operations


def downgrade_messaging() -> None:
    from alembic import op

    drop_messaging_tables(cast(Operations, op))  # alembic.op proxies the migration's Operations


def create_messaging_tables(op: Operations) -> None:
    """Version 1 of the outbox and inbox tables, as every service's first revision creates them.

    Frozen on purpose: ``chassis.tables`` may change later, and a change ships as a new helper
    here, called from a new revision in every service.
    """
    op.create_table(
        "outbox",
        sa.Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_messaging_tables(op: Operations) -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")


def create_command_table(op: Operations) -> None:
    """Version 1 of the commands table (frozen, like the messaging tables above)."""
    op.create_table(
        "commands",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("command_id", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_commands_created_at", "commands", ["created_at"])


def drop_command_table(op: Operations) -> None:
    op.drop_table("commands")


def upgrade_commands() -> None:
    """``upgrade`` of every service's revision that adds the commands table."""
    from alembic import op

    create_command_table(cast(Operations, op))  # alembic.op proxies the migration's Operations


def downgrade_commands() -> None:
    from alembic import op

    drop_command_table(cast(Operations, op))  # alembic.op proxies the migration's Operations


def create_waiting_events_table(op: Operations) -> None:
    """Version 1 of the waiting events table (frozen, like the messaging tables above)."""
    moment = sa.DateTime(timezone=True)
    op.create_table(
        "waiting_events",
        sa.Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(36), nullable=False, index=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("occurred_at", moment, nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("received_at", moment, nullable=False),
    )


def upgrade_waiting_events() -> None:
    """``upgrade`` of a consumer's revision that adds the waiting events table."""
    from alembic import op

    # alembic.op proxies the migration's Operations.
    create_waiting_events_table(cast(Operations, op))


def downgrade_waiting_events() -> None:
    from alembic import op

    op.drop_table("waiting_events")
