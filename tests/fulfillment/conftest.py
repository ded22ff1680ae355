"""The fulfillment service on a real broker and PostgreSQL, fed the order events it consumes."""

from datetime import UTC, datetime

import pytest
from nameko.testing.services import entrypoint_waiter, replace_dependencies
from sqlalchemy import select

from fulfillment.models import metadata
from fulfillment.service import FulfillmentService
from support.clock import FrozenClock
from support.events import publish
from support.order_facts import PLACED
from support.services import query, rpc

outbox = metadata.tables["outbox"]
SCANS = "carrier.scans_received"


class Fulfillment:
    """One started fulfillment container, its clock, and what it published."""

    def __init__(self, container, config, clock):
        self.container = container
        self.config = config
        self.clock = clock

    def place(self, order_id="o-1", **changes):
        with entrypoint_waiter(self.container, "on_order_placed"):
            publish(
                self.config["AMQP_URI"],
                "order.placed",
                {**PLACED, "order_id": order_id, **changes},
                "orders",
            )
        return order_id

    def deliver(self, event_type, data, handler, envelope=None):
        """Publish an orders event (or ``envelope`` again) and wait until its handler ran."""
        with entrypoint_waiter(self.container, handler):
            return publish(self.config["AMQP_URI"], event_type, data, "orders", envelope)

    def receive_scans(self, carrier, scan_list, envelope=None, wait=True):
        """Publish scans as the gateway's carrier door does (``envelope`` again: a redelivery)
        and, with ``wait``, return once the handler ran. Returns the envelope."""
        data = {"carrier": carrier, "scans": scan_list, "received_at": self.clock.now.isoformat()}
        if not wait:
            return publish(self.config["AMQP_URI"], SCANS, data, "gateway", envelope)
        with entrypoint_waiter(self.container, "on_scans_received"):
            return publish(self.config["AMQP_URI"], SCANS, data, "gateway", envelope)

    def call(self, method, *args):
        with rpc(self.config) as proxy:
            return getattr(proxy.fulfillment, method)(*args)

    def published(self, event_type=None):
        statement = select(outbox.c.envelope).order_by(outbox.c.id)
        if event_type:
            statement = statement.where(outbox.c.event_type == event_type)
        return [row.envelope for row in query(self.config["DATABASE_URL"], statement)]


@pytest.fixture
def fulfillment(container_factory, service_config, declared_topology, tmp_path):
    config = service_config(
        "fulfillment",
        TIMER_INTERVAL_S=0.05,
        UNSCANNED_AFTER_WORKDAYS=1,
        BLOB_STORE_URL=f"file://{tmp_path}/blobs",
        BLOB_SWEEP_INTERVAL_S=0.05,
        ORPHAN_BLOB_RETENTION_HOURS=1,
        PARKED_SCAN_SWEEP_INTERVAL_S=0.05,
    )
    container = container_factory(FulfillmentService, config)
    # Friday 10:00 UTC
    clock = FrozenClock(datetime(2031, 3, 7, 10, 0, tzinfo=UTC))
    replace_dependencies(container, clock=clock)
    container.start()
    return Fulfillment(container, config, clock)
