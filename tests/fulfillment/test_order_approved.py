"""The fulfillment service opens one record per approved order, however often the event comes."""

from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select

from fulfillment.models import fulfillments, metadata
from fulfillment.service import FulfillmentService
from support.events import publish
from support.services import count, query

APPROVED = {
    "order_id": "o-1",
    "buyer_org": "acme",
    "supplier_org": "forge",
    "workflow": "manufacturing",
    "workflow_version": 1,
    "status": "approved",
    "lines": [{"line_id": "l-1", "sku": "BRKT-7", "quantity": 4, "unit_price": 1250}],
}


def test_an_approved_order_delivered_twice_opens_one_record(container_factory, service_config):
    config = service_config("fulfillment")
    container = container_factory(FulfillmentService, config)
    container.start()

    with entrypoint_waiter(container, "on_order_approved"):
        envelope = publish(config["AMQP_URI"], "order.approved", APPROVED, "orders")
    with entrypoint_waiter(container, "on_order_approved"):
        publish(config["AMQP_URI"], "order.approved", None, "orders", envelope=envelope)

    assert count(config["DATABASE_URL"], fulfillments) == 1
    outbox = metadata.tables["outbox"]
    assert count(config["DATABASE_URL"], outbox) == 1


def test_a_cancellation_that_overtakes_the_approval_leaves_nothing_to_ship(
    container_factory, service_config
):
    config = service_config("fulfillment")
    container = container_factory(FulfillmentService, config)
    container.start()
    cancelled = {
        **APPROVED,
        "status": "cancelled",
        "currency": "EUR",
        "amount": 5000,
        "by": "buyer",
        "reason": "changed my mind",
    }
    del cancelled["lines"]

    with entrypoint_waiter(container, "on_order_cancelled"):
        publish(config["AMQP_URI"], "order.cancelled", cancelled, "orders")
    with entrypoint_waiter(container, "on_order_approved"):
        publish(config["AMQP_URI"], "order.approved", APPROVED, "orders")

    [record] = query(config["DATABASE_URL"], select(fulfillments))
    assert record.status == "cancelled" and record.lines == []
    assert count(config["DATABASE_URL"], metadata.tables["outbox"]) == 0  # nothing opened
