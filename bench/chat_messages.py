"""5. Chat: messages posted per second through the gateway (the contact filter on every one),
and the time from an order event to its notification being readable in the feed.

Messages: K orders are placed and chat is waited for until it knows each (its order.placed
consumer); then C concurrent clients (each its own keep-alive session) post ordinary order talk
(tolerances, dates, prices, part and tracking numbers: what the filter must let through) into
those orders' buyer-supplier conversations. Only 201 answers count.

Notifications: t0 is the order's `placed_at` in the orders database (stamped in the transaction
that writes the order.placed outbox row), t1 the `created_at` of the supplier's notification in
chat's database (stamped by the consumer just before its commit). Both are this machine's wall
clock; the figure is reported as a ratio to the broker's own publish->consume hop.
"""

import itertools
import sys
import time

import psycopg2
from report import percentile
from system import place_orders, run_concurrently

NAME = "chat"
USES = ("hop_p50_ms",)
CONCURRENCY = 16
TALK = [
    "Can you hold ±0.05 mm on the bore? Ra 1.6 on the sealing face.",
    "We ship 500 pcs on 2026-05-14, tracking 1Z999AA10123456784 to follow.",
    "Unit price stays at $12.50, total $6,250.00 for P/N 88-1203-45 rev C.",
    "Order #100234567: first article passed, photos in the next message.",
    "Thread M6x1.0, depth 12 mm, 4 places; anodize black to 12-15 microns.",
]


def run(infra, report, quick, hop_p50_ms=None):
    orders_n, messages_n = (20, 300) if quick else (50, 2000)
    infra.start()
    buyer = infra.client("cleo", "buyer", "acme")
    supplier = infra.client("sol", "supplier", "forge")
    ids, _ = place_orders(buyer, orders_n, concurrency=8)
    _wait_until_chat_knows(supplier, ids)

    _notification_latency(infra, report, ids, hop_p50_ms)

    slots = itertools.cycle(itertools.product(ids, TALK))
    remaining = iter(range(messages_n))
    ok, errors, latencies = [0], [], []

    def worker():
        client = supplier.clone()
        for _ in remaining:
            order_id, body = next(slots)
            t0 = time.perf_counter()
            try:
                response = client.post(
                    f"/orders/{order_id}/conversations/order/messages", {"body": body}
                )
            except Exception as error:  # a timeout or a reset counts as an error
                errors.append(repr(error))
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            if response.status_code == 201:
                ok[0] += 1
            else:
                errors.append(f"{response.status_code} {response.text[:200]}")

    elapsed = run_concurrently(worker, CONCURRENCY)
    report.metric(
        f"chat.messages.c{CONCURRENCY}.per_s",
        ok[0] / elapsed,
        "messages/s",
        errors=len(errors),
        p50_ms=round(percentile(latencies, 50), 1),
        p99_ms=round(percentile(latencies, 99), 1),
    )
    if errors:
        print(f"bench: chat messages: {len(errors)} errors, e.g. {errors[0]}", file=sys.stderr)
    return {}


def _wait_until_chat_knows(client, ids, timeout=60):
    deadline = time.monotonic() + timeout
    for order_id in ids:
        while client.get(f"/orders/{order_id}/conversations").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"chat did not hear of order {order_id} in {timeout}s")
            time.sleep(0.05)


def _notification_latency(infra, report, ids, hop_p50_ms):
    with psycopg2.connect(infra.database("orders")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id, placed_at FROM orders WHERE id = ANY(%s)", (ids,))
        placed = dict(cursor.fetchall())
    connection.close()
    with psycopg2.connect(infra.database("chat")) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT order_id, created_at FROM notifications "
            "WHERE event_type = 'order.placed' AND order_id = ANY(%s)",
            (ids,),
        )
        notified = dict(cursor.fetchall())
    connection.close()
    delays = [
        (notified[oid] - placed[oid]).total_seconds() * 1000 for oid in ids if oid in notified
    ]
    report.latency("chat.notification", delays)
    if hop_p50_ms:
        report.metric(
            "chat.notification.p50_over_hop_p50", percentile(delays, 50) / hop_p50_ms, "x"
        )
