"""The fulfillment service opens one record per approved order, however often the event comes."""
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import func, select

from chassis.database import make_engine

from fulfillment.models import fulfillments, metadata
from fulfillment.service import FulfillmentService
from support.events import publish

APPROVED = {
    "order_id": "o-1", "buyer_org": "acme", "supplier_org": "forge", "workflow": "manufacturing",
    "workflow_version": 1, "status": "approved",
    "lines": [{"line_id": "l-1", "sku": "BRKT-7", "quantity": 4, "unit_price": 1250}],
}


def count(url, table):
    engine = make_engine(url)
    with engine.connect() as connection:
        n = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return n


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
