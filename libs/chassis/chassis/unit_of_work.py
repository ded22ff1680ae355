"""The database dependency: a session per transaction, the outbox and the inbox in it.

In a service::

    uow = UnitOfWork(models.metadata)

    @rpc
    def approve(self, order_id):
        with self.uow.transaction() as tx:
            ...change rows through tx.session...
            tx.publish("order.approved", payload)   # an outbox row in the same transaction

A mutating RPC is a command (``chassis.commands``): ``@uow.command`` instead of ``@rpc``, and
the method receives its one transaction as ``tx``; its outcome is recorded in it.

In an event consumer (``@consume``), the handler's one transaction records the event in the
inbox: on PostgreSQL as it commits, in the same round trip as the outbox rows (ADR 17); on SQLite
first. If the event is already there, the transaction rolls back, ``AlreadyProcessed`` is raised
and the consumer acknowledges the duplicate. A duplicate's body may thus run, but nothing it did
commits; a body that fails because its event was applied already (a unique row, a guard) is
recognised as a duplicate too, by looking the event up in the inbox before calling it an error.

A consumer or a command that opens a second transaction is a ``SecondTransaction`` error: its
first one has already committed, and a second could neither be deduplicated nor undone with it.

A batching consumer (``@consume(..., batch=n)``) runs its handler once per event of an
``EventBatch``; the transaction each call opens is the batch's one, which records every event in
the inbox and commits once, after the last.
"""

import itertools
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime, timedelta
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData, Table, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chassis.backlog import Held, messaging_held
from chassis.clock import utc_now
from chassis.commands import CommandLog, run_once
from chassis.commands import command as command_entrypoint
from chassis.database import make_engine
from chassis.envelope import Event, new_envelope
from chassis.outbox import Outbox
from chassis.pg_transactions import ONE_SNAPSHOT, final_commit
from chassis.publishing import ConfirmedBatches, EventPublisher
from chassis.settings import amqp_uri, database_url

log = logging.getLogger(__name__)

DEFAULT_RELAY_INTERVAL_S = 1.0
PURGE_EVERY_TICKS = 60
PURGE_BATCH = 1000
MAX_CACHED_SQL = 256


class AlreadyProcessed(Exception):
    """This consumer has already applied this event."""


class SecondTransaction(Exception):
    """A consumer or a command opened a transaction besides its one."""


class Transaction:
    def __init__(self, session: Session, producer: str, context: Mapping[str, Any]):
        self.session = session
        self._producer = producer
        self._context = context
        self.envelopes: list[dict[str, Any]] = []
        # A command's (scope, command id, recordable result), recorded as this commits.
        self.settlement: tuple[str, str, Any] | None = None

    def publish(self, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """Record an event to be published once, and only if, this transaction commits."""
        envelope = new_envelope(
            event_type,
            data,
            self._producer,
            correlation_id=self._context.get("correlation_id"),
            causation_id=self._context.get("causation_id"),
        )
        self.envelopes.append(envelope)
        return envelope

    @contextmanager
    def caused_by(self, event: Event) -> Iterator[None]:
        """Publish what follows as caused by ``event`` rather than by the worker's own message:
        for an event kept earlier and applied now (its correlation id goes on)."""
        saved = self._context
        self._context = {"correlation_id": event.correlation_id, "causation_id": event.event_id}
        try:
            yield
        finally:
            self._context = saved


class EventBatch:
    """Events of one queue that a consumer applies in one transaction::

    with batch.applying():          # commits as it ends; an error rolls everything back
        for event in batch:
            handler(event)          # its transaction is the batch's one
    """

    def __init__(self, events: list[Event]):
        self.events = events
        self.current: Event | None = None
        # Set when the handler takes the whole list: its one transaction applies them all.
        self.at_once = False
        self.tx: Transaction | None = None
        # (consumer, event id) of the events applied, for the inbox as the batch commits.
        self.handled: list[tuple[str, str]] = []
        self.opened: set[str] = set()
        self.failed: BaseException | None = None
        self._open = ExitStack()

    def __iter__(self) -> Iterator[Event]:
        for event in self.events:
            self.current = event
            yield event

    @contextmanager
    def applying(self) -> Iterator["EventBatch"]:
        """Commit as it ends; roll everything back if it raises, or if any event's transaction
        raised, even one its handler caught: alone, that event would have changed nothing."""
        with self._open:
            yield self
            if self.failed is not None:
                raise self.failed

    def begin(self, transaction: AbstractContextManager["Transaction"]) -> "Transaction":
        """Open the batch's transaction; it ends as ``applying()`` does."""
        return self._open.enter_context(transaction)


class UnitOfWork(DependencyProvider):
    def __init__(self, metadata: MetaData):
        self.metadata = metadata

    def setup(self) -> None:
        config = self.container.config
        self.service_name = self.container.service_name
        self.engine = make_engine(
            database_url(self.service_name, config), int(config.get("max_workers", 10))
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.inbox = self.metadata.tables["inbox"]
        # Built once: building a statement per event costs more CPU than its round trip.
        self.inbox_insert = insert(self.inbox)
        self.inbox_lookup = select(self.inbox.c.event_id).where(
            self.inbox.c.consumer == bindparam("consumer"),
            self.inbox.c.event_id == bindparam("event_id"),
        )
        self.final_sql = (
            FinalStatements(self.metadata.tables)
            if self.engine.dialect.name == "postgresql"
            else None
        )
        self.commands = CommandLog(self.metadata.tables["commands"])
        self.held = messaging_held(self.metadata)
        self.outbox = Outbox(
            self.engine, self.metadata.tables["outbox"], EventPublisher(amqp_uri(config))
        )
        self.relay_interval = float(config.get("OUTBOX_RELAY_INTERVAL_S", DEFAULT_RELAY_INTERVAL_S))
        # A fast-path mark can wait one relay interval: a shorter grace would have another
        # replica's relay republish it (this process's relay skips what its fast path holds).
        grace = max(float(config.get("OUTBOX_GRACE_S", 2)), 2 * self.relay_interval)
        self.outbox.grace = timedelta(seconds=grace)
        # Published rows are kept a while for audit and replay by hand, then pruned.
        self.retention = timedelta(days=float(config.get("OUTBOX_RETENTION_DAYS", 7)))
        # A command's outcome answers its repetitions for this long (at least as long as any
        # client or the gateway may retry it).
        self.command_retention = timedelta(days=float(config.get("COMMAND_RETENTION_DAYS", 7)))

    def command(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate a mutating RPC ``method(self, tx, ...)``: see ``chassis.commands``."""
        return command_entrypoint(self, method)

    def start(self) -> None:
        self.outbox.batches = ConfirmedBatches(amqp_uri(self.container.config))
        self._publishing = self.container.spawn_managed_thread(self.outbox.batches.run)
        self._relay = self.container.spawn_managed_thread(self._relay_forever)

    def stop(self, flush_timeout: float = 5) -> None:
        relay = getattr(self, "_relay", None)
        if relay is not None:
            relay.kill()
            self._relay = None
            batches, self.outbox.batches = self.outbox.batches, None
            if batches is not None:
                batches.flush(flush_timeout)
                self._publishing.kill()
                batches.close()
            self._quietly(self.outbox.mark_published)
        engine = getattr(self, "engine", None)  # a container killed during setup has none
        if engine is not None:
            engine.dispose()

    def kill(self) -> None:
        self.stop(flush_timeout=0)

    def _relay_forever(self) -> None:
        for tick in itertools.count():
            eventlet.sleep(self.relay_interval)
            self._quietly(self.outbox.mark_published)
            self._quietly(self.outbox.relay_once)
            if tick % PURGE_EVERY_TICKS == 0:
                self._quietly(self._purge)

    def _purge(self) -> None:
        cutoff = utc_now() - self.retention
        while self.outbox.purge_published(cutoff, PURGE_BATCH) == PURGE_BATCH:
            eventlet.sleep(0)  # a long backlog must not starve the workers
        while self._purge_commands(utc_now() - self.command_retention) == PURGE_BATCH:
            eventlet.sleep(0)

    def _purge_commands(self, cutoff: datetime) -> int:
        with self.sessions.begin() as session:
            return self.commands.purge(session, cutoff, PURGE_BATCH)

    @staticmethod
    def _quietly(step: Callable[[], object]) -> None:
        try:
            step()
        except Exception:
            log.warning("outbox %s failed; will retry", step.__name__, exc_info=True)

    def get_dependency(self, worker_ctx: Any) -> "Transactions":
        return Transactions(self, worker_ctx)

    def finish(self, session: Session, tx: Transaction, handled: list[tuple[str, str]]) -> None:
        """The last writes of a transaction: the consumer's inbox rows or the command's outcome,
        then the outbox rows; on PostgreSQL in one round trip with the COMMIT
        (``FinalStatements``, ``chassis.pg_transactions``)."""
        connection = session.connection()
        rows: list[dict[str, Any]] = []
        lead: dict[str, Any] | None = None
        if handled:
            now = utc_now()
            rows = [{"consumer": c, "event_id": e, "processed_at": now} for c, e in handled]
        elif tx.settlement is not None:
            scope, command_id, result = tx.settlement
            lead = {"key_scope": scope, "key_id": command_id, "outcome": {"result": result}}
        if self.final_sql is not None and (rows or lead):
            session.flush()  # what the ORM holds goes in first: the final statements commit
            end = final_commit(connection)
            if lead is None:
                statements = self.final_sql.after_inbox(rows, tx.envelopes, end)
            else:
                statements = self.final_sql.after_outcome(lead, tx.envelopes, end)
            connection.exec_driver_sql(*statements)
            return
        if rows:
            connection.execute(self.inbox_insert, rows)
        elif lead is not None:
            self.commands.settle_with(session, lead)
        self.outbox.add(connection, tx.envelopes)

    def handled(self, consumer: str, event_id: str) -> bool:
        """Whether the inbox holds this event for this consumer (committed)."""
        with self.engine.connect() as connection:
            found = connection.execute(
                self.inbox_lookup, {"consumer": consumer, "event_id": event_id}
            ).first()
            return found is not None


class FinalStatements:
    """PostgreSQL: a transaction's last writes in one round trip (psycopg2 sends several
    statements, parameters interpolated, as one simple query): the inbox rows of a consumer's
    events, or a command's outcome, followed by the outbox rows if any, and the COMMIT when
    the chassis frames the transaction (``chassis.pg_transactions``). The SQL for each count of
    rows is built once. One round trip fewer per consumed event and per command (ADR 17), and
    with the COMMIT one more (ADR 25)."""

    def __init__(self, tables: Mapping[str, Table]):
        inbox, commands, outbox = tables["inbox"], tables["commands"], tables["outbox"]
        self._inbox = f"INSERT INTO {inbox.name} (consumer, event_id, processed_at) VALUES "
        self._outcome = (
            f"UPDATE {commands.name} SET outcome = %(outcome)s "
            "WHERE scope = %(key_scope)s AND command_id = %(key_id)s"
        )
        self._outbox = f"INSERT INTO {outbox.name} (event_id, event_type, envelope, created_at) "
        self._sql: dict[tuple[int, int, str], str] = {}

    def after_inbox(
        self, rows: list[dict[str, Any]], envelopes: list[dict[str, Any]], end: str = ""
    ) -> tuple[str, dict[str, Any]]:
        parameters = {"processed_at": rows[0]["processed_at"]}
        for i, row in enumerate(rows):
            parameters[f"consumer{i}"] = row["consumer"]
            parameters[f"event{i}"] = row["event_id"]
        return self._build(len(rows), envelopes, parameters, end)

    def after_outcome(
        self, lead: dict[str, Any], envelopes: list[dict[str, Any]], end: str = ""
    ) -> tuple[str, dict[str, Any]]:
        parameters = {**lead, "outcome": json.dumps(lead["outcome"])}
        return self._build(0, envelopes, parameters, end)

    def _build(
        self,
        inbox_rows: int,
        envelopes: list[dict[str, Any]],
        parameters: dict[str, Any],
        end: str,
    ) -> tuple[str, dict[str, Any]]:
        """``end``: what follows the last statement (``pg_transactions.final_commit``)."""
        key = (inbox_rows, len(envelopes), end)
        sql = self._sql.get(key)
        if sql is None:
            if inbox_rows:
                lead = self._inbox + ", ".join(
                    f"(%(consumer{i})s, %(event{i})s, %(processed_at)s)" for i in range(inbox_rows)
                )
            else:
                lead = self._outcome
            values = ", ".join(
                f"(%(id{i})s, %(type{i})s, %(env{i})s, %(created_at)s)"
                for i in range(len(envelopes))
            )
            sql = f"{lead}; {self._outbox}VALUES {values}{end}" if envelopes else f"{lead}{end}"
            if len(self._sql) < MAX_CACHED_SQL:  # batches vary: keep the common shapes only
                self._sql[key] = sql
        parameters["created_at"] = utc_now()
        for i, envelope in enumerate(envelopes):
            parameters[f"id{i}"] = envelope["event_id"]
            parameters[f"type{i}"] = envelope["event_type"]
            parameters[f"env{i}"] = json.dumps(envelope)
        return sql, parameters


class Transactions:
    """What a worker sees as ``self.uow``."""

    def __init__(self, provider: UnitOfWork, worker_ctx: Any):
        self._provider = provider
        self._worker_ctx = worker_ctx
        self._opened = 0
        self._in_command = False

    @property
    def commands(self) -> CommandLog:
        return self._provider.commands

    @property
    def held(self) -> tuple[Held, ...]:
        """What the chassis's tables hold that is not done yet (``chassis.backlog``)."""
        return self._provider.held

    def run_command(
        self,
        scope: str,
        command_id: str,
        arguments: Mapping[str, Any],
        body: Callable[[Transaction], Any],
    ) -> Any:
        """Run a command's ``body(tx)`` once per command id (``chassis.commands``)."""
        return run_once(self, scope, command_id, arguments, body)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """The worker's transaction: for a consumer, its one, which records the event first."""
        consumer = getattr(self._worker_ctx.entrypoint, "inbox_consumer", None)
        if consumer is not None and isinstance(self._worker_ctx.args[0], EventBatch):
            with self._in_batch(consumer, self._worker_ctx.args[0]) as tx:
                yield tx
            return
        if self._in_command or (consumer is not None and self._opened):
            raise SecondTransaction(
                f"{self._worker_ctx.call_id} opened a second transaction: a consumer or a command "
                "does all its work in its one (a command's is the tx it is given)"
            )
        self._opened += 1
        if consumer is None:
            with self._committing() as tx:
                yield tx
            return
        event_id = self._worker_ctx.args[0].event_id
        if self._provider.final_sql is None:
            # SQLite: the inbox row first. Its write takes the database's one write lock, so a
            # consumer's transactions never interleave (``chassis.locks`` relies on it there);
            # there is no round trip to save besides.
            with self._committing() as tx:
                self._record_in_inbox(tx.session, consumer, event_id)
                yield tx
            return
        try:
            with self._committing([(consumer, event_id)]) as tx:
                yield tx
        except Exception as error:
            if not self._already_handled(consumer, event_id):
                raise
            raise AlreadyProcessed(f"{consumer} already processed event {event_id}") from error

    @contextmanager
    def command_transaction(self) -> Iterator[Transaction]:
        """The transaction ``chassis.commands`` runs a command in; the only one it may have."""
        self._in_command = True
        try:
            with self._committing() as tx:
                yield tx
        finally:
            self._in_command = False

    @contextmanager
    def _in_batch(self, consumer: str, batch: EventBatch) -> Iterator[Transaction]:
        """The batch's transaction: for the event being applied, opened by the first; or, for
        a handler that takes the whole list, for all of them at once."""
        if batch.at_once:
            events = batch.events
        else:
            assert batch.current is not None, "a batch's transaction is opened as it is applied"
            events = [batch.current]
        for event in events:
            if event.event_id in batch.opened:
                raise SecondTransaction(
                    f"{self._worker_ctx.call_id} opened a second transaction for event "
                    f"{event.event_id}: a consumer does all its work for an event in its one"
                )
            batch.opened.add(event.event_id)
        tx = batch.tx
        if tx is None:
            tx = batch.tx = batch.begin(self._committing(batch.handled))
        for event in events:
            if self._provider.final_sql is None:
                self._record_in_inbox(tx.session, consumer, event.event_id)
            else:
                batch.handled.append((consumer, event.event_id))
        try:
            if batch.at_once:
                yield tx
                return
            with tx.caused_by(events[0]):
                yield tx
        except BaseException as error:
            batch.failed = error
            raise

    @contextmanager
    def _committing(self, handled: list[tuple[str, str]] | None = None) -> Iterator[Transaction]:
        """One transaction; ``handled`` (consumer, event id) pairs are recorded as it commits.
        The list is read at commit: a batch adds to it as its events are applied."""
        provider = self._provider
        session = provider.sessions()
        tx = Transaction(session, provider.service_name, self._worker_ctx.context_data)
        try:
            yield tx
            provider.finish(session, tx, handled or [])
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        provider.outbox.publish_committed(tx.envelopes)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; nothing it does is committed. On PostgreSQL its queries
        share one snapshot (REPEATABLE READ): under READ COMMITTED each statement takes its
        own, so a view read in two statements (a shipment, then its scans) could straddle a
        commit and show a scan without the status it set."""
        session = self._provider.sessions()
        if self._provider.engine.dialect.name == "postgresql":
            session.connection(execution_options=ONE_SNAPSHOT)
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def ping(self) -> str:
        with self.reading() as session:
            session.execute(text("SELECT 1"))
        return "ok"

    def _record_in_inbox(self, session: Session, consumer: str, event_id: str) -> None:
        try:
            session.execute(
                self._provider.inbox_insert,
                {"consumer": consumer, "event_id": event_id, "processed_at": utc_now()},
            )
        except IntegrityError:
            raise AlreadyProcessed(f"{consumer} already processed event {event_id}") from None

    def _already_handled(self, consumer: str, event_id: str) -> bool:
        """After a failure: was it this event's duplicate (a unique inbox row, or a body that
        failed on what the first delivery did)? A failing look-up leaves the first error."""
        try:
            return self._provider.handled(consumer, event_id)
        except Exception:
            log.warning("could not look %s up in the inbox", event_id, exc_info=True)
            return False
