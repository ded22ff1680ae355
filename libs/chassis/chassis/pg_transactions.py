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
left to psycopg2, whose commit or rollback then fails, so that SQLAlchemy's pool discards it;
a commit of a transaction in which a statement failed rolls back and raises.

Statements whose answer nobody reads can wait for the transaction's next statement and travel
in front of it: SQL without parameters (``send_with_next``: a lock held ``with_next``), or a
write executed with the ``LATER`` execution options, its parameters written in as psycopg2
would. They wait until a statement carrying them has been sent; a rollback drops them, and so
does a rollback to a savepoint (what waits was written after it). In a simple query each
statement still takes its own snapshot and sees what the ones before it wrote, so the
statement after a lock reads what was committed before the lock was granted, and one after a
write reads that write.

A transaction that needs another isolation level says so in its execution options
(``ONE_SNAPSHOT``) rather than switching the connection out of autocommit mode, which would
cost a ``SET`` when it is switched back. Server-side cursors (``stream_results``) need
psycopg2's own transactions and are not used.
"""

from collections.abc import Mapping
from contextlib import suppress
from functools import lru_cache, partial
from typing import Any

from psycopg2.errors import InFailedSqlTransaction
from psycopg2.extensions import (
    TRANSACTION_STATUS_IDLE,
    TRANSACTION_STATUS_INERROR,
    TRANSACTION_STATUS_INTRANS,
    encodings,
)
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
_BEGIN_OPTION = "chassis_begin"
_WITH_NEXT = "chassis_with_next"  # in the pooled connection's ``info``
_CARRIES = "chassis_carries_queue"  # set on an execution context that sends the queue
_LATER_OPTION = "chassis_later"
_FRAMED = "chassis_frames_transactions"  # set on the dialect of an engine the chassis frames
# Execution options for a write whose answer nobody reads (no rowcount, no RETURNING): it is
# sent with the transaction's next statement, or its COMMIT. Its error, if any, is then that
# statement's. On SQLite, or on a connection the chassis does not frame, it runs at once.
LATER = {_LATER_OPTION: True}
# Execution options for a transaction whose statements all read one snapshot.
ONE_SNAPSHOT = {_BEGIN_OPTION: "BEGIN ISOLATION LEVEL REPEATABLE READ"}
_OPEN = (TRANSACTION_STATUS_INTRANS, TRANSACTION_STATUS_INERROR)


def frame_transactions(engine: Engine) -> None:
    """Make ``engine`` (PostgreSQL, created with ``isolation_level="AUTOCOMMIT"``) open each
    transaction with its first statement and end it with a statement of its own."""
    event.listen(engine, "before_cursor_execute", _begin_with_first_statement, retval=True)
    event.listen(engine, "after_cursor_execute", _sent)
    event.listen(engine, "do_execute", _write_later)
    dialect = engine.dialect
    setattr(dialect, _FRAMED, True)
    # The dialect is this engine's own instance, and its pool resets connections through it.
    dialect.do_commit = partial(_end, "COMMIT", dialect.do_commit)  # type: ignore[method-assign]
    dialect.do_rollback = partial(_end, "ROLLBACK", dialect.do_rollback)  # type: ignore[method-assign]


def final_commit(connection: Connection) -> str:
    """What ends the transaction's final statements on ``connection``: ``"; COMMIT"`` when the
    chassis frames its transactions (if none is open yet, BEGIN goes in front of them), else
    nothing (psycopg2 will commit it)."""
    return "; COMMIT" if frames(connection) else ""


def send_with_next(connection: Connection, sql: str) -> bool:
    """Send ``sql`` (a statement without parameters, whose answer nobody reads) in front of the
    transaction's next statement, in the same query. False when the chassis does not frame
    this connection's transactions: then run it yourself."""
    if "%" in sql:
        raise ValueError(
            "a statement sent with the next may not hold a %: it would be taken "
            "for a parameter of the next"
        )
    if not frames(connection):
        return False
    connection.info.setdefault(_WITH_NEXT, []).append(sql)
    return True


def write_later(session: Session, statement: Any, parameters: Any = None) -> None:
    """Execute ``statement`` as a ``LATER`` write, without SQLAlchemy's work per execution.

    Most of the CPU a write that waits costs is SQLAlchemy executing it only for psycopg2 to
    write its parameters in: a cache key, an execution context, a cursor, result objects. Here
    the statement is compiled once per shape (its dialect and the keys of its parameters) and
    its parameters are written straight into what waits. Compiled forms are kept per statement
    object: pass statements built once (module constants), not built per call. Whatever this
    path cannot vouch for runs as ``session.execute(statement, parameters,
    execution_options=LATER)`` does, with the same outcome: several rows; a connection the
    chassis does not frame (SQLite); a statement that needs SQLAlchemy at execution (defaults
    made in Python, RETURNING, parameters expanded or rendered into the SQL); a value holding
    a ``%``; a value that fails to be written in, so that SQLAlchemy reports it as it would
    have. The session must hold no ORM objects (the services' sessions never do), since
    nothing here flushes them.
    """
    connection = session.connection()
    sql = None
    if isinstance(parameters, dict | None) and frames(connection):
        sql = _written_in(connection, statement, parameters or {})
    if sql is None:
        session.execute(statement, parameters, execution_options=LATER)
    else:
        connection.info.setdefault(_WITH_NEXT, []).append(sql)


def frames(connection: Connection) -> bool:
    """Whether the chassis frames the transactions of ``connection`` (``frame_transactions``)."""
    raw: Any = connection.connection.dbapi_connection
    # A mark of our own: sqlite3 has an ``autocommit`` attribute too (Python 3.12), true.
    return getattr(connection.dialect, _FRAMED, False) and getattr(raw, "autocommit", 0) is True


def _written_in(connection: Connection, statement: Any, parameters: dict[str, Any]) -> str | None:
    """What psycopg2 would send for ``statement`` with ``parameters``; None where SQLAlchemy
    has to execute it."""
    raw: Any = connection.connection.dbapi_connection
    try:
        compiled = _compiled(statement, connection.dialect, tuple(sorted(parameters)))
        if compiled is None:
            return None
        values = compiled.construct_params(parameters)
        processors: Mapping[str, Any] = compiled._bind_processors  # callables: see _compiled
        for name, process in processors.items():
            if process is not None and name in values:
                values[name] = process(values[name])
        with raw.cursor() as cursor:
            sql: str = cursor.mogrify(compiled.string, values).decode(encodings[raw.encoding])
    except Exception:  # SQLAlchemy then executes it, and raises its own error for it
        return None
    # A % would take the next statement's parameters for its own.
    return None if "%" in sql else sql


@lru_cache(maxsize=512)
def _compiled(statement: Any, dialect: Dialect, keys: tuple[str, ...]) -> SQLCompiler | None:
    """``statement`` compiled for parameters named ``keys``; None when writing its parameters
    in is not all executing it takes."""
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys))
    plain = (
        compiled.is_sql
        and (compiled.isinsert or compiled.isupdate or compiled.isdelete)
        and not compiled.effective_returning
        and not compiled.insert_prefetch
        and not compiled.update_prefetch
        and not compiled.post_compile_params  # expanded as it executes
        and not compiled.literal_execute_params  # rendered in as it executes
        and not compiled.escaped_bind_names
        and all(callable(p) for p in compiled._bind_processors.values() if p is not None)
    )
    return compiled if plain else None


def _begin_with_first_statement(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    raw = cursor.connection
    if not raw.autocommit or _later(context):
        return statement, parameters
    if statement.startswith("ROLLBACK TO SAVEPOINT"):
        conn.info.pop(_WITH_NEXT, None)  # what waits was written after the savepoint
        return statement, parameters
    ahead = _ahead(conn, raw, context)
    if ahead and executemany:  # psycopg2 repeats a statement per parameter set or page
        cursor.execute("; ".join(ahead))
        conn.info.pop(_WITH_NEXT, None)
    elif ahead:
        statement = "; ".join([*ahead, statement])
        _carries_queue(context, conn)
    return statement, parameters


def _sent(
    conn: Connection, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    """The statement went out with what waited for it: that is no longer waiting. (A statement
    psycopg2 refused before sending it, say a value it cannot adapt, never gets here, and
    what waited goes with the next.)"""
    if getattr(context, _CARRIES, False):
        conn.info.pop(_WITH_NEXT, None)


def _carries_queue(context: Any, conn: Connection) -> None:
    if context is None:
        conn.info.pop(_WITH_NEXT, None)  # no after-the-fact to clear it: consider it sent
    else:
        setattr(context, _CARRIES, True)


def _write_later(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """A ``LATER`` write waits for the next statement, its parameters written in by psycopg2
    (``mogrify``: what it would send); True when it was handled here."""
    raw = cursor.connection
    if not raw.autocommit or not _later(context):
        return False
    sql = cursor.mogrify(statement, parameters).decode(encodings[raw.encoding])
    conn = context.root_connection
    if "%" in sql:  # the next statement's parameters would be written into it too
        cursor.execute("; ".join([*_ahead(conn, raw, context), statement]), parameters)
        conn.info.pop(_WITH_NEXT, None)
    else:
        conn.info.setdefault(_WITH_NEXT, []).append(sql)
    return True


def _later(context: Any) -> bool:
    """A ``LATER`` write of one row, without RETURNING; anything else is sent at once."""
    return (
        context is not None
        and context.execution_options.get(_LATER_OPTION, False)
        and context.is_crud
        and not context.executemany
        and not context.no_parameters
        and not (context.compiled is not None and context.compiled.effective_returning)
    )


def _ahead(conn: Connection, raw: Any, context: Any) -> list[str]:
    """What goes in front of the statement about to be sent: BEGIN if no transaction is open,
    then what waits for a next statement (still waiting until it is sent: ``_sent``)."""
    ahead: list[str] = list(conn.info.get(_WITH_NEXT, ()))
    if raw.get_transaction_status() == TRANSACTION_STATUS_IDLE:
        begin = BEGIN if context is None else context.execution_options.get(_BEGIN_OPTION, BEGIN)
        ahead.insert(0, begin)
    return ahead


def _end(command: str, psycopg2_end: Any, connection: Any) -> None:
    raw = getattr(connection, "dbapi_connection", connection)
    ahead = []
    # A bare connection, or SQLAlchemy's ad hoc one while it first connects, has no info.
    with suppress(AttributeError, NotImplementedError):
        ahead = connection.info.pop(_WITH_NEXT, [])
    if command == "ROLLBACK":
        ahead = []  # what waited for a next statement is worth nothing to a rollback
    status = None if raw.closed else raw.get_transaction_status()
    if raw.autocommit and status == TRANSACTION_STATUS_INERROR and command == "COMMIT":
        _send(raw, ["ROLLBACK"])
        # psycopg2 would roll back quietly; a commit never pretends.
        raise InFailedSqlTransaction("the transaction failed earlier and was rolled back")
    if raw.autocommit and status in _OPEN:
        _send(raw, [*ahead, command])
    elif raw.autocommit and status == TRANSACTION_STATUS_IDLE:
        if ahead:  # a transaction that only took locks: its commit still waits for them
            _send(raw, [BEGIN, *ahead, command])
    else:
        # psycopg2's own transaction, or a connection closed or broken: psycopg2 then raises,
        # and SQLAlchemy's pool discards the connection.
        psycopg2_end(connection)


def _send(raw: Any, statements: list[str]) -> None:
    with raw.cursor() as cursor:
        cursor.execute("; ".join(statements))
