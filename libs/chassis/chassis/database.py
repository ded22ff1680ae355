"""Engines sized for a service's workers, with the timeouts a production database needs."""

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.orm import Session

from chassis.pg_transactions import frame_transactions

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 15_000


def normalise_url(url: str) -> str:
    """Plain ``postgresql://`` URLs mean psycopg2: eventlet makes it cooperative, not psycopg 3."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg2://" + url[len(plain) :]
    return url


def make_engine(url: str, max_workers: int = 10) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Every worker may hold a connection, and the outbox relay needs one more. No ping per
    # checkout (a round trip on every transaction): after a database restart, the first
    # transaction on each stale connection fails and the pool is renewed; an event consumer
    # retries it, an RPC caller gets the error and may retry.
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",  # the chassis frames transactions (pg_transactions)
        # An UPDATE run with many parameter sets takes one round trip per 100 of them, not one
        # each (psycopg2's execute_batch); its rowcount is then unknown, and nothing reads it.
        executemany_mode="values_plus_batch",
        pool_size=max_workers + 1,
        max_overflow=max_workers,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        },
    )
    frame_transactions(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def parameter_sets(rows: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    """``rows`` as ``execute`` should take them: one row as one parameter set, not a list of
    one. The many-rows path costs more CPU than it saves for one row, and only a one-row write
    can wait for the next statement (``pg_transactions.write_later``)."""
    return rows[0] if len(rows) == 1 else rows


def supports_skip_locked(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


_UPSERTING_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upserting_insert(dialect: str) -> Callable[[Table], Any]:
    """The ``insert`` of ``dialect`` ("postgresql" or "sqlite"), whose statements can skip or
    update a row already there (``on_conflict_do_nothing``, ``on_conflict_do_update``)."""
    return _UPSERTING_INSERTS[dialect]


def insert_ignoring_duplicates(
    session: Session, table: Table, values: dict[str, Any], keys: tuple[str, ...] | None = None
) -> bool:
    """INSERT ``values`` unless a row with the same ``keys`` (with None, any unique key) is
    there; True when a row was inserted."""
    statement = ignoring_duplicates(session.get_bind().dialect.name, table, keys)
    inserted = cast(CursorResult[Any], session.execute(statement, values))
    return inserted.rowcount == 1


@functools.cache
def ignoring_duplicates(dialect: str, table: Table, keys: tuple[str, ...] | None) -> Any:
    """An INSERT into ``table`` that skips a row whose ``keys`` (with None, any unique key) are
    there; built once per table: building a statement costs more than running it. Inline: it
    does not ask for the row's generated key (RETURNING), which nobody reads, so that it can
    also wait for the next statement (``pg_transactions.write_later``)."""
    return upserting_insert(dialect)(table).on_conflict_do_nothing(index_elements=keys).inline()
