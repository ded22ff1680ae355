"""Alembic glue shared by every service's migrations."""
from alembic import context
from sqlalchemy import MetaData, engine_from_config, pool

from chassis.database import normalise_url
from chassis.settings import database_url
from chassis.tables import messaging_tables


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
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


def upgrade_messaging() -> None:
    """``upgrade`` of every service's first revision."""
    from alembic import op

    create_messaging_tables(op)


def downgrade_messaging() -> None:
    from alembic import op

    drop_messaging_tables(op)


def create_messaging_tables(op) -> None:
    """The outbox and inbox tables, for a service's first migration.

    Built from ``chassis.tables``; a later change to those tables ships as a new helper here,
    called from a new migration in every service.
    """
    metadata = MetaData()
    messaging_tables(metadata)
    metadata.create_all(op.get_bind())


def drop_messaging_tables(op) -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")
