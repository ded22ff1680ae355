"""``@uow.command`` on a real broker, on PostgreSQL and on SQLite: one effect per command id.

A small notes service stands in for any service: each ``add_note`` inserts a row, so the number
of rows is the number of effects.
"""

import uuid

import eventlet
import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text

from chassis.health import ServiceBase
from chassis.tables import messaging_tables
from chassis.unit_of_work import UnitOfWork
from contracts.errors import IdempotencyKeyReused, IllegalTransition, InvalidRequest
from support.services import count, query, rpc
from support.waiting import eventually

metadata = MetaData()
messaging_tables(metadata)
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(200), nullable=False),
)
commands = metadata.tables["commands"]
# Filled by the test with events the service's greenlets wait for.
gates: dict[str, eventlet.Event] = {}
arrived: list[str] = []


class NotesService(ServiceBase):
    name = "notes"
    uow = UnitOfWork(metadata)

    @uow.command
    def add_note(self, tx, text, refuse=None, wait_for=None):
        if refuse == "invalid":
            raise InvalidRequest("text is not acceptable", {"errors": {"text": ["rejected"]}})
        tx.session.execute(insert(notes).values(text=text))
        if wait_for:
            arrived.append(wait_for)
            gates[wait_for].wait()  # keeps the command's row claimed, uncommitted
        if refuse == "illegal":
            raise IllegalTransition("notes are closed", {"state": "closed"})
        if refuse == "crash":
            raise RuntimeError("the process failed after the effect, before its commit")
        total = tx.session.execute(select(func.count()).select_from(notes)).scalar_one()
        return {"text": text, "notes": total, "id": str(uuid.uuid4())}

    @uow.command
    def add_twice(self, tx, text):
        tx.session.execute(insert(notes).values(text=text))
        with self.uow.transaction() as second:
            second.session.execute(insert(notes).values(text=text))


@pytest.fixture
def notes_service(container_factory, rabbit_config, database_of):
    arrived.clear()
    url = database_of(metadata)
    config = {**rabbit_config, "DATABASE_URL": url, "max_workers": 4}
    container_factory(NotesService, config).start()
    return config


def effects(config):
    return count(config["DATABASE_URL"], notes)


def test_a_repeated_command_gets_the_recorded_result_and_has_one_effect(notes_service):
    with rpc(notes_service) as proxy:
        first = proxy.notes.add_note("hello", command_id="c-1")
        again = proxy.notes.add_note("hello", command_id="c-1")
        by_keyword = proxy.notes.add_note(text="hello", refuse=None, command_id="c-1")

    assert first == again == by_keyword
    assert effects(notes_service) == 1


def test_each_command_id_is_its_own_command(notes_service):
    with rpc(notes_service) as proxy:
        first = proxy.notes.add_note("hello", command_id="c-1")
        second = proxy.notes.add_note("hello", command_id="c-2")

    assert (first["notes"], second["notes"]) == (1, 2)


def test_the_same_command_id_with_another_request_is_refused_and_changes_nothing(notes_service):
    with rpc(notes_service) as proxy:
        proxy.notes.add_note("hello", command_id="c-1")
        with pytest.raises(IdempotencyKeyReused) as refused:
            proxy.notes.add_note("goodbye", command_id="c-1")

    assert "different request" in str(refused.value)
    assert effects(notes_service) == 1


def test_a_request_refused_as_invalid_does_not_use_up_its_command_id(notes_service):
    with rpc(notes_service) as proxy:
        with pytest.raises(InvalidRequest):
            proxy.notes.add_note("hello", refuse="invalid", command_id="c-1")
        fixed = proxy.notes.add_note("hello", command_id="c-1")

    assert fixed["notes"] == 1
    assert count(notes_service["DATABASE_URL"], commands) == 1


def test_a_refusal_after_starting_is_recorded_without_its_effect_and_answered_again(
    notes_service,
):
    with rpc(notes_service) as proxy:
        with pytest.raises(IllegalTransition) as first:
            proxy.notes.add_note("hello", refuse="illegal", command_id="c-1")
        with pytest.raises(IllegalTransition) as again:
            proxy.notes.add_note("hello", refuse="illegal", command_id="c-1")

    assert (again.value.message, again.value.details) == (first.value.message, {"state": "closed"})
    assert effects(notes_service) == 0
    [(failed,)] = query(notes_service["DATABASE_URL"], select(commands.c.failed))
    assert failed


def test_an_unexpected_failure_rolls_back_the_effect_and_records_nothing(
    notes_service,
):
    with rpc(notes_service) as proxy:
        with pytest.raises(RemoteError):
            proxy.notes.add_note("hello", refuse="crash", command_id="c-1")
        assert (effects(notes_service), count(notes_service["DATABASE_URL"], commands)) == (0, 0)
        answered = proxy.notes.add_note("hello", command_id="c-1")

    assert answered["notes"] == 1 == effects(notes_service)


def waiting_on_a_lock(url) -> int:
    return query(url, text("SELECT count(*) FROM pg_locks WHERE NOT granted"))[0][0]


# SQLite has one writer at a time, and under eventlet a writer waiting for the lock blocks its
# whole process: the embedded default runs a service's commands one after another.
@pytest.mark.postgresql_only
def test_concurrent_deliveries_of_one_command_have_one_effect_and_one_answer(notes_service):
    gates["first"] = eventlet.Event()
    url = notes_service["DATABASE_URL"]
    with rpc(notes_service) as proxy:
        first = proxy.notes.add_note.call_async("hello", wait_for="first", command_id="c-1")
        eventually(lambda: "first" in arrived)  # it has claimed the command, uncommitted
        second = proxy.notes.add_note.call_async("hello", wait_for="first", command_id="c-1")
        eventually(lambda: waiting_on_a_lock(url))  # the second waits on the first's claim
        gates["first"].send()
        answers = [first.result(), second.result()]

    assert answers[0] == answers[1]
    assert effects(notes_service) == 1
    assert arrived == ["first"]  # the second never ran the body


def test_a_command_that_opens_a_second_transaction_fails_and_changes_nothing(notes_service):
    with rpc(notes_service) as proxy, pytest.raises(RemoteError) as failed:
        proxy.notes.add_twice("hello", command_id="c-1")

    assert failed.value.exc_type == "SecondTransaction"
    assert effects(notes_service) == 0
