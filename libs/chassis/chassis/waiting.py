"""Events that came before the record they are about, kept until it is there (ADR 16).

Each event type has its own queue, so an event about an order (a seller's label, a failed
payment) may overtake the one that gives a consumer its record of the order. Retrying it
against a deadline turns a question of order into one of time; instead the handler keeps it
whole in the consumer's ``waiting_events`` table (``chassis.tables.waiting_events_table``), in
the transaction that marks it processed, and whatever makes the record takes the order's
waiting events in that transaction and applies them, each once. Both sides hold the order's
name lock first (``chassis.locks.hold(session, "order", ...)``), so that an event about to
wait and a record being made never miss each other.

Almost always nothing waits, so the statement that makes the record says whether anything
does (``record_insert``, ``insert_record``) and ``take`` runs only when something does: making a
record costs no round trip of its own to a table that is nearly always empty.
"""

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, delete, exists, insert, select
from sqlalchemy.orm import Session

from chassis.envelope import Event, InvalidEvent, envelope_of, parse_envelope

log = logging.getLogger(__name__)


def keep(session: Session, table: Table, event: Event, now: datetime) -> None:
    """Keep ``event`` until its order's record is made."""
    session.execute(
        insert(table).values(
            order_id=event.data["order_id"],
            event_id=event.event_id,
            event_type=event.event_type,
            occurred_at=event.occurred_at,
            envelope=envelope_of(event),
            received_at=now,
        )
    )


def record_insert(table: Table, waiting_table: Table) -> Insert:
    """The INSERT that makes an order's record in ``table`` and returns whether any event in
    ``waiting_table`` waits for it: build it once, run it with ``insert_record``. Like ``take``,
    it must run after the order's name lock is held: it sees what was kept before."""
    waiting = exists().where(waiting_table.c.order_id == bindparam("waiting_for"))
    return insert(table).returning(waiting.label("waiting"))


def insert_record(session: Session, statement: Insert, record: dict[str, Any]) -> bool:
    """Make ``record`` (its order's name held) with ``statement`` (``record_insert``): whether
    any event waits for it, to ``take`` then."""
    return bool(
        session.execute(statement, {**record, "waiting_for": record["order_id"]}).scalar_one()
    )


def take(session: Session, table: Table, order_id: str) -> list[Event]:
    """The events kept for ``order_id``, in the order they happened, removed from the table:
    the caller applies them in this transaction. One whose schema version is no longer
    accepted stays there for an operator, logged, rather than hold up the others."""
    rows = session.execute(
        select(table.c.id, table.c.envelope)
        .where(table.c.order_id == order_id)
        .order_by(table.c.occurred_at, table.c.id)
    ).all()
    taken, events = [], []
    for row in rows:
        try:
            events.append(parse_envelope(row.envelope))
        except InvalidEvent as error:
            log.error("a waiting event can no longer be read: %s", error, extra={"id": row.id})
            continue
        taken.append(row.id)
    if taken:
        session.execute(delete(table).where(table.c.id.in_(taken)))
    return events
