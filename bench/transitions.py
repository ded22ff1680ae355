"""4. Transitions per second through one orders instance, over Nameko RPC (no gateway).

Factory-workflow orders (services/orders/orders/workflows/factory.yaml) are placed over RPC
first, then C=32 green threads, each with its own standalone ClusterRpcProxy (like the gateway's
pool in gateway/gateway/rpc.py lends one proxy per call), walk their orders through every
forward action the workflow defines, counting successful perform_action calls per second:

    confirmed -advance-> in_production -advance-> quality_check -advance-> shipped
    -confirm_receipt-> delivered -post_review(buyer)-> completed

The orders service runs as launched: one instance, MAX_WORKERS=10.
"""

import time
from uuid import uuid4

import cpu
import eventlet
from nameko.standalone.rpc import ClusterRpcProxy
from report import percentile

NAME = "transitions"
CONCURRENCY = 32
BUYER = {"user_id": "tina", "role": "buyer", "org": "acme"}
SUPPLIER = {"user_id": "tom", "role": "supplier", "org": "forge"}
FACTORY_ORDER = {
    "workflow": "factory",
    "supplier_org": "forge",
    "title": "Machined housings",
    "currency": "EUR",
    "lines": [{"sku": "HSG-2", "description": "Housing", "quantity": 20, "unit_price": 4200}],
}
STEPS = [
    (SUPPLIER, "advance", {}),
    (SUPPLIER, "advance", {}),
    (SUPPLIER, "advance", {}),
    (BUYER, "confirm_receipt", {}),
    (BUYER, "post_review", {"rating": 5}),
]
FINAL = "completed"


def _check_workflow():
    """Fail early, naming it, if factory.yaml no longer has these forward actions."""
    from orders.workflow import load_workflows

    factory = max(
        (w for (n, _), w in load_workflows().items() if n == "factory"), key=lambda w: w.version
    )
    missing = {a for _, a, _ in STEPS} - set(factory.actions)
    if missing:
        raise RuntimeError(
            f"the factory workflow has no {sorted(missing)}; update bench/transitions.py"
        )


def run(infra, report, quick):
    _check_workflow()
    infra.start()
    config = {"AMQP_URI": infra.amqp_uri}
    per_worker = 4 if quick else 25  # orders per thread: 5 transitions each
    duration = 10 if quick else 30

    proxies = [ClusterRpcProxy(config, timeout=30) for _ in range(CONCURRENCY)]
    clusters = [p.start() for p in proxies]
    try:
        # Place the orders (timed separately: placement is not a transition).
        orders = [[] for _ in range(CONCURRENCY)]

        def place(k):
            for _ in range(per_worker):
                placed = clusters[k].orders.place_order(
                    BUYER, FACTORY_ORDER, command_id=str(uuid4())
                )
                orders[k].append(placed["id"])

        t0 = time.perf_counter()
        pool = eventlet.GreenPool(CONCURRENCY)
        list(pool.imap(place, range(CONCURRENCY)))
        placed = CONCURRENCY * per_worker
        report.metric(
            "transitions.placed_per_s",
            placed / (time.perf_counter() - t0),
            "orders/s",
            concurrency=CONCURRENCY,
        )

        done, errors, latencies, completed = [0], [], [], [0]
        infra.settle()  # the placements' own events (payments, reactions) are not transitions
        deadline = [None]

        def walk(k):
            cluster = clusters[k]
            for order_id in orders[k]:
                for actor, action, payload in STEPS:
                    if time.perf_counter() > deadline[0]:
                        return
                    t = time.perf_counter()
                    try:
                        view = cluster.orders.perform_action(
                            actor, order_id, action, payload, command_id=str(uuid4())
                        )
                    except Exception as error:
                        errors.append(f"{action}: {error!r}"[:300])
                        break  # this order is stuck; the next one
                    latencies.append((time.perf_counter() - t) * 1000)
                    done[0] += 1
                    if view["status"] == FINAL:
                        completed[0] += 1

        infra.profiler.start(infra.system)
        cpu_before = infra.cpu_snapshot()
        started = time.perf_counter()
        deadline[0] = started + duration
        list(pool.imap(walk, range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
        cpu_after = infra.cpu_snapshot()
        infra.profiler.stop(infra.system, NAME)
    finally:
        for proxy in proxies:
            proxy.stop()
    report.metric(
        "transitions.per_s",
        done[0] / elapsed,
        "transitions/s",
        concurrency=CONCURRENCY,
        transitions=done[0],
        seconds=round(elapsed, 1),
    )
    report.metric("transitions.rpc.p50", percentile(latencies, 50), "ms")
    report.metric("transitions.rpc.p99", percentile(latencies, 99), "ms")
    report.metric("transitions.errors", len(errors), "count")
    report.metric("transitions.orders_completed", completed[0], "orders")
    per_op = cpu.report_per_op(report, "transitions", cpu_before, cpu_after, done[0], elapsed)
    report.metric(
        "transitions.cpu_orders_over_broker_and_database",
        per_op["orders"] / cpu.broker_and_database(per_op),
        "x",
        0.75,
        "<=",
    )
    if errors:
        print(f"bench: transitions: {len(errors)} errors, e.g. {errors[0]}", flush=True)
    return {}
