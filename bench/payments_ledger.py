"""6. The payments ledger moved by events, through the running payments service.

Order events are published on the orders exchange exactly as the orders service publishes them
(envelopes of the contracts), for orders of a manufacturing workflow paid with the sandbox's
succeeding test token, so that the payments service alone is measured:

- holds per second: N ``order.placed`` published at once; from the first publish until the
  payments database has N holds (each a pending ledger transaction, after the provider's charge);
- settlements per second: ``order.accepted`` for the rest of them at once; until every release
  is recorded (each settlement posts the hold and records the release with its commission);
- ``order.accepted`` -> ``payment.released``: one at a time, from just before the publish to a
  queue of our own receiving ``payment.released`` (same process, same clock): the consumer,
  its transaction, the outbox and the broker both ways.

Each is given as a ratio to the broker's own figures measured in the same run (raw throughput
and hop p50, bench/broker_hop.py): what the service costs on top of the broker.
"""

import time
import uuid

import eventlet
import psycopg2
from kombu import Connection, Queue
from report import percentile

from chassis.envelope import new_envelope
from chassis.publishing import EventPublisher
from chassis.topology import event_exchange

NAME = "payments"
USES = ("hop_p50_ms", "broker_msgs_per_s")
AMOUNT = 50_000


def _order(order_id: str) -> dict:
    return {
        "order_id": order_id,
        "buyer_org": "acme",
        "supplier_org": "forge",
        "workflow": "manufacturing",
        "workflow_version": 1,
        "status": "ordered",
        "currency": "EUR",
        "amount": AMOUNT,
    }


def placed(order_id: str) -> dict:
    return {
        **_order(order_id),
        "buyer_user": "alice",
        "lines": [{"line_id": "L1", "sku": "B-1", "quantity": 1, "unit_price": AMOUNT}],
        "payment": {"method": "card", "token": "tok_visa"},
    }


def accepted(order_id: str) -> dict:
    return {**_order(order_id), "status": "completed", "accepted_amount": AMOUNT}


def _count(cursor, kind: str, ids: list[str]) -> int:
    cursor.execute(
        "SELECT count(*) FROM ledger_transactions WHERE kind = %s AND order_id = ANY(%s)",
        (kind, ids),
    )
    return cursor.fetchone()[0]


def _wait(url: str, kind: str, ids: list[str], timeout: float = 180) -> float:
    """Seconds until ``ids`` all have a ledger transaction of ``kind``."""
    started = time.monotonic()
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            while _count(cursor, kind, ids) < len(ids):
                if time.monotonic() - started > timeout:
                    raise RuntimeError(f"{kind}: {_count(cursor, kind, ids)} of {len(ids)}")
                eventlet.sleep(0.01)
    finally:
        connection.close()
    return time.monotonic()


def run(infra, report, quick, hop_p50_ms=None, broker_msgs_per_s=None):
    n = 100 if quick else 600
    one_at_a_time = 20 if quick else 100
    infra.start()
    url = infra.database("payments")
    publisher = EventPublisher(infra.amqp_uri)
    ids = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(n)]

    started = time.monotonic()
    for order_id in ids:
        publisher.publish_event(new_envelope("order.placed", placed(order_id), "orders"))
    holds_per_s = n / (_wait(url, "hold", ids) - started)
    report.metric("payments.holds_per_s", holds_per_s, "holds/s", orders=n)

    # order.accepted -> payment.released, one at a time, seen by a queue of our own.
    connection = Connection(infra.amqp_uri)
    tap = Queue(
        f"bench.released.{uuid.uuid4().hex[:8]}",
        exchange=event_exchange("payments"),
        routing_key="payment.released",
        exclusive=True,
    )(connection.default_channel)
    tap.declare()
    delays = []
    try:
        for order_id in ids[:one_at_a_time]:
            t0 = time.perf_counter()
            publisher.publish_event(new_envelope("order.accepted", accepted(order_id), "orders"))
            while True:
                message = tap.get(no_ack=True)
                if message is not None and message.payload["data"]["order_id"] == order_id:
                    delays.append((time.perf_counter() - t0) * 1000)
                    break
                if message is None:
                    eventlet.sleep(0.001)
    finally:
        connection.release()
    report.latency("payments.accepted_to_released", delays)

    rest = ids[one_at_a_time:]
    started = time.monotonic()
    for order_id in rest:
        publisher.publish_event(new_envelope("order.accepted", accepted(order_id), "orders"))
    settlements_per_s = len(rest) / (_wait(url, "release", rest) - started)
    report.metric(
        "payments.settlements_per_s", settlements_per_s, "settlements/s", orders=len(rest)
    )

    if broker_msgs_per_s:
        report.metric("payments.holds_over_broker_throughput", holds_per_s / broker_msgs_per_s, "x")
        report.metric(
            "payments.settlements_over_broker_throughput",
            settlements_per_s / broker_msgs_per_s,
            "x",
        )
    if hop_p50_ms:
        report.metric(
            "payments.accepted_to_released_p50_over_hop_p50",
            percentile(delays, 50) / hop_p50_ms,
            "x",
        )
    return {}
