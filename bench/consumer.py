"""5. One consumer's cost: fulfillment on ``order.approved`` (one inbox row, one record, one
outbox row, one published ``fulfillment.opened`` per event).

N valid ``order.approved`` envelopes are published straight to the orders exchange, as the
orders service would (chassis.publishing, one confirm each), while fulfillment consumes them;
the phase ends when fulfillment has applied N more (its inbox holds them). Each is of an order
fulfillment has not heard of (no ``order.placed`` came before), so each opens a record and
announces it; the part checks that it did, N records and N ``fulfillment.opened``. Its CPU per
event is set against the broker's CPU for the same messages (each one published, routed,
delivered and acknowledged, and the event fulfillment publishes in turn).
"""

import time
import uuid

import cpu
from system import approvals_applied, query_rows, wait_for_approvals_applied

from chassis.envelope import new_envelope
from chassis.publishing import EventPublisher

NAME = "consumer"


def approved(order_id: str) -> dict:
    return {
        "order_id": order_id,
        "buyer_org": "acme",
        "supplier_org": "forge",
        "workflow": "manufacturing",
        "workflow_version": 1,
        "status": "approved",
        "lines": [
            {
                "line_id": "1",
                "sku": "BRKT-7",
                "description": "Bracket",
                "quantity": 40,
                "unit_price": 1250,
            }
        ],
    }


def run(infra, report, quick):
    n = 300 if quick else 2000
    infra.start()
    fulfillment_url = infra.database("fulfillment")
    envelopes = [
        new_envelope("order.approved", approved(str(uuid.uuid4())), "orders") for _ in range(n)
    ]
    publisher = EventPublisher(infra.amqp_uri)
    before = approvals_applied(fulfillment_url)

    infra.profiler.start(infra.system)
    cpu_before, started = infra.cpu_snapshot(), time.perf_counter()
    for envelope in envelopes:
        publisher.publish_event(envelope)
    wait_for_approvals_applied(fulfillment_url, before + n, timeout=180)
    elapsed, cpu_after = time.perf_counter() - started, infra.cpu_snapshot()
    infra.profiler.stop(infra.system, NAME)
    ids = [e["data"]["order_id"] for e in envelopes]
    (records, opened), *_ = query_rows(
        fulfillment_url,
        "SELECT (SELECT count(*) FROM fulfillments WHERE order_id = ANY(%s)), "
        "(SELECT count(*) FROM outbox WHERE event_type = 'fulfillment.opened' "
        "AND envelope->'data'->>'order_id' = ANY(%s))",
        (ids, ids),
    )
    if (records, opened) != (n, n):
        raise RuntimeError(
            f"{n} approvals of unknown orders opened {records} records and announced {opened}: "
            "this part no longer measures one row written and one event published per event"
        )
    per_op = cpu.report_per_op(report, NAME, cpu_before, cpu_after, n, elapsed)
    report.metric(f"{NAME}.events_per_s", n / elapsed, "events/s", events=n)
    report.metric(
        f"{NAME}.cpu_fulfillment_over_broker",
        per_op["fulfillment"] / per_op["rabbitmq"],
        "x",
        1.5,
        "<=",
    )
    return {}
