"""Exactly-once commands: a mutating RPC has its effect once, however often it is delivered.

In a service::

    uow = UnitOfWork(metadata)

    @uow.command                       # an @rpc that takes a command id
    def approve(self, tx, actor, order_id):
        ...change rows through tx.session, tx.publish(...)...
        return view                    # stored with the effect, in the same transaction

The caller passes ``command_id=`` (the gateway always does). The method runs inside the one
transaction it is given; its outcome (the return value, or the ``contracts.errors`` error it
raises) is recorded in the ``commands`` table of that transaction. A repeated command id gets
the recorded outcome and runs nothing; two concurrent deliveries of one id wait for each other
on the row's primary key. An error whose class has ``settles_command = False`` (a rejected
request, a lost race) records nothing: the same id may be sent again, say with a corrected body.
The same id with different arguments is refused with ``IdempotencyKeyReused``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, NamedTuple

from kombu.utils.json import dumps as kombu_dumps
from kombu.utils.json import loads as kombu_loads
from nameko.rpc import rpc
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chassis.clock import utc_now
from contracts.errors import IdempotencyKeyReused, InvalidRequest, ServiceError, error_class

if TYPE_CHECKING:
    from chassis.unit_of_work import Transaction, Transactions, UnitOfWork

log = logging.getLogger(__name__)

MAX_COMMAND_ID_LENGTH = 200  # the ``commands`` table's key column
# How often a command runs again when the record it clashed with is purged before it is read.
RUN_ATTEMPTS = 3


class AlreadyRecorded(Exception):
    """Another delivery of this command has committed its outcome first."""


def command(provider: UnitOfWork, method: Callable[..., Any]) -> Callable[..., Any]:
    """``@uow.command``: ``method(self, tx, *args)`` as an RPC that runs once per command id."""
    signature = inspect.signature(method)
    parameters = list(signature.parameters.values())
    if len(parameters) < 2 or parameters[1].name != "tx":
        raise TypeError(f"{method.__qualname__} must take (self, tx, ...) to be a command")
    scope = method.__name__

    @wraps(method)
    def run(self: Any, *args: Any, command_id: str | None = None, **kwargs: Any) -> Any:
        transactions: Transactions = getattr(self, _attribute_of(type(self), provider))
        if command_id is not None and not 0 < len(command_id) <= MAX_COMMAND_ID_LENGTH:
            raise InvalidRequest(
                f"command_id must have 1 to {MAX_COMMAND_ID_LENGTH} characters",
                {"errors": {"command_id": ["too long or empty"]}},
            )
        bound = signature.bind(self, None, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(list(bound.arguments.items())[2:])
        return transactions.run_command(
            scope,
            command_id or _minted(scope),
            arguments,
            lambda tx: method(self, tx, *args, **kwargs),
        )

    # Nameko checks each call against the signature it sees: the method's, without ``tx``, with
    # ``command_id``.
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            parameters[0],
            *parameters[2:],
            inspect.Parameter("command_id", inspect.Parameter.KEYWORD_ONLY, default=None),
        ]
    )
    del run.__wrapped__
    return rpc(run)  # type: ignore[no-any-return]


def _minted(scope: str) -> str:
    log.debug("%s called without a command id: a redelivery would run it again", scope)
    return f"minted-{uuid.uuid4()}"


def _attribute_of(service_class: type, provider: UnitOfWork) -> str:
    for klass in service_class.__mro__:
        for name, value in vars(klass).items():
            if value is provider:
                return name
    raise TypeError(f"{service_class.__name__} has no attribute holding this UnitOfWork")


def fingerprint(arguments: Mapping[str, Any]) -> str:
    """The request's identity, whether its arguments came by position or by name."""
    canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def recordable(result: Any) -> Any:
    """The result as JSON, encoded the way Nameko sends it (a datetime stays a datetime)."""
    return json.loads(kombu_dumps(result))


def as_recorded(recorded: Any) -> Any:
    """What the caller of the original received; ``recordable``'s inverse."""
    return kombu_loads(json.dumps(recorded))


def error_outcome(error: ServiceError) -> dict[str, Any]:
    return {"error": type(error).__name__, "message": error.message, "details": error.details}


def raise_recorded(outcome: Mapping[str, Any]) -> Any:
    """The recorded outcome: a result to return, or the recorded error raised again."""
    if "error" in outcome:
        raise error_class(outcome["error"])(outcome["message"], outcome["details"])
    return as_recorded(outcome["result"])


class CommandLog:
    """The ``commands`` table of one service."""

    def __init__(self, table: Table):
        self.table = table
        columns = table.c
        # Built once: a statement built per call costs more CPU than its round trip.
        self._insert_statement = insert(table)
        self._settle_statement = update(table).where(
            columns.scope == bindparam("key_scope"), columns.command_id == bindparam("key_id")
        )

    def find(self, session: Session, scope: str, command_id: str) -> Any:
        columns = self.table.c
        return session.execute(
            select(columns.fingerprint, columns.outcome).where(
                columns.scope == scope, columns.command_id == command_id
            )
        ).first()

    def claim(self, session: Session, scope: str, command_id: str, fingerprint: str) -> None:
        """Take the command id in this transaction; a concurrent claim waits until it ends.
        Sent at once, never ``LATER``: a repeat must not run any of the body (ADR 25)."""
        self._insert(session, scope, command_id, fingerprint, False, {"pending": True})

    def settle_with(self, session: Session, parameters: Mapping[str, Any]) -> None:
        """Record a claimed command's outcome: ``key_scope``, ``key_id`` and ``outcome``."""
        session.execute(self._settle_statement, parameters)

    def record_failure(
        self,
        session: Session,
        scope: str,
        command_id: str,
        fingerprint: str,
        outcome: dict[str, Any],
    ) -> None:
        self._insert(session, scope, command_id, fingerprint, True, outcome)

    def purge(self, session: Session, cutoff: datetime, batch: int) -> int:
        columns = self.table.c
        oldest = (
            select(columns.scope, columns.command_id)
            .where(columns.created_at < cutoff)
            .order_by(columns.created_at)
            .limit(batch)
        )
        rows = session.execute(oldest).all()
        for scope, command_id in rows:
            session.execute(
                delete(self.table).where(columns.scope == scope, columns.command_id == command_id)
            )
        return len(rows)

    def _insert(
        self,
        session: Session,
        scope: str,
        command_id: str,
        fingerprint: str,
        failed: bool,
        outcome: dict[str, Any],
    ) -> None:
        try:
            session.execute(
                self._insert_statement,
                {
                    "scope": scope,
                    "command_id": command_id,
                    "fingerprint": fingerprint,
                    "failed": failed,
                    "outcome": outcome,
                    "created_at": utc_now(),
                },
            )
        except IntegrityError:
            raise AlreadyRecorded(f"{scope} {command_id}") from None


class Recorded(NamedTuple):
    fingerprint: str
    outcome: dict[str, Any]


class InMemoryCommands:
    """Commands recorded in a dict: ``run_command`` for a fake unit of work in unit tests.

    It answers as the ``commands`` table does, within one process and without concurrency.
    """

    def __init__(self, transaction: Callable[[], AbstractContextManager[Any]]):
        self._transaction = transaction
        self.recorded: dict[tuple[str, str], Recorded] = {}

    def run_command(
        self, scope: str, command_id: str, arguments: Mapping[str, Any], body: Callable[[Any], Any]
    ) -> Any:
        expected = fingerprint(arguments)
        if (scope, command_id) in self.recorded:
            return replay(scope, command_id, expected, self.recorded[scope, command_id])
        try:
            with self._transaction() as tx:
                result = body(tx)
        except ServiceError as error:
            if error.settles_command:
                self.recorded[scope, command_id] = Recorded(expected, error_outcome(error))
            raise
        self.recorded[scope, command_id] = Recorded(expected, {"result": recordable(result)})
        return as_recorded(recordable(result))


def replay(scope: str, command_id: str, expected: str, recorded: Any) -> Any:
    """Answer a repeated command from its record, if it is the same request."""
    if recorded.fingerprint != expected:
        raise IdempotencyKeyReused(
            "this command id (Idempotency-Key) was already used for a different request",
            {"command": scope},
        )
    log.info(
        "command already done: answering its recorded outcome",
        extra={"command": scope, "command_id": command_id},
    )
    return raise_recorded(recorded.outcome)


def run_once(
    transactions: Transactions,
    scope: str,
    command_id: str,
    arguments: Mapping[str, Any],
    body: Callable[[Transaction], Any],
) -> Any:
    """Run ``body`` in one transaction that records its outcome, or answer from the record."""
    commands = transactions.commands
    expected = fingerprint(arguments)
    for _ in range(RUN_ATTEMPTS):
        # No look-up first: a repeated id fails the claim, its first statement, and is answered
        # from the record below; a new one (nearly every call) pays no extra round trip.
        try:
            with transactions.command_transaction() as tx:
                commands.claim(tx.session, scope, command_id, expected)
                result = body(tx)
                # Written as the transaction commits, with its outbox rows (ADR 17).
                tx.settlement = (scope, command_id, recordable(result))
            return result
        except AlreadyRecorded:
            pass
        except ServiceError as error:
            if not error.settles_command:
                raise
            if _recorded_failure(transactions, scope, command_id, expected, error):
                raise
        # Another delivery of the same command committed first: its outcome is the answer.
        with transactions.reading() as session:
            recorded = commands.find(session, scope, command_id)
        if recorded is not None:
            return replay(scope, command_id, expected, recorded)
        # Its record was purged between the clash and the read: the id is free again.
    raise RuntimeError(f"{scope} {command_id}: recorded and purged {RUN_ATTEMPTS} times over")


def _recorded_failure(
    transactions: Transactions, scope: str, command_id: str, expected: str, error: ServiceError
) -> bool:
    """Record the refusal on its own (the effect rolled back); False if another came first."""
    try:
        with transactions.command_transaction() as tx:
            transactions.commands.record_failure(
                tx.session, scope, command_id, expected, error_outcome(error)
            )
    except AlreadyRecorded:
        return False
    return True
