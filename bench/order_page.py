"""7. The order page's latency with every section present (p50, p99), and the CSV export's rows
per second with the gateway's memory.

Page: a manufacturing order is walked through the API by tools/demo.py (paid by card, approved,
produced, two quality documents, shipped, scanned in transit and delivered, a message to the
supplier) and disputed by its buyer; then its supplier reads GET /orders/{id} over and over
from one keep-alive session. Every answer must have every section and no warning. Then each
section's own RPC (and the order's) is called alone, as many times, from a standalone proxy of
the bench: the page's p99 over the slowest of those p99s says what fetching them at once costs
on top of the slowest (the gateway's HTTP, token and JSON work included).

Export: one order placed through the API is copied N times straight into the orders database
(tests/support/bulk.py); its buyer then streams GET /orders/export.csv, counting lines. The
gateway's resident memory is read from /proc before the export and its high-water mark (VmHWM)
after: the growth is what streaming costs, whatever N is.
"""

import sys
import time
import uuid
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy
from report import percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
from demo import Demo, Walk

from gateway.order_page import ORDER_PAGE_SECTIONS
from support.bulk import copy_order

NAME = "page"
SECTIONS = ("timeline", "fulfillment", "disputes", "claims", "payments", "chat")
DELIVERED = 6  # Walk.paths()["manufacturing"]: the parcel delivered


def run(infra, report, quick):
    system = infra.start()
    demo = Demo(
        system.api_url,
        {
            "JWT_SECRET": infra.jwt_secret,
            "CARRIER_WEBHOOK_SECRET": system.env["CARRIER_WEBHOOK_SECRET"],
        },
        org_suffix=f"-{uuid.uuid4().hex[:6]}",
    )
    _page(demo, infra.amqp_uri, report, reads=100 if quick else 1000)
    _export(infra, system, demo, report, orders=10_000 if quick else 100_000)


def _page(demo, amqp_uri, report, reads):
    walk = Walk(demo, "manufacturing", 0)
    walk.run(DELIVERED)
    complaint = {"reason": "quality", "description": "Scratched brackets"}
    demo.retry_until_known(
        lambda: walk.buyer.call("POST", f"/orders/{walk.order['id']}/disputes", json=complaint)
    )
    path = f"/orders/{walk.order['id']}"
    latencies = []
    for _ in range(reads):
        t0 = time.perf_counter()
        page = walk.supplier.call("GET", path)
        latencies.append((time.perf_counter() - t0) * 1000)
        missing = [name for name in SECTIONS if page[name] is None] + page["warnings"]
        if missing or not page["disputes"] or not page["fulfillment"]["shipments"]:
            raise RuntimeError(f"the order page lacks a section: {missing}")
    report.metric("page.p50", percentile(latencies, 50), "ms", reads=reads)
    report.metric("page.p99", percentile(latencies, 99), "ms", reads=reads)
    slowest, p99 = _slowest_section(amqp_uri, walk, reads)
    report.metric("page.slowest_section_p99", p99, "ms", section=slowest, reads=reads)
    report.metric("page.p99_over_slowest_section_p99", percentile(latencies, 99) / p99, "x")


class _Sections:
    """The services as the page's sections call them (``rpc.call("service.method", ...)``),
    from a standalone proxy of this process: each section alone, no gateway."""

    def __init__(self, cluster):
        self.cluster = cluster

    def call(self, method, *args):
        service, _, name = method.partition(".")
        return getattr(self.cluster[service], name)(*args)


def _slowest_section(amqp_uri, walk, reads):
    """The section (or the order itself) with the highest p99, called one at a time."""
    supplier = walk.supplier
    actor = {"user_id": supplier.name, "role": supplier.role, "org": supplier.org}
    order_id = walk.order["id"]
    calls = {
        "order": lambda rpc: rpc.call("orders.get_order", actor, order_id),
        **{
            name: (lambda rpc, fetch=fetch: fetch(rpc, actor, order_id))
            for name, fetch in ORDER_PAGE_SECTIONS.items()
        },
    }
    p99s = {}
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        rpc = _Sections(cluster)
        for name, call in calls.items():
            latencies = []
            for _ in range(reads):
                t0 = time.perf_counter()
                call(rpc)
                latencies.append((time.perf_counter() - t0) * 1000)
            p99s[name] = percentile(latencies, 99)
    slowest = max(p99s, key=p99s.get)
    return slowest, p99s[slowest]


def _export(infra, system, demo, report, orders):
    buyer = demo.users["alice"]
    request = {
        "workflow": "retail",
        "supplier_org": demo.users["sol"].org,
        "title": "Phone case",
        "currency": "NGN",
        "lines": [{"sku": "CASE-9", "quantity": 2, "unit_price": 450000}],
    }
    already = buyer.call("GET", "/orders/counts")["all"]  # the page's order, for one
    placed = buyer.call("POST", "/orders", json=request)
    copy_order(infra.database("orders"), placed["id"], orders - 1)
    gateway = next(child for child in system.children if child.name == "gateway")
    before = _memory_kib(gateway.proc.pid)
    t0 = time.perf_counter()
    response = buyer.session.get(f"{buyer.api_url}/orders/export.csv", stream=True, timeout=600)
    response.raise_for_status()
    lines = sum(chunk.count(b"\n") for chunk in response.iter_content(64 * 1024))
    elapsed = time.perf_counter() - t0
    after = _memory_kib(gateway.proc.pid)
    rows = lines - 1
    if rows != already + orders:
        raise RuntimeError(f"the export had {rows} rows, not {already + orders}")
    report.metric("export.rows_per_s", rows / elapsed, "rows/s", rows=rows)
    report.metric("export.gateway_rss_before", before["VmRSS"] / 1024, "MiB")
    report.metric("export.gateway_peak_rss", after["VmHWM"] / 1024, "MiB", rows=rows)


def _memory_kib(pid):
    """VmRSS (now) and VmHWM (the peak so far) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values
