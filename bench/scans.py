"""6. Carrier scans accepted per second through the gateway's carrier door, single and batched.

The gateway's trivial-request rate (``/healthz``) is measured first in the same run and at the
same concurrency, and each figure is reported as a ratio to it. Scans are in our generic signed
format, each with an event id of its own, for handed-over shipments of one approved order. Like
real carriers, each client scans parcels of its own (two shipments per client), so concurrent
requests do not queue for one shipment's row lock. A 202 is answered only after fulfillment
committed the scan and its effect (docs/adr/0011-carrier-webhooks.md), so the 202's latency is
also the time until the effect is committed: there is no later step to measure.
"""

import hashlib
import hmac
import itertools
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import cpu
import requests
from system import HTTP_TIMEOUT, MANUFACTURING_ORDER, run_concurrently

NAME = "scans"
CONCURRENCY = 32
BATCH = 100
SHIPMENTS_PER_CLIENT = 2


class Door:
    """One carrier's keep-alive connection to the carrier door, signing as a carrier does."""

    def __init__(self, api_url: str, secret: str):
        self.url = f"{api_url}/carriers/bench/scans"
        self.secret = secret.encode()
        self.session = requests.Session()

    def post(self, body: dict, batch: bool) -> requests.Response:
        raw = json.dumps(body).encode()
        moment = str(int(time.time()))
        digest = hmac.new(self.secret, moment.encode() + b"." + raw, hashlib.sha256).hexdigest()
        return self.session.post(
            self.url + ("/batch" if batch else ""),
            data=raw,
            headers={
                "Content-Type": "application/json",
                "X-Carrier-Timestamp": moment,
                "X-Carrier-Signature": f"sha256={digest}",
            },
            timeout=HTTP_TIMEOUT,
        )


def run(infra, report, quick):
    system = infra.start()
    numbers = _shipments(infra)
    healthz = _healthz_rate(system.base_url, 500 if quick else 3000)
    report.metric("scans.healthz.per_s", healthz, "req/s", concurrency=CONCURRENCY)

    secret = system.env["CARRIER_WEBHOOK_SECRET"]
    single_n = 300 if quick else 2000
    before = infra.cpu_snapshot()
    rate, latencies, errors = _ingest(
        system.api_url, secret, single_n, numbers, lambda scan: next(scan), False
    )
    # Where a scan's cost goes, per process: a figure the machine's other load hardly moves.
    _cpu_per_scan(report, "scans.single", infra, before, single_n, single_n / rate)
    report.metric("scans.single.per_s", rate, "scans/s", errors=errors)
    report.latency("scans.single.202", latencies, p99_target=50)
    report.metric("scans.single.ratio_to_healthz", rate / healthz, "x", 0.5, ">=")

    batches = 20 if quick else 150
    before = infra.cpu_snapshot()
    rate, latencies, errors = _ingest(
        system.api_url,
        secret,
        batches,
        numbers,
        lambda scan: {"scans": [next(scan) for _ in range(BATCH)]},
        True,
        per_request=BATCH,
    )
    scanned = batches * BATCH
    _cpu_per_scan(report, "scans.batched", infra, before, scanned, scanned / rate)
    report.metric("scans.batched.per_s", rate, "scans/s", batch=BATCH, errors=errors)
    report.latency("scans.batched.202", latencies)
    report.metric("scans.batched.ratio_to_healthz", rate / healthz, "x", 10, ">=")


def _cpu_per_scan(report, prefix, infra, before, scans, elapsed) -> None:
    per_scan = cpu.report_per_op(report, prefix, before, infra.cpu_snapshot(), scans, elapsed)
    report.metric(f"{prefix}.cpu_ms_per_scan.ours", cpu.ours(per_scan), "ms")


def _shipments(infra) -> list[str]:
    """One approved order split into SHIPMENTS handed-over shipments: their tracking numbers."""
    buyer = infra.client("bea", "buyer", "acme")
    supplier = infra.client("sid", "supplier", "forge")
    many = [{**MANUFACTURING_ORDER["lines"][0], "quantity": CONCURRENCY * SHIPMENTS_PER_CLIENT}]
    order = buyer.post("/orders", {**MANUFACTURING_ORDER, "lines": many}).json()
    supplier.post(f"/orders/{order['id']}/actions/approve", {}).raise_for_status()
    numbers = []
    for _ in range(CONCURRENCY * SHIPMENTS_PER_CLIENT):
        number = f"BENCH-{uuid.uuid4().hex[:12]}"
        deadline = time.monotonic() + 30
        while True:  # fulfillment opens its record when it hears of the order
            response = supplier.post(
                f"/orders/{order['id']}/shipments",
                {
                    "lines": [{"line_id": "L1", "quantity": 1}],
                    "carrier": "bench",
                    "tracking_number": number,
                    "hand_over": True,
                },
            )
            if response.status_code == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        response.raise_for_status()
        numbers.append(number)
    return numbers


def _scans(numbers):
    start = datetime.now(UTC)
    for i in itertools.count():
        yield {
            "event_id": f"bench-{uuid.uuid4().hex}",
            "tracking_number": numbers[i % len(numbers)],
            "status": "in_transit",
            "occurred_at": (start + timedelta(milliseconds=i)).isoformat(),
            "location": "Bench hub",
        }


def _healthz_rate(base_url, n) -> float:
    remaining = iter(range(n))
    done, errors = [0], []

    def worker():
        session = requests.Session()
        for _ in remaining:
            response = session.get(base_url + "/healthz", timeout=HTTP_TIMEOUT)
            if response.ok:
                done[0] += 1
            else:
                errors.append(f"{response.status_code} {response.text[:200]}")

    elapsed = run_concurrently(worker, CONCURRENCY)
    if errors:
        raise RuntimeError(f"/healthz failed {len(errors)} times, e.g. {errors[0]}")
    return done[0] / elapsed


def _ingest(api_url, secret, n, numbers, body, batch, per_request=1):
    """Post ``n`` requests from CONCURRENCY carriers, each scanning its own parcels:
    (scans/s accepted, 202 latencies, errors)."""
    remaining = iter(range(n))
    accepted, latencies, errors = [0], [], []
    own = iter(
        numbers[i : i + SHIPMENTS_PER_CLIENT] for i in range(0, len(numbers), SHIPMENTS_PER_CLIENT)
    )

    def worker():
        door = Door(api_url, secret)
        scan = _scans(next(own))
        for _ in remaining:
            payload = body(scan)
            t0 = time.perf_counter()
            try:
                response = door.post(payload, batch)
            except requests.RequestException as error:
                errors.append(repr(error))
                continue
            if response.status_code == 202:
                latencies.append((time.perf_counter() - t0) * 1000)
                accepted[0] += response.json()["accepted"]
            else:
                errors.append(f"{response.status_code} {response.text[:200]}")

    elapsed = run_concurrently(worker, CONCURRENCY)
    if errors:
        print(f"bench: scans: {len(errors)} errors, e.g. {errors[0]}", flush=True)
    return accepted[0] / elapsed, latencies, len(errors)
