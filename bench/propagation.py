"""2. Event propagation: from the gateway approving an order to fulfillment applying the approval.

Orders are placed first (buyer of acme -> supplier forge, manufacturing, one line), then approved
one at a time by a supplier of forge. t0 is the client's wall clock just before each
POST .../actions/approve; t1 is the ``processed_at`` of fulfillment's inbox row for that order's
``order.approved`` event (the orders outbox says which event that is). Fulfillment's record is
no measure of it: the record opens at ``order.placed``, before the approval.

``propagation.event`` is the event's own part of it, from the approval's commit (the outbox
row's ``created_at``, stamped as the orders transaction ends) to fulfillment's inbox row: the
rest is the HTTP request, the RPC call and the orders transaction.

``propagation.alone``: the same for approvals sent 200 ms apart, so that none meets the
consumers of the one before; with, for comparison, ``/healthz`` through the gateway and the
orders command called over RPC straight from this process (no gateway). Information, no target:
it says how much of the figures above is the path's own length and how much is contention.

Approximation, stated: both clocks are this machine's wall clock (time.time() here,
datetime.now() in the fulfillment worker). On PostgreSQL the inbox row is stamped as the
handler's transaction ends, just before its COMMIT (shared by a batch's events, ADR 23), so t1
precedes the commit by that one round trip: the figure slightly understates propagation, never
overstates it. t1 can never precede t0 (the
event exists only once the approval commits): a negative delay means the bench measured the
wrong thing, and the measurement fails.
"""

import time
import uuid

from nameko.standalone.rpc import ClusterRpcProxy
from report import percentile
from system import (
    APPROVALS_CONSUMER,
    approvals_applied,
    place_orders,
    query_rows,
    wait_for_approvals_applied,
)

NAME = "propagation"
USES = ("hop_p50_ms",)


ALONE_GAP_S = 0.2
SUPPLIER = {"user_id": "sam", "role": "supplier", "org": "forge"}


def run(infra, report, quick, hop_p50_ms=None):
    n = 60 if quick else 300
    alone = 10 if quick else 40
    infra.start()
    buyer = infra.client("alice", "buyer", "acme")
    supplier = infra.client("sam", "supplier", "forge")
    fulfillment_url = infra.database("fulfillment")
    before = approvals_applied(fulfillment_url)

    ids, placed_per_s = place_orders(buyer, n + 2 * alone, concurrency=8)
    ids, alone_ids = ids[:n], ids[n:]
    report.metric("orders.placed_per_s", placed_per_s, "orders/s", concurrency=8)
    infra.settle()  # what placing set off is not the approvals' cost
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
    wait_for_approvals_applied(fulfillment_url, before + len(sent_at), timeout=60)
    delays, hops = _delays(infra, sent_at)
    report.metric("approve.http.p50", percentile(http_ms, 50), "ms")
    # The event's own journey, from the approval's commit (its outbox row is stamped as the
    # transaction ends) to fulfillment's: publishing, routing, consuming, applying.
    report.latency("propagation.event", hops)
    if hop_p50_ms:
        report.metric("propagation.event.p50_over_hop_p50", percentile(hops, 50) / hop_p50_ms, "x")
    report.latency("propagation", delays, p99_target=50)  # p50: the ratio below
    if hop_p50_ms:
        report.metric(
            "propagation.p50_over_hop_p50", percentile(delays, 50) / hop_p50_ms, "x", 10, "<="
        )
    infra.settle()
    _alone(infra, report, supplier, alone_ids[:alone], alone_ids[alone:])
    return {}


def _alone(infra, report, supplier, through_gateway, over_rpc):
    before = approvals_applied(infra.database("fulfillment"))
    sent_at, http_ms, rpc_ms, healthz_ms = {}, [], [], []
    with ClusterRpcProxy({"AMQP_URI": infra.amqp_uri}) as cluster:
        for gateway_id, rpc_id in zip(through_gateway, over_rpc, strict=True):
            t0 = time.perf_counter()
            supplier.session.get(infra.system.base_url + "/healthz").raise_for_status()
            healthz_ms.append((time.perf_counter() - t0) * 1000)
            time.sleep(ALONE_GAP_S)
            t0 = time.perf_counter()
            cluster.orders.perform_action(
                SUPPLIER, rpc_id, "approve", {}, None, command_id=str(uuid.uuid4())
            )
            rpc_ms.append((time.perf_counter() - t0) * 1000)
            time.sleep(ALONE_GAP_S)
            sent, t0 = time.time(), time.perf_counter()
            response = supplier.post(f"/orders/{gateway_id}/actions/approve", {})
            http_ms.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"approval failed: {response.status_code} {response.text}")
            sent_at[gateway_id] = sent
            time.sleep(ALONE_GAP_S)
    wait_for_approvals_applied(infra.database("fulfillment"), before + 2 * len(sent_at), 60)
    delays, hops = _delays(infra, sent_at)
    report.metric("propagation.alone.healthz.p50", percentile(healthz_ms, 50), "ms")
    report.metric("propagation.alone.approve_rpc.p50", percentile(rpc_ms, 50), "ms")
    report.metric("propagation.alone.approve_http.p50", percentile(http_ms, 50), "ms")
    report.metric("propagation.alone.event.p50", percentile(hops, 50), "ms")
    report.metric("propagation.alone.p50", percentile(delays, 50), "ms")


def _delays(infra, sent_at):
    """Per approval sent at ``sent_at[order_id]``: from then to fulfillment applying it, and
    from its commit to fulfillment applying it (ms)."""
    fulfillment_url = infra.database("fulfillment")
    outbox_rows = query_rows(
        infra.database("orders"),
        "SELECT envelope->'data'->>'order_id', event_id, created_at FROM outbox "
        "WHERE event_type = 'order.approved' AND envelope->'data'->>'order_id' = ANY(%s)",
        (list(sent_at),),
    )
    event_of = {order_id: event_id for order_id, event_id, _ in outbox_rows}
    committed_at = {event_id: created_at for _, event_id, created_at in outbox_rows}
    applied_at = dict(
        query_rows(
            fulfillment_url,
            "SELECT event_id, processed_at FROM inbox WHERE consumer = %s AND event_id = ANY(%s)",
            (APPROVALS_CONSUMER, list(event_of.values())),
        )
    )
    unapplied = [oid for oid in sent_at if applied_at.get(event_of.get(oid)) is None]
    if unapplied:
        raise RuntimeError(f"{len(unapplied)} approvals not applied, e.g. order {unapplied[0]}")
    delays = [(applied_at[event_of[oid]].timestamp() - sent_at[oid]) * 1000 for oid in sent_at]
    if min(delays) < 0:
        raise RuntimeError(
            f"approval applied {-min(delays):.1f} ms before it was requested: not a propagation"
        )
    hops = [(applied_at[e] - committed_at[e]).total_seconds() * 1000 for e in event_of.values()]
    return delays, hops
