"""7. The order page's latency with every section present (p50, p99), and the CSV export's rows
per second with the gateway's memory.

Page: a manufacturing order is walked through the API by tools/demo.py (paid by card, approved,
produced, two quality documents, shipped, scanned in transit and delivered, a message to the
supplier) and disputed by its buyer; then its supplier reads GET /orders/{id} over and over
from one keep-alive session. Every answer must have every section and no warning.

Export: one order placed through the API is copied N times straight into the orders database
(tests/support/bulk.py); its buyer then streams GET /orders/export.csv, counting lines. The
gateway's resident memory is read from /proc before the export and its high-water mark (VmHWM)
after: the growth is what streaming costs, whatever N is.
"""

import sys
import time
import uuid
from pathlib import Path

from report import percentile
from system import query_rows

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
from demo import Demo, Walk

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
    _page(demo, report, reads=100 if quick else 1000)
    _export(infra, system, demo, report, orders=10_000 if quick else 100_000)


def _page(demo, report, reads):
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


def _export(infra, system, demo, report, orders):
    buyer = demo.users["alice"]
    request = {
        "workflow": "retail",
        "supplier_org": demo.users["sol"].org,
        "title": "Phone case",
        "currency": "NGN",
        "lines": [{"sku": "CASE-9", "quantity": 2, "unit_price": 450000}],
    }
    # The export holds every order of the buyer's organisation: the page's walk placed some.
    (earlier,) = query_rows(
        infra.database("orders"), "SELECT count(*) FROM orders WHERE buyer_org = %s", (buyer.org,)
    )[0]
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
    if rows != earlier + orders:
        raise RuntimeError(f"the export had {rows} rows, not {earlier} + {orders}")
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
