"""The promises of ``@consume``, on a real broker, on PostgreSQL and on SQLite.

The fulfillment service stands in as the consumer: its ``order.approved`` handler opens a record.
"""

import logging

from nameko.testing.services import entrypoint_waiter
from sqlalchemy import func, select, text

from chassis.database import make_engine
from chassis.deadletters import list_parked, replay
from fulfillment.models import fulfillments
from fulfillment.service import FulfillmentService
from support.events import APPROVED, publish
from support.waiting import eventually

QUEUE = "fulfillment--order.approved"


def records(url) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        n = connection.execute(select(func.count()).select_from(fulfillments)).scalar_one()
    engine.dispose()
    return n


def execute(url, statement) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


def parked(amqp_uri):
    return list_parked(amqp_uri, [f"{QUEUE}.dead"])


def test_an_event_published_before_its_consumer_ever_ran_is_delivered_when_it_starts(
    container_factory, service_config, declared_topology
):
    config = service_config("fulfillment")
    publish(config["AMQP_URI"], "order.approved", APPROVED, "orders")

    container_factory(FulfillmentService, config).start()

    assert eventually(lambda: records(config["DATABASE_URL"]) == 1)


def test_a_handler_that_keeps_failing_is_parked_with_its_error_then_replayed_once(
    container_factory, service_config, declared_topology
):
    config = service_config("fulfillment")
    url, amqp = config["DATABASE_URL"], config["AMQP_URI"]
    # A real fault: the handler's table is gone, so every attempt fails inside PostgreSQL.
    execute(url, "ALTER TABLE fulfillments RENAME TO fulfillments_away")
    try:
        container_factory(FulfillmentService, config).start()
        envelope = publish(amqp, "order.approved", APPROVED, "orders")
        [message] = eventually(lambda: parked(amqp))
    finally:
        execute(url, "ALTER TABLE fulfillments_away RENAME TO fulfillments")
    assert message.event_id == envelope["event_id"]
    assert message.attempts == 4  # the first try and three retries
    assert "fulfillments" in message.error
    assert message.error_type in ("ProgrammingError", "OperationalError")  # PostgreSQL, SQLite

    assert replay(amqp, f"{QUEUE}.dead") == 1

    assert eventually(lambda: records(url) == 1)
    assert parked(amqp) == []
    assert replay(amqp, f"{QUEUE}.dead") == 0
    assert records(url) == 1


def test_an_event_whose_payload_breaks_its_schema_is_parked_with_the_reason_and_not_applied(
    container_factory, service_config, declared_topology
):
    config = service_config("fulfillment")
    container = container_factory(FulfillmentService, config)
    container.start()
    with entrypoint_waiter(container, "on_order_approved"):
        envelope = publish(config["AMQP_URI"], "order.approved", APPROVED, "orders")
    envelope["data"] = {k: v for k, v in envelope["data"].items() if k != "lines"}
    envelope["event_id"] = "6f1c3c52-0000-4000-8000-000000000001"

    publish(config["AMQP_URI"], "order.approved", None, "orders", envelope=envelope)

    [message] = eventually(lambda: parked(config["AMQP_URI"]))
    assert message.error_type == "InvalidEvent"
    assert "lines" in message.error and "Missing data" in message.error
    assert message.attempts == 0
    assert records(config["DATABASE_URL"]) == 1  # only the valid one


def test_a_redelivered_event_is_applied_once_and_its_duplicate_logged_with_its_correlation_id(
    container_factory, service_config, declared_topology, caplog
):
    config = service_config("fulfillment")
    container = container_factory(FulfillmentService, config)
    container.start()
    with entrypoint_waiter(container, "on_order_approved"):
        envelope = publish(config["AMQP_URI"], "order.approved", APPROVED, "orders")

    with (
        caplog.at_level(logging.INFO, logger="chassis.consumer"),
        entrypoint_waiter(container, "on_order_approved"),
    ):
        publish(config["AMQP_URI"], "order.approved", None, "orders", envelope=envelope)

    assert records(config["DATABASE_URL"]) == 1
    [logged] = [r for r in caplog.records if r.getMessage().startswith("duplicate event ignored")]
    assert (logged.event_id, logged.correlation_id) == (envelope["event_id"], envelope["event_id"])
