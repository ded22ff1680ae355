"""Engines sized for a service's workers, with the timeouts a production database needs."""

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

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
    return create_engine(
        url,
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


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def supports_skip_locked(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
