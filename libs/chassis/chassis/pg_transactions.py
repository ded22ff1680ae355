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
not a flag of ours that an error could leave stale. A connection set to another isolation level
for a while (``chassis.unit_of_work``'s REPEATABLE READ reads) is not in autocommit mode, and
psycopg2 frames its transactions as before.
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
    chassis frames its transactions, else nothing (psycopg2 will commit it)."""
    raw: Any = connection.connection.dbapi_connection
    framed = getattr(raw, "autocommit", False) and raw.get_transaction_status() in _OPEN
    return "; COMMIT" if framed else ""


def _begin_with_first_statement(
    _conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    raw = cursor.connection
    if raw.autocommit and raw.get_transaction_status() == TRANSACTION_STATUS_IDLE:
        if executemany:  # psycopg2 repeats a statement per parameter set or page
            cursor.execute(BEGIN)
        else:
            statement = f"{BEGIN}; {statement}"
    return statement, parameters


def _end(command: str, psycopg2_end: Any, connection: Any) -> None:
    raw = getattr(connection, "dbapi_connection", connection)
    if not raw.autocommit:
        psycopg2_end(connection)
    elif raw.get_transaction_status() in _OPEN:
        with raw.cursor() as cursor:
            cursor.execute(command)
