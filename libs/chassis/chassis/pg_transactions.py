"""PostgreSQL transactions that cost no round trip of their own.

psycopg2 sends ``BEGIN`` alone before a transaction's first statement and ``COMMIT`` alone at
its end: two of the five to seven round trips of a consumed event or a command, and each costs
the service a wake-up and a switch of green threads for a statement the server answers in
microseconds. So a service's connections run in autocommit mode and the chassis opens and ends
their transactions itself: ``BEGIN`` travels in front of the first statement, in the same
simple query (as psycopg2 sends any statement), and a transaction whose last writes go out as
``FinalStatements`` ends with ``COMMIT`` in that query (``final_commit``). Rollback, and a
commit that had no such last writes, send their statement when a transaction is open.

Whether one is open is libpq's own record of the server's answers (``get_transaction_status``),
not a flag of ours that an error could leave stale. A connection that is closed or broken is
left to psycopg2, whose commit or rollback then fails, so that SQLAlchemy's pool discards it.

A transaction that needs another isolation level says so in its execution options
(``ONE_SNAPSHOT``) rather than switching the connection out of autocommit mode, which would
cost a ``SET`` when it is switched back. Server-side cursors (``stream_results``) need
psycopg2's own transactions and are not used.
"""

from functools import partial
from typing import Any

from psycopg2.extensions import (
    TRANSACTION_STATUS_IDLE,
    TRANSACTION_STATUS_INERROR,
    TRANSACTION_STATUS_INTRANS,
)
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
_BEGIN_OPTION = "chassis_begin"
# Execution options for a transaction whose statements all read one snapshot.
ONE_SNAPSHOT = {_BEGIN_OPTION: "BEGIN ISOLATION LEVEL REPEATABLE READ"}
_OPEN = (TRANSACTION_STATUS_INTRANS, TRANSACTION_STATUS_INERROR)


def frame_transactions(engine: Engine) -> None:
    """Make ``engine`` (PostgreSQL, created with ``isolation_level="AUTOCOMMIT"``) open each
    transaction with its first statement and end it with a statement of its own."""
    event.listen(engine, "before_cursor_execute", _begin_with_first_statement, retval=True)
    dialect = engine.dialect
    # The dialect is this engine's own instance, and its pool resets connections through it.
    dialect.do_commit = partial(_end, "COMMIT", dialect.do_commit)  # type: ignore[method-assign]
    dialect.do_rollback = partial(_end, "ROLLBACK", dialect.do_rollback)  # type: ignore[method-assign]


def final_commit(connection: Connection) -> str:
    """What ends the transaction's final statements on ``connection``: ``"; COMMIT"`` when the
    chassis frames its transactions (if none is open yet, BEGIN goes in front of them), else
    nothing (psycopg2 will commit it)."""
    raw: Any = connection.connection.dbapi_connection
    return "; COMMIT" if getattr(raw, "autocommit", False) else ""


def _begin_with_first_statement(
    _conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    raw = cursor.connection
    if raw.autocommit and raw.get_transaction_status() == TRANSACTION_STATUS_IDLE:
        begin = BEGIN if context is None else context.execution_options.get(_BEGIN_OPTION, BEGIN)
        if executemany:  # psycopg2 repeats a statement per parameter set or page
            cursor.execute(begin)
        else:
            statement = f"{begin}; {statement}"
    return statement, parameters


def _end(command: str, psycopg2_end: Any, connection: Any) -> None:
    raw = getattr(connection, "dbapi_connection", connection)
    status = None if raw.closed else raw.get_transaction_status()
    if status in _OPEN and raw.autocommit:
        with raw.cursor() as cursor:
            cursor.execute(command)
    elif status != TRANSACTION_STATUS_IDLE or not raw.autocommit:
        # psycopg2's own transaction, or a connection closed or broken: psycopg2 then raises,
        # and SQLAlchemy's pool discards the connection.
        psycopg2_end(connection)
