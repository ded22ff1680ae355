"""A consumer's handler does its work in one transaction, the one that records the event."""

from types import SimpleNamespace

import pytest
from sqlalchemy import MetaData, func, insert, select

from chassis.clock import utc_now
from chassis.consumer import PERMANENT_ERRORS
from chassis.tables import messaging_tables
from chassis.unit_of_work import AlreadyProcessed, SecondTransaction, Transactions, UnitOfWork
from support.services import count


class Container:
    """What ``UnitOfWork.setup`` reads of a Nameko container."""


metadata = MetaData()
inbox = messaging_tables(metadata)[1]


@pytest.fixture
def provider(database_of, rabbit_config):
    url = database_of(metadata)
    container = Container()
    container.config = {**rabbit_config, "DATABASE_URL": url}
    container.service_name = "notes"
    bound = UnitOfWork(metadata).bind(container, "uow")
    bound.setup()
    yield bound
    bound.stop()


def handling(provider, event_id="e-1"):
    worker_ctx = SimpleNamespace(
        entrypoint=SimpleNamespace(inbox_consumer="notes--thing.happened"),
        args=(SimpleNamespace(event_id=event_id),),
        context_data={},
        call_id="notes.on_thing.1",
    )
    return Transactions(provider, worker_ctx)


def test_the_handlers_transaction_records_the_event_and_a_second_one_is_an_error(provider):
    uow = handling(provider)
    with uow.transaction():
        pass
    with pytest.raises(SecondTransaction, match="opened a second transaction"), uow.transaction():
        pass

    assert count(provider.engine.url.render_as_string(hide_password=False), inbox) == 1
    assert SecondTransaction in PERMANENT_ERRORS  # parked at once, never skipped as a duplicate


def test_a_redelivered_event_is_recognised_by_its_one_transaction(provider):
    with handling(provider).transaction():
        pass
    with pytest.raises(AlreadyProcessed), handling(provider).transaction():
        pass


def test_what_a_redelivered_events_body_did_is_rolled_back(provider):
    """The inbox row is written as the transaction commits (ADR 17): a duplicate's body runs,
    and the duplicate is found there, undoing all of it."""
    with handling(provider).transaction():
        pass
    with pytest.raises(AlreadyProcessed), handling(provider).transaction() as tx:
        tx.session.execute(
            insert(inbox).values(consumer="notes--other", event_id="e-2", processed_at=utc_now())
        )

    assert count(provider.engine.url.render_as_string(hide_password=False), inbox) == 1


def test_a_redelivered_event_whose_body_fails_on_the_first_deliverys_effect_is_a_duplicate(
    provider,
):
    with handling(provider).transaction():
        pass
    with pytest.raises(AlreadyProcessed), handling(provider).transaction():
        raise RuntimeError("the row the first delivery inserted is there already")


def test_a_new_event_whose_body_fails_keeps_its_error_and_records_nothing(provider):
    with pytest.raises(RuntimeError, match="refused"), handling(provider).transaction():
        raise RuntimeError("refused")

    assert count(provider.engine.url.render_as_string(hide_password=False), inbox) == 0


@pytest.mark.postgresql_only
def test_a_reading_sessions_queries_share_one_snapshot(provider, backend):
    """A view read in two statements must not straddle another transaction's commit."""
    with handling(provider).reading() as session:
        before = session.execute(select(func.count()).select_from(inbox)).scalar_one()
        with provider.engine.begin() as other:
            other.execute(
                insert(inbox).values(consumer="notes--x", event_id="e-9", processed_at=utc_now())
            )
        again = session.execute(select(func.count()).select_from(inbox)).scalar_one()

    assert again == before
    assert count(provider.engine.url.render_as_string(hide_password=False), inbox) == before + 1
