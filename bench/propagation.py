"""2. Event propagation: from the gateway approving an order to fulfillment committing its record.

Orders are placed first (buyer of acme -> supplier forge, manufacturing, one line), then approved
one at a time by a supplier of forge. t0 is the client's wall clock just before each
POST .../actions/approve; t1 is the `opened_at` of that order's fulfillments row.

Approximation, stated: both clocks are this machine's wall clock (time.time() here,
datetime.now() in the fulfillment worker). `opened_at` is stamped by the handler just before its
INSERT and COMMIT, so t1 precedes the real commit by that insert and commit (~1 ms or less);
the figure slightly understates propagation, never overstates it.
"""

import time

import psycopg2
from report import percentile
from system import place_orders, wait_for_fulfillments

NAME = "propagation"
USES = ("hop_p50_ms",)


def run(infra, report, quick, hop_p50_ms=None):
    n = 60 if quick else 300
    infra.start()
    buyer = infra.client("alice", "buyer", "acme")
    supplier = infra.client("sam", "supplier", "forge")
    fulfillment_url = infra.database("fulfillment")
    with psycopg2.connect(fulfillment_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM fulfillments")
        before = cursor.fetchone()[0]
    connection.close()

    ids, placed_per_s = place_orders(buyer, n, concurrency=8)
    report.metric("orders.placed_per_s", placed_per_s, "orders/s", concurrency=8)
    sent_at, http_ms, failures = {}, [], []
    for order_id in ids:
        t0 = time.time()
        response = supplier.post(f"/orders/{order_id}/actions/approve", {})
        http_ms.append((time.time() - t0) * 1000)
        if response.status_code == 200:
            sent_at[order_id] = t0
        else:
            failures.append(f"{response.status_code} {response.text[:200]}")
    if failures:
        raise RuntimeError(f"{len(failures)} approvals failed, e.g. {failures[0]}")
    wait_for_fulfillments(fulfillment_url, before + len(sent_at), timeout=60)

    connection = psycopg2.connect(fulfillment_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT order_id, opened_at FROM fulfillments WHERE order_id = ANY(%s)",
            (list(sent_at),),
        )
        opened = dict(cursor.fetchall())
    connection.close()
    delays = [(opened[oid].timestamp() - sent_at[oid]) * 1000 for oid in sent_at]
    report.metric("approve.http.p50", percentile(http_ms, 50), "ms")
    report.latency("propagation", delays, p50_target=10, p99_target=50)
    if hop_p50_ms:
        report.metric(
            "propagation.p50_over_hop_p50", percentile(delays, 50) / hop_p50_ms, "x", 10, "<="
        )
    return {}
