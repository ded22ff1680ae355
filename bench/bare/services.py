"""The bare stack's services: an approval's messages and transactions carried by the frameworks
the architecture prescribes (Nameko on eventlet, SQLAlchemy Core on psycopg2), and nothing of
ours: no contracts, no validation, no workflow, no locks, no outbox relay. See bench/floor.py.

``bare_orders.approve`` updates one row and writes the approval's two events to an outbox in
one transaction, publishes them with Nameko's dispatcher and returns a small dict; four
consumers, one process each like ours, apply the events they are bound to as ours are
(``order.approved``: fulfillment and profiles; ``order.status_changed``: chat and disputes),
each inserting its inbox row in a transaction of its own. Without ``BARE_DATABASE_URL``
nothing is written: the messages alone.
"""

import json
import os
import uuid
from datetime import UTC, datetime

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc
from sqlalchemy import bindparam, create_engine, insert, update

from bare.tables import inbox, orders, outbox

ORDERS = "bare_orders"
_url = os.environ.get("BARE_DATABASE_URL")
# Nameko's default of ten workers, each of which may hold a connection.
ENGINE = create_engine(_url, pool_size=10, max_overflow=0) if _url else None
APPROVE = (
    update(orders)
    .where(orders.c.id == bindparam("order_id"), orders.c.status == "placed")
    .values(status="approved")
)
KEEP = insert(outbox)
APPLIED = insert(inbox)


class BareOrders:
    name = ORDERS
    dispatch = EventDispatcher()

    @rpc
    def approve(self, order_id):
        now = datetime.now(UTC).isoformat()
        events = [
            {
                "event_id": str(uuid.uuid4()),
                "event_type": event_type,
                "occurred_at": now,
                "data": {"order_id": order_id, "status": "approved"},
            }
            for event_type in ("order.approved", "order.status_changed")
        ]
        if ENGINE is not None:
            with ENGINE.begin() as connection:
                if not connection.execute(APPROVE, {"order_id": order_id}).rowcount:
                    raise ValueError(f"order {order_id} is not waiting for approval")
                connection.execute(
                    KEEP,
                    [
                        {
                            "event_id": e["event_id"],
                            "event_type": e["event_type"],
                            "body": json.dumps(e),
                        }
                        for e in events
                    ],
                )
        for event in events:
            self.dispatch(event["event_type"], event)
        return {"id": order_id, "status": "approved"}


def _apply(consumer, event):
    if ENGINE is not None:
        with ENGINE.begin() as connection:
            connection.execute(
                APPLIED,
                {
                    "consumer": consumer,
                    "event_id": event["event_id"],
                    "order_id": event["data"]["order_id"],
                },
            )


class BareFulfillment:
    name = "bare_fulfillment"

    @event_handler(ORDERS, "order.approved")
    def on_event(self, event):
        _apply(self.name, event)


class BareProfiles:
    name = "bare_profiles"

    @event_handler(ORDERS, "order.approved")
    def on_event(self, event):
        _apply(self.name, event)


class BareChat:
    name = "bare_chat"

    @event_handler(ORDERS, "order.status_changed")
    def on_event(self, event):
        _apply(self.name, event)


class BareDisputes:
    name = "bare_disputes"

    @event_handler(ORDERS, "order.status_changed")
    def on_event(self, event):
        _apply(self.name, event)


CONSUMERS = (BareFulfillment, BareProfiles, BareChat, BareDisputes)
