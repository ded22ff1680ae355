"""``@consume(event_type, batch=n)`` and ``@consume_batches``: a burst is applied in batches,
each event exactly once, and an event that fails fails alone. On a real broker, on PostgreSQL
and on SQLite.

The test's own services stand in for a consumer of ``order.approved``: each keeps one row per
order it applied, stamped with the worker (service instance) that applied it; one handles an
event at a time, the other the whole list.
"""

import logging
import time
import uuid

import eventlet
import pytest
from nameko.exceptions import ConfigurationError
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from chassis.consumer import consume, consume_batches
from chassis.database import make_engine
from chassis.deadletters import list_parked
from chassis.tables import messaging_tables
from chassis.topology import retry_delays_ms
from chassis.unit_of_work import UnitOfWork
from support.events import APPROVED, publish
from support.waiting import eventually

metadata = MetaData()
inbox = messaging_tables(metadata)[1]
applied = Table(
    "applied",
    metadata,
    Column("order_id", String, primary_key=True),
    Column("worker", String, nullable=False),
)
QUEUE = "fulfillment--order.approved"
REFUSED = "refused"
SLOW = "slow"  # applied slowly, so that the events behind it pile up into a batch
CAUGHT = "caught"  # its handler catches the error its own transaction raised
LINGER_S = 3.0  # far longer than publishing a few events takes


class BatchingConsumer:
    name = "fulfillment"  # a consumer of order.approved in the contracts
    uow = UnitOfWork(metadata)

    @consume("order.approved", batch=50)
    def on_approved(self, event):
        order_id = event.data["order_id"]
        if order_id.startswith(REFUSED):
            raise ValueError("this order is refused")
        if order_id.startswith(SLOW):
            eventlet.sleep(0.5)
        if not hasattr(self, "worker"):
            self.worker = uuid.uuid4().hex  # a worker is one instance of the service
        try:
            with self.uow.transaction() as tx:
                tx.session.execute(insert(applied).values(order_id=order_id, worker=self.worker))
                if order_id.startswith(CAUGHT):
                    raise LookupError("given up, and said so")
        except LookupError:
            return


class WholeBatchConsumer:
    name = "fulfillment"
    uow = UnitOfWork(metadata)

    @consume_batches("order.approved", batch=50)
    def on_approved(self, events):
        if any(event.data["order_id"].startswith(REFUSED) for event in events):
            raise ValueError("this order is refused")
        if any(event.data["order_id"].startswith(SLOW) for event in events):
            eventlet.sleep(0.5)
        worker = uuid.uuid4().hex
        with self.uow.transaction() as tx:
            tx.session.execute(
                insert(applied),
                [{"order_id": event.data["order_id"], "worker": worker} for event in events],
            )


@pytest.fixture(params=[BatchingConsumer, WholeBatchConsumer], ids=["each", "whole"])
def consumer(request):
    return request.param


def rows(url, statement):
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.execute(statement).all()
    engine.dispose()
    return found


def applied_orders(url) -> set[str]:
    return {order_id for (order_id,) in rows(url, select(applied.c.order_id))}


def approval(order_id):
    return {**APPROVED, "order_id": order_id}


def start(container_factory, consumer, url, config):
    container = container_factory(consumer, {**config, "DATABASE_URL": url})
    container.start()
    return container


def test_a_burst_waiting_in_the_queue_is_applied_in_batches_each_event_once_even_if_sent_twice(
    container_factory, consumer, service_config, database_of, declared_topology
):
    config, url = service_config("fulfillment"), database_of(metadata)
    orders = [f"o-{i}" for i in range(60)]
    sent = [
        publish(config["AMQP_URI"], "order.approved", approval(order_id), "orders")
        for order_id in orders
    ]
    for envelope in sent[:5]:  # delivered twice in the same burst, as a relay may
        publish(config["AMQP_URI"], "order.approved", None, "orders", envelope=envelope)

    start(container_factory, consumer, url, config)

    assert eventually(lambda: applied_orders(url) == set(orders))
    assert eventually(lambda: rows(url, select(func.count()).select_from(inbox)) == [(60,)])
    [(workers,)] = rows(url, select(func.count(applied.c.worker.distinct())))
    assert workers < 60 / 2  # most events shared a worker and its transaction
    assert list_parked(config["AMQP_URI"], [f"{QUEUE}.dead"]) == []


def test_an_event_that_fails_in_a_batch_is_retried_and_parked_alone_the_others_applied(
    container_factory, consumer, service_config, database_of, declared_topology, caplog
):
    config, url = service_config("fulfillment"), database_of(metadata)
    orders = [f"o-{i}" for i in range(20)]
    publish(config["AMQP_URI"], "order.approved", approval(f"{SLOW}-1"), "orders")
    for order_id in orders[:10]:
        publish(config["AMQP_URI"], "order.approved", approval(order_id), "orders")
    refused = publish(config["AMQP_URI"], "order.approved", approval(f"{REFUSED}-1"), "orders")
    for order_id in orders[10:]:
        publish(config["AMQP_URI"], "order.approved", approval(order_id), "orders")

    with caplog.at_level(logging.INFO, logger="chassis.consumer"):
        start(container_factory, consumer, url, config)
        [parked] = eventually(lambda: list_parked(config["AMQP_URI"], [f"{QUEUE}.dead"]))

    assert any("applying each alone" in r.getMessage() for r in caplog.records)
    assert parked.event_id == refused["event_id"]
    assert parked.attempts == len(retry_delays_ms(config)) + 1
    assert "refused" in parked.error
    assert applied_orders(url) == {*orders, f"{SLOW}-1"}
    assert rows(url, select(func.count()).select_from(inbox)) == [(21,)]


def test_an_event_whose_handler_caught_its_transactions_error_changes_nothing_in_a_batch(
    container_factory, service_config, database_of, declared_topology
):
    """As alone: the error rolled its transaction back, so what it wrote is gone, and the
    event is not recorded as applied; the batch's other events are."""
    config, url = service_config("fulfillment"), database_of(metadata)
    orders = [f"o-{i}" for i in range(10)]
    publish(config["AMQP_URI"], "order.approved", approval(f"{SLOW}-1"), "orders")
    for order_id in [*orders[:5], f"{CAUGHT}-1", *orders[5:]]:
        publish(config["AMQP_URI"], "order.approved", approval(order_id), "orders")

    start(container_factory, BatchingConsumer, url, config)

    assert eventually(lambda: applied_orders(url) == {*orders, f"{SLOW}-1"})
    assert eventually(lambda: rows(url, select(func.count()).select_from(inbox)) == [(11,)])
    assert list_parked(config["AMQP_URI"], [f"{QUEUE}.dead"]) == []


def test_events_delivered_again_in_a_batch_with_new_ones_have_one_effect_each(
    container_factory, consumer, service_config, database_of, declared_topology
):
    config, url = service_config("fulfillment"), database_of(metadata)
    start(container_factory, consumer, url, config)
    first = [
        publish(config["AMQP_URI"], "order.approved", approval(f"o-{i}"), "orders")
        for i in range(10)
    ]
    eventually(lambda: len(applied_orders(url)) == 10)

    for envelope in first:
        publish(config["AMQP_URI"], "order.approved", None, "orders", envelope=envelope)
    for i in range(10, 15):
        publish(config["AMQP_URI"], "order.approved", approval(f"o-{i}"), "orders")

    assert eventually(lambda: len(applied_orders(url)) == 15)
    assert eventually(
        lambda: (
            rows(url, select(func.count()).select_from(inbox)) == [(15,)]
            and list_parked(config["AMQP_URI"], [f"{QUEUE}.dead"]) == []
        )
    )


class LingeringConsumer:
    name = "fulfillment"
    uow = UnitOfWork(metadata)

    @consume_batches("order.approved", batch=5, linger=LINGER_S)
    def on_approved(self, events):
        if any(event.data["order_id"].startswith(REFUSED) for event in events):
            raise ValueError("this order is refused")
        worker = uuid.uuid4().hex
        with self.uow.transaction() as tx:
            tx.session.execute(
                insert(applied),
                [{"order_id": event.data["order_id"], "worker": worker} for event in events],
            )


class LingeringEachConsumer:
    """The same linger, for a handler that takes one event at a time."""

    name = "fulfillment"
    uow = UnitOfWork(metadata)

    @consume("order.approved", batch=5, linger=LINGER_S)
    def on_approved(self, event):
        if event.data["order_id"].startswith(REFUSED):
            raise ValueError("this order is refused")
        if not hasattr(self, "worker"):
            self.worker = uuid.uuid4().hex
        with self.uow.transaction() as tx:
            tx.session.execute(
                insert(applied).values(order_id=event.data["order_id"], worker=self.worker)
            )


LINGERING = pytest.mark.parametrize(
    "lingering", [LingeringConsumer, LingeringEachConsumer], ids=["batches", "each"]
)


@LINGERING
def test_events_arriving_within_the_linger_share_a_batch_and_a_full_batch_waits_for_nothing(
    lingering, container_factory, service_config, database_of, declared_topology
):
    config, url = service_config("fulfillment"), database_of(metadata)
    start(container_factory, lingering, url, config)

    for i in range(3):  # one by one, each sent long before the linger would end
        publish(config["AMQP_URI"], "order.approved", approval(f"o-{i}"), "orders")
    assert eventually(lambda: len(applied_orders(url)) == 3)
    [(workers,)] = rows(url, select(func.count(applied.c.worker.distinct())))
    assert workers == 1  # the first waited, and the others joined it

    started = time.monotonic()
    for i in range(3, 8):  # a full batch: applied without waiting for the linger to end
        publish(config["AMQP_URI"], "order.approved", approval(f"o-{i}"), "orders")
    assert eventually(lambda: len(applied_orders(url)) == 8, interval=0.01)
    assert time.monotonic() - started < LINGER_S


@LINGERING
def test_events_lingering_when_the_consumer_stops_go_back_to_the_queue_and_are_applied_later(
    lingering, container_factory, service_config, database_of, declared_topology
):
    config, url = service_config("fulfillment"), database_of(metadata)
    container = start(container_factory, lingering, url, config)
    [consumer] = list(container.entrypoints)
    for i in range(2):
        publish(config["AMQP_URI"], "order.approved", approval(f"o-{i}"), "orders")
    assert eventually(lambda: len(consumer._waiting) == 2)

    container.stop()  # well within the linger
    assert applied_orders(url) == set()

    start(container_factory, lingering, url, config)
    assert eventually(lambda: applied_orders(url) == {"o-0", "o-1"})


@LINGERING
def test_a_lingering_batch_that_fails_applies_each_event_alone_and_parks_the_one_refused(
    lingering, container_factory, service_config, database_of, declared_topology, caplog
):
    config, url = service_config("fulfillment"), database_of(metadata)
    start(container_factory, lingering, url, config)
    publish(config["AMQP_URI"], "order.approved", approval("o-0"), "orders")
    refused = publish(config["AMQP_URI"], "order.approved", approval(f"{REFUSED}-1"), "orders")
    publish(config["AMQP_URI"], "order.approved", approval("o-2"), "orders")

    with caplog.at_level(logging.INFO, logger="chassis.consumer"):
        [parked] = eventually(lambda: list_parked(config["AMQP_URI"], [f"{QUEUE}.dead"]))
    assert any("a batch of 3" in r.getMessage() for r in caplog.records)  # they lingered together
    assert parked.event_id == refused["event_id"]
    assert eventually(lambda: applied_orders(url) == {"o-0", "o-2"})


@pytest.mark.parametrize("decorator", [consume, consume_batches])
def test_an_event_applied_alone_cannot_linger_and_no_linger_is_negative(decorator):
    with pytest.raises(ConfigurationError, match="cannot wait"):
        decorator("order.approved", batch=1, linger=0.1)
    with pytest.raises(ConfigurationError, match="cannot be negative"):
        decorator("order.approved", linger=-1)
