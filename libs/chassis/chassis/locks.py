"""Locks on names, held until the transaction ends: for work that must not interleave although
it may find no row to lock (the row it is waiting for does not exist yet).

Two transactions that each read "not there yet" and each write the other's missing half would
both commit and never meet: an event parked for an order while the order's record is being
opened, a carrier scan parked while its shipment is being created. Each side first holds the
name both care about (``hold(session, "order", [order_id])``), so one of them waits for the other
to commit and then reads what it wrote.

On PostgreSQL these are transaction-level advisory locks (with ``with_next``, taken in the same
query as the transaction's next statement: ``chassis.pg_transactions``). A name maps to one of
``STRIPES`` locks of its namespace, so that a transaction holds at most ``STRIPES`` of them (the
server's lock table is small) whatever the number of names; two names that share a stripe only
wait for each other. One ``hold`` call takes its locks in one order (by number), so two calls
that each hold several names of one namespace never deadlock each other. Across calls there is
no such guarantee: a transaction that holds locks in two calls must take them in the order
every other such transaction takes them. In fulfillment that order is the order's name
(``order``), then its record's row, then tracking numbers (``tracking``), then shipment rows
(ADR 16); a blob's name (``blob``) is the last lock its transactions take.

On SQLite there is one lock, the database's write lock, and a transaction holds it from its
first write to its end. ``hold`` takes it at once if the transaction has not written yet (the
chassis's consumers and commands write first, their inbox row or command claim, and so already
hold it): coarser than a name, but the same guarantee.
"""

import hashlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

from chassis import pg_transactions

STRIPES = 1024
_LOCK = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")


def hold(
    session: Session, namespace: str, names: Iterable[str], *, with_next: bool = False
) -> None:
    """Wait for, then hold until the transaction ends, the lock of each name in ``namespace``.

    ``with_next``: on PostgreSQL, take the locks with the transaction's next statement (or its
    COMMIT) instead of at once, one round trip fewer. Only for a caller whose next step is a
    statement: what it does outside the database before that statement is not under them."""
    if session.get_bind().dialect.name == "sqlite":
        serialise_on_sqlite(session)
        return
    keys = sorted({lock_key(namespace, name) for name in names})
    if not keys:
        return
    if with_next:
        # The keys are our own integers, written into the SQL, which then needs no parameters.
        array = "{" + ",".join(map(str, keys)) + "}"
        held = f"SELECT pg_advisory_xact_lock(k) FROM unnest('{array}'::bigint[]) AS k"
        if pg_transactions.send_with_next(session.connection(), held):
            return
    session.execute(_LOCK, {"keys": keys})


def lock_key(namespace: str, name: str) -> int:
    """The signed 64-bit advisory lock of ``name``: its namespace's 32 bits, then its stripe."""
    space = int.from_bytes(_digest(namespace)[:4], "big", signed=True)
    stripe = int.from_bytes(_digest(name)[:8], "big") % STRIPES
    return (space << 32) | stripe


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def serialise_on_sqlite(session: Session) -> None:
    """On SQLite, where ``SELECT ... FOR UPDATE`` locks nothing, take the database's write lock
    now if the transaction has not written yet: a row read to be written back is then safe from
    other writers until the transaction ends, as its row lock makes it on PostgreSQL (where
    this does nothing)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
