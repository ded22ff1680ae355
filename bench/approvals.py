"""3. Approvals per second through the gateway, end to end.

N manufacturing orders per concurrency level are placed first (not timed here); then a pool of
C concurrent clients (green threads, each its own requests.Session and keep-alive connection)
approves them as a supplier of forge, counting only 200 responses. Before each level the
system is let settle: fulfillment has applied every approval so far (its inbox holds the
``order.approved`` of each; its record opened already at ``order.placed``).
"""

import time

import cpu
from report import percentile
from system import (
    approvals_applied,
    check_approvals_applied_once,
    place_orders,
    run_concurrently,
    wait_for_approvals_applied,
)

NAME = "approvals"
LEVELS = (16, 32, 64)


def run(infra, report, quick):
    n = 200 if quick else 1000
    levels = LEVELS[:1] if quick else LEVELS
    infra.start()
    buyer = infra.client("bea", "buyer", "acme")
    supplier = infra.client("sid", "supplier", "forge")
    fulfillment_url = infra.database("fulfillment")
    ids, placed_per_s = place_orders(buyer, n * len(levels), concurrency=16)
    report.metric(
        "approvals.placed_per_s", placed_per_s, "orders/s", concurrency=16, orders=len(ids)
    )

    approved_before = approvals_applied(fulfillment_url)
    infra.settle()  # what placing set off is not the approvals' cost

    best = None
    total_errors = 0
    total_ok, total_s = 0, 0.0
    for i, concurrency in enumerate(levels):
        wait_for_approvals_applied(fulfillment_url, approved_before, timeout=180)
        batch = iter(ids[i * n : (i + 1) * n])
        ok, errors, latencies = [0], [], []

        def worker():
            client = supplier.clone()
            for order_id in batch:
                t0 = time.perf_counter()
                try:
                    response = client.post(f"/orders/{order_id}/actions/approve", {})
                except Exception as error:  # a timeout or a reset counts as an error
                    errors.append(repr(error))
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                if response.status_code == 200:
                    ok[0] += 1
                else:
                    errors.append(f"{response.status_code} {response.text[:200]}")

        if i == 0:
            infra.profiler.start(infra.system)
            cpu_first, wall_first = infra.cpu_snapshot(), time.perf_counter()
        elapsed = run_concurrently(worker, concurrency)
        total_ok += ok[0]
        total_s += elapsed
        rate = ok[0] / elapsed
        approved_before += ok[0]
        total_errors += len(errors)
        report.metric(
            f"approvals.c{concurrency}.per_s",
            rate,
            "approvals/s",
            errors=len(errors),
            p50_ms=round(percentile(latencies, 50), 1),
            p99_ms=round(percentile(latencies, 99), 1),
        )
        if errors:
            print(
                f"bench: approvals at {concurrency}: {len(errors)} errors, e.g. {errors[0]}",
                flush=True,
            )
        if best is None or rate > best[0]:
            best = (rate, concurrency, len(errors))
    lag = wait_for_approvals_applied(fulfillment_url, approved_before, timeout=180)
    # Over all levels and the final catch-up: everything one approval costs, events included.
    cpu_end = infra.cpu_snapshot()
    infra.profiler.stop(infra.system, NAME)
    per_op = cpu.report_per_op(
        report, "approvals", cpu_first, cpu_end, total_ok, time.perf_counter() - wall_first
    )
    report.metric("approvals.cpu_ms_per_op.ours", cpu.ours(per_op), "ms")
    report.metric(
        "approvals.cpu_ours_over_broker_and_database",
        cpu.ours(per_op) / cpu.broker_and_database(per_op),
        "x",
        1.0,
        "<=",
    )
    check_approvals_applied_once(infra, report)
    report.metric("approvals.best_per_s", best[0], "approvals/s")
    report.metric("approvals.best_concurrency", best[1], "clients")
    report.metric("approvals.errors", total_errors, "count")
    report.metric("approvals.fulfillment_catch_up_s", lag, "s")
    return {
        "approval_ours_ms": cpu.ours(per_op),
        "approval_broker_and_database_ms": cpu.broker_and_database(per_op),
    }
