"""The outbox: events commit with the state change that caused them, then reach the broker.

Fast path: the rows a transaction wrote are handed to the publishing green thread right after
its commit (``ConfirmedBatches``: the worker does not wait for the broker), so an event reaches
its consumers in milliseconds; marking the confirmed ones published is batched off the request
path (a row whose mark is lost is merely published again). Slow path: a relay republishes
whatever a crash or a broker outage left unpublished, never what its own process's fast path
still holds, however late.
Replicas of a service share one outbox; on PostgreSQL, ``FOR UPDATE SKIP LOCKED`` lets each
relay take different rows. Publishing is at-least-once; consumers dedupe on event_id.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from chassis.clock import utc_now
from chassis.database import parameter_sets, supports_skip_locked
from chassis.publishing import ConfirmedBatches, EventPublisher

log = logging.getLogger(__name__)


class Outbox:
    def __init__(
        self,
        engine: Engine,
        table: Table,
        publisher: EventPublisher,
        grace: timedelta = timedelta(seconds=2),
        batch_size: int = 200,
    ):
        self.engine = engine
        self.table = table
        self.publisher = publisher
        # Rows younger than this are left to the fast path of the transaction that wrote them;
        # it must exceed the relay interval, which is also how long a fast-path mark may wait.
        self.grace = grace
        self.batch_size = batch_size
        # Set while a publishing green thread runs (``UnitOfWork.start``); else the fast path
        # publishes in the caller, one confirm at a time.
        self.batches: ConfirmedBatches | None = None
        self._published: list[str] = []
        # Handed to the fast path and not yet heard back: the relay leaves these alone, however
        # long the fast path lags (a busy process may hold them past the grace).
        self._in_flight: set[str] = set()
        self._insert = insert(table)

    def add(self, connection: Connection, envelopes: list[dict[str, Any]]) -> None:
        if envelopes:
            created_at = utc_now()
            rows = [
                {
                    "event_id": e["event_id"],
                    "event_type": e["event_type"],
                    "envelope": e,
                    "created_at": created_at,
                }
                for e in envelopes
            ]
            connection.execute(self._insert, parameter_sets(rows))

    def publish_committed(self, envelopes: list[dict[str, Any]]) -> None:
        """The fast path. A failure here loses nothing: the rows wait for the relay."""
        if self.batches is not None:
            handed = [envelope["event_id"] for envelope in envelopes]
            self._in_flight.update(handed)

            def heard_back(confirmed: list[str]) -> None:
                self._published.extend(confirmed)
                self._in_flight.difference_update(handed)

            self.batches.submit(envelopes, heard_back)
            return
        try:
            for envelope in envelopes:
                self.publisher.publish_event(envelope)
                self._published.append(envelope["event_id"])
        except Exception:
            log.warning("publish after commit failed; the relay will retry", exc_info=True)

    def mark_published(self) -> None:
        """Record, in one statement, every row the fast path published since the last call."""
        published, self._published = self._published, []
        if published:
            with self.engine.begin() as connection:
                connection.execute(
                    update(self.table)
                    .where(self.table.c.event_id.in_(published))
                    .values(published_at=utc_now())
                )

    def relay_once(self, now: datetime | None = None) -> int:
        """Publish every row left behind, a page of ``batch_size`` at a time along the primary
        key; returns how many were published. Rows this process's fast path still holds are
        not left behind, and paging past them keeps them from hiding the rows after them."""
        cutoff = (now or utc_now()) - self.grace
        relay_page = (
            self._relay_locked if supports_skip_locked(self.engine) else self._relay_unlocked
        )
        published, after = 0, 0
        while True:
            query = (
                select(self.table.c.id, self.table.c.event_id)
                .where(
                    self.table.c.published_at.is_(None),
                    self.table.c.created_at <= cutoff,
                    self.table.c.id > after,
                )
                .order_by(self.table.c.id)
                .limit(self.batch_size)
            )
            fetched, sent = relay_page(query)
            published += sent
            if len(fetched) < self.batch_size:
                return published
            after = fetched[-1].id

    def _relay_locked(self, query: Select[Any]) -> tuple[Sequence[Any], int]:
        """``(the page's rows, how many were published)``."""
        with self.engine.begin() as connection:
            fetched = connection.execute(query.with_for_update(skip_locked=True)).all()
            ids = self._left_behind(fetched)
            for envelope in self._envelopes(connection, ids):
                self.publisher.publish_event(envelope)
            self._mark(connection, ids)
        return fetched, len(ids)

    def _relay_unlocked(self, query: Select[Any]) -> tuple[Sequence[Any], int]:
        # SQLite blocks the whole process while it waits for a lock, so no transaction may stay
        # open across the network I/O of publishing; SQLite is single-replica anyway.
        with self.engine.connect() as connection:
            fetched = connection.execute(query).all()
            ids = self._left_behind(fetched)
            envelopes = self._envelopes(connection, ids)
        for envelope in envelopes:
            self.publisher.publish_event(envelope)
        with self.engine.begin() as connection:
            self._mark(connection, ids)
        return fetched, len(ids)

    def _left_behind(self, rows: Sequence[Any]) -> list[int]:
        """The ids of the ``rows`` this process's fast path neither holds nor has had confirmed."""
        held = self._in_flight.union(self._published)
        return [row.id for row in rows if row.event_id not in held]

    def _envelopes(self, connection: Connection, ids: list[int]) -> list[dict[str, Any]]:
        """The envelopes of the rows to publish, read only for them: under saturation a page
        may be mostly rows the fast path holds."""
        if not ids:
            return []
        query = select(self.table.c.envelope).where(self.table.c.id.in_(ids))
        return list(connection.execute(query.order_by(self.table.c.id)).scalars())

    def purge_published(self, older_than: datetime, batch_size: int) -> int:
        """Delete a batch of rows published before ``older_than``; returns how many went.

        Oldest first along the primary key, so no index on ``published_at`` is needed.
        """
        oldest = (
            select(self.table.c.id)
            .where(self.table.c.published_at < older_than)
            .order_by(self.table.c.id)
            .limit(batch_size)
        )
        with self.engine.begin() as connection:
            return connection.execute(
                delete(self.table).where(self.table.c.id.in_(oldest.scalar_subquery()))
            ).rowcount

    def _mark(self, connection: Connection, ids: list[int]) -> None:
        if ids:
            connection.execute(
                update(self.table).where(self.table.c.id.in_(ids)).values(published_at=utc_now())
            )
