"""The rules of ``chassis.commands`` that need no broker and no database."""

import inspect
import json
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import MetaData

from chassis.commands import (
    RUN_ATTEMPTS,
    AlreadyRecorded,
    InMemoryCommands,
    as_recorded,
    error_outcome,
    fingerprint,
    raise_recorded,
    recordable,
    run_once,
)
from chassis.unit_of_work import UnitOfWork
from contracts.errors import (
    Conflict,
    IdempotencyKeyReused,
    IllegalTransition,
    InvalidRequest,
    NotFound,
)

uow = UnitOfWork(MetaData())


class Service:
    uow = uow

    @uow.command
    def approve(self, tx, order_id, note=None):
        return order_id


def test_a_command_is_an_rpc_whose_callers_pass_a_command_id_instead_of_the_transaction():
    assert [type(e).__name__ for e in Service.approve.nameko_entrypoints] == ["Rpc"]
    parameters = inspect.signature(Service.approve).parameters
    assert list(parameters) == ["self", "order_id", "note", "command_id"]
    assert parameters["command_id"].kind is inspect.Parameter.KEYWORD_ONLY


def test_a_method_without_its_transaction_parameter_cannot_be_a_command():
    with pytest.raises(TypeError, match=r"must take \(self, tx, \.\.\.\)"):

        @uow.command
        def approve(self, order_id):
            return order_id


def test_the_fingerprint_is_the_request_whatever_the_order_of_its_fields():
    assert fingerprint({"a": 1, "b": {"x": 1, "y": 2}}) == fingerprint(
        {"b": {"y": 2, "x": 1}, "a": 1}
    )
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_a_recorded_result_is_answered_as_nameko_sent_the_original():
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    recorded = json.loads(json.dumps(recordable({"at": at, "lines": (1, 2)})))  # via the table
    assert as_recorded(recorded) == {"at": at, "lines": [1, 2]}
    assert raise_recorded({"result": recorded}) == {"at": at, "lines": [1, 2]}


@pytest.mark.parametrize("error", [IllegalTransition("closed", {"state": "x"}), NotFound("gone")])
def test_a_recorded_error_is_raised_again_as_the_same_typed_error(error):
    with pytest.raises(type(error)) as raised:
        raise_recorded(error_outcome(error))
    assert (raised.value.message, raised.value.details) == (error.message, error.details)


def test_refusals_before_acting_leave_the_command_id_free_and_others_settle_it():
    unsettled = [InvalidRequest, Conflict, IdempotencyKeyReused]
    assert [e for e in unsettled if e.settles_command] == []
    assert IllegalTransition.settles_command and NotFound.settles_command


def test_the_in_memory_record_of_a_fake_unit_of_work_answers_as_the_table_does():
    @contextmanager
    def transaction():
        yield "tx"

    commands, runs = InMemoryCommands(transaction), []

    def act(tx):
        runs.append(tx)
        return {"runs": len(runs)}

    def refuse(tx):
        raise InvalidRequest("no")

    assert commands.run_command("act", "c-1", {"a": 1}, act) == {"runs": 1}
    assert commands.run_command("act", "c-1", {"a": 1}, act) == {"runs": 1}
    with pytest.raises(IdempotencyKeyReused):
        commands.run_command("act", "c-1", {"a": 2}, act)
    with pytest.raises(InvalidRequest):
        commands.run_command("act", "c-2", {}, refuse)
    assert commands.run_command("act", "c-2", {}, act) == {"runs": 2}


class PurgedMeanwhile:
    """A ``commands`` log whose clashing record is purged before it is read, ``clashes`` times."""

    def __init__(self, clashes):
        self.clashes, self.settled = clashes, []

    def claim(self, session, scope, command_id, fingerprint):
        if self.clashes:
            self.clashes -= 1
            raise AlreadyRecorded(f"{scope} {command_id}")

    def settle(self, session, scope, command_id, result):
        self.settled.append(result)

    def find(self, session, scope, command_id):
        return None


class Transactions:
    def __init__(self, commands):
        self.commands = commands

    @contextmanager
    def command_transaction(self):
        tx = SimpleNamespace(session=None, settlement=None)
        yield tx
        # As the unit of work does: the outcome is written as the transaction commits.
        if tx.settlement is not None:
            self.commands.settle(tx.session, *tx.settlement)

    @contextmanager
    def reading(self):
        yield None


def test_a_command_whose_clashing_record_was_purged_meanwhile_runs_again():
    commands = PurgedMeanwhile(clashes=1)

    answer = run_once(Transactions(commands), "act", "c-1", {}, lambda tx: {"ran": True})

    assert answer == {"ran": True}
    assert commands.settled == [{"ran": True}]


def test_a_command_runs_again_a_bounded_number_of_times():
    commands = PurgedMeanwhile(clashes=RUN_ATTEMPTS)

    with pytest.raises(RuntimeError, match="purged"):
        run_once(Transactions(commands), "act", "c-1", {}, lambda tx: {"ran": True})
    assert commands.settled == []
