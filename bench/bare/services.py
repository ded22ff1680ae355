"""The bare stack's services: an approval's messages and least writes carried by the
frameworks the architecture prescribes (Nameko on eventlet, SQLAlchemy Core on psycopg2), set
up as cheaply as they go, and nothing of ours: no contracts, validation, workflow, locks,
idempotency or outbox relay. See bench/floor.py.

``bare_orders.approve`` approves one row and writes the approval's two events to an outbox in
one statement, publishes them with Nameko's dispatcher and answers a small dict; four consumers,
one process each like ours, take the events they are bound to as ours do (``order.approved``:
fulfillment and profiles; ``order.status_changed``: chat and disputes), each inserting its
inbox row in one statement. Nothing waits for a broker confirm (replies, as ``chassis.replies``
sends ours; events, unlike ours, which wait for one per batch; calls, see bare/gateway.py) and
every statement is its own transaction (autocommit: no BEGIN or COMMIT sent). Without
``BARE_DATABASE_URL`` nothing is written: the messages alone.
"""

import json
import os
import uuid
from datetime import UTC, datetime

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc
from sqlalchemy import create_engine, insert, text

from bare.tables import inbox
from chassis import replies

replies.install()

ORDERS = "bare_orders"
_url = os.environ.get("BARE_DATABASE_URL")
# Nameko's default of ten workers per service, each of which may hold a connection
# (``BARE_POOL_SIZE``: ten times the services this process runs).
_pool_size = int(os.environ.get("BARE_POOL_SIZE", "10"))
ENGINE = (
    create_engine(_url, pool_size=_pool_size, max_overflow=0, isolation_level="AUTOCOMMIT")
    if _url
    else None
)
# The row approved and both events kept, or neither: one statement.
APPROVE = text(
    "WITH approved AS (UPDATE orders SET status = 'approved' "
    "WHERE id = :order_id AND status = 'placed' RETURNING id) "
    "INSERT INTO outbox (event_id, event_type, body) SELECT e.* FROM approved, "
    "(VALUES (:id_1, :type_1, :body_1), (:id_2, :type_2, :body_2)) AS e"
)
APPLIED = insert(inbox)


class BareOrders:
    name = ORDERS
    dispatch = EventDispatcher(use_confirms=False)

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
            kept = {"order_id": order_id}
            for n, event in enumerate(events, 1):
                kept[f"id_{n}"], kept[f"type_{n}"] = event["event_id"], event["event_type"]
                kept[f"body_{n}"] = json.dumps(event)
            with ENGINE.connect() as connection:
                if not connection.execute(APPROVE, kept).rowcount:
                    raise ValueError(f"order {order_id} is not waiting for approval")
        for event in events:
            self.dispatch(event["event_type"], event)
        return {"id": order_id, "status": "approved"}


def _apply(consumer, event):
    if ENGINE is not None:
        with ENGINE.connect() as connection:
            connection.execute(
                APPLIED,
                {
                    "consumer": consumer,
                    "event_id": event["event_id"],
                    "order_id": event["data"]["order_id"],
                },
            )


def _consumer(class_name, name, event_type):
    """A Nameko service applying ``event_type`` as ``name``: one per consumer of ours."""

    def on_event(self, event):
        _apply(name, event)

    return type(
        class_name, (), {"name": name, "on_event": event_handler(ORDERS, event_type)(on_event)}
    )


# Module attributes, so that ``nameko run bare.services:BareChat`` finds each.
BareFulfillment = _consumer("BareFulfillment", "bare_fulfillment", "order.approved")
BareProfiles = _consumer("BareProfiles", "bare_profiles", "order.approved")
BareChat = _consumer("BareChat", "bare_chat", "order.status_changed")
BareDisputes = _consumer("BareDisputes", "bare_disputes", "order.status_changed")
CONSUMERS = (BareFulfillment, BareProfiles, BareChat, BareDisputes)
