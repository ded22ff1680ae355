"""6. Carrier scans accepted per second through the gateway's carrier door, single and batched.

The gateway's trivial-request rate (``/healthz``) is measured first in the same run and at the
same concurrency, and each figure is reported as a ratio to it. Scans are in our generic signed
format, each with an event id of its own, for handed-over shipments of one approved order. Like
real carriers, each client scans parcels of its own (two shipments per client), so concurrent
requests do not queue for one shipment's row lock.

A 202 is answered once the broker confirmed the scans' ``carrier.scans_received`` event
(docs/adr/0022-scans-accepted-on-a-broker-confirm.md); fulfillment applies them afterwards. So
there are two latencies per scan:
- ``*.202``: the client's send to the 202, what a carrier waits for;
- ``*.effect``: the client's send (time.time() just before the request) to the ``received_at``
  fulfillment stamped on the scan's row (found by its event id, after waiting until every scan
  sent has landed). Both clocks are this machine's wall clock; ``received_at`` is taken as the
  handler's transaction begins, so the figure understates the commit by its statements (~1 ms),
  as bench/propagation.py states for its own.

Two loads, because a latency target measured under saturation measures the queue, not the
door: with many clients keeping 2 cores busy, Little's law makes every request wait behind the
others (``/healthz`` itself has a p50 of ~110 ms at concurrency 32).
- Saturated: CONCURRENCY clients back to back. Its rates (``scans.single.per_s``,
  ``scans.batched.per_s`` and their ratios to ``/healthz``) are the throughput figures and
  targets; its latencies (``*.saturated.202``, ``*.saturated.effect``) are information.
  ``/healthz``, single and batched scans each run ROUNDS times, in turn, after a round that is
  not measured (each parcel's first scan is news for other services; pools and caches fill).
  A ratio is the median of the rounds' own ratios; alternating the loads makes a slow minute
  of the machine weigh on both terms, and five rounds (each printed) tame the jitter of a
  single one. CONCURRENCY is 64: at 32 neither load reached the door's capacity on this
  machine (64 raised both rates by about 20%, so the ratio hardly moved; 128 added 4% and 11%,
  within the noise), and a 202 waits some 20 ms for RabbitMQ to sync its confirm to disk, time
  that only more requests in flight can fill. Each carrier sends ten batches a round, so that
  a round measures the load, not its connections' set-up.
- Paced: an open loop at a steady PACED_SHARE of the saturated single-scan rate
  (``scans.single.paced_per_s``), each scan sent at its scheduled moment whatever the earlier
  ones are doing, with a ``/healthz`` request beside every HEALTHZ_EVERY-th scan. The 202 target
  (``scans.single.paced.202.p99 <= 50`` ms) and ``scans.single.paced.effect`` are measured here, and
  ``/healthz``'s latency under the same load (``scans.single.paced.healthz``) is reported
  next to it for comparison.
"""

import hashlib
import hmac
import itertools
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import cpu
import eventlet
import eventlet.queue
import requests
from system import HTTP_TIMEOUT, MANUFACTURING_ORDER, query_rows, run_concurrently

NAME = "scans"
CONCURRENCY = 64
BATCH = 100
SHIPMENTS_PER_CLIENT = 2
# The paced load: a quarter of what the door sustains saturated, well below capacity.
PACED_SHARE = 0.25
PACED_MIN_PER_S = 10
# Each saturated load runs ROUNDS times, alternating with the others: its requests per round,
# and the paced load's requests.
ROUNDS = 5
SIZES = {"healthz": 3000, "single": 1500, "batched": 10 * CONCURRENCY, "paced": 600}
QUICK_SIZES = {"healthz": 300, "single": 150, "batched": CONCURRENCY, "paced": 100}
HEALTHZ_EVERY = 4
# How long fulfillment may take to apply every scan sent before the effect is measured.
EFFECT_TIMEOUT_S = 120


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
    secret = system.env["CARRIER_WEBHOOK_SECRET"]
    fulfillment_url = infra.database("fulfillment")
    sizes = QUICK_SIZES if quick else SIZES
    single_sent: dict[str, float] = {}
    measures = {
        "healthz": lambda: _healthz_rate(system.base_url, sizes["healthz"]),
        "single": lambda: _ingest(
            system.api_url, secret, sizes["single"], numbers, next, False, sent=single_sent
        ),
        "batched": lambda: _ingest(
            system.api_url,
            secret,
            sizes["batched"],
            numbers,
            lambda scan: {"scans": [next(scan) for _ in range(BATCH)]},
            True,
        ),
    }
    # A round first, unmeasured: each parcel's first scan is news that sets off work in other
    # services, and pools and statement caches fill.
    for measure in measures.values():
        infra.settle()
        measure()
    single_sent.clear()
    phases = {name: Phase() for name in measures}
    for _ in range(ROUNDS):
        for name, measure in measures.items():
            infra.settle()  # what the phase before set off (fulfillment applying) is done
            phases[name].measure(infra, measure)

    healthz, single, batched = phases["healthz"], phases["single"], phases["batched"]
    # Where each request's CPU goes, per process; the door's share of a scan only: fulfillment
    # applies the scans after the 202, partly after the phase.
    healthz.report_cpu(report, "scans.healthz", "request", 1)
    report.metric(
        "scans.healthz.per_s",
        healthz.median_rate,
        "req/s",
        concurrency=CONCURRENCY,
        rounds=healthz.rounded_rates,
    )
    single.report_cpu(report, "scans.single", "scan", 1)
    report.metric(
        "scans.single.per_s",
        single.median_rate,
        "scans/s",
        errors=single.errors,
        rounds=single.rounded_rates,
    )
    report.metric(
        "scans.single.ratio_to_healthz",
        single.median_ratio_to(healthz),
        "x",
        0.5,
        ">=",
        rounds=single.ratios_to(healthz),
    )
    # Saturated: these measure the queue; information only.
    report.latency("scans.single.saturated.202", single.latencies)
    report.latency("scans.single.saturated.effect", _effect_delays(fulfillment_url, single_sent))

    infra.settle()
    paced_rate = max(PACED_MIN_PER_S, single.median_rate * PACED_SHARE)
    sent: dict[str, float] = {}
    latencies, healthz_ms, errors = _paced(
        system, secret, sizes["paced"], paced_rate, numbers, sent
    )
    report.metric(
        "scans.single.paced_per_s", paced_rate, "scans/s", errors=errors, share=PACED_SHARE
    )
    report.latency("scans.single.paced.202", latencies, p99_target=50)
    report.latency("scans.single.paced.healthz", healthz_ms)
    report.latency("scans.single.paced.effect", _effect_delays(fulfillment_url, sent))

    batched.report_cpu(report, "scans.batched", "scan", BATCH)
    report.metric(
        "scans.batched.per_s",
        batched.median_rate,
        "scans/s",
        batch=BATCH,
        errors=batched.errors,
        rounds=batched.rounded_rates,
    )
    report.latency("scans.batched.saturated.202", batched.latencies)
    report.metric(
        "scans.batched.ratio_to_healthz",
        batched.median_ratio_to(healthz),
        "x",
        10,
        ">=",
        rounds=batched.ratios_to(healthz),
    )


@dataclass
class Outcome:
    """A load's round: its rate (requests or scans per second) and what it took."""

    rate: float
    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


class Phase:
    """One load, measured in ROUNDS rounds that alternate with the other loads' rounds: a
    ratio is taken between rounds run side by side, so that the machine's drift over a run
    (a busy neighbour, a slower minute) weighs on both of its terms alike."""

    def __init__(self):
        self.rates: list[float] = []
        self.latencies: list[float] = []
        self.errors = 0
        self.requests = 0
        self.seconds = 0.0
        self.spent: dict[str, float] = {}

    def measure(self, infra, measure) -> None:
        before = infra.cpu_snapshot()
        outcome = measure()
        for name, spent in cpu.spent(before, infra.cpu_snapshot()).items():
            self.spent[name] = self.spent.get(name, 0.0) + spent
        self.rates.append(outcome.rate)
        self.latencies += outcome.latencies
        self.errors += outcome.errors
        self.requests += outcome.requests
        self.seconds += outcome.seconds

    @property
    def median_rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def rounded_rates(self) -> list[float]:
        return [round(rate, 1) for rate in self.rates]

    def ratios_to(self, other: "Phase") -> list[float]:
        return [
            round(mine / theirs, 3) for mine, theirs in zip(self.rates, other.rates, strict=True)
        ]

    def median_ratio_to(self, other: "Phase") -> float:
        return statistics.median(self.ratios_to(other))

    def report_cpu(self, report, prefix, operation, per_request) -> None:
        """CPU per ``operation``, each request being ``per_request`` of them."""
        zero = dict.fromkeys(self.spent, 0.0)
        per_op = cpu.report_per_op(
            report, prefix, zero, self.spent, self.requests * per_request, self.seconds
        )
        report.metric(f"{prefix}.cpu_ms_per_{operation}.ours", cpu.ours(per_op), "ms")


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


def _healthz_rate(base_url, n) -> Outcome:
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
    return Outcome(done[0] / elapsed, n, elapsed)


def _ingest(api_url, secret, n, numbers, body, batch, sent=None):
    """Post ``n`` requests from CONCURRENCY carriers, each scanning its own parcels:
    their Outcome, at scans/s accepted. ``sent``: event id -> send time, filled in
    for the scans of single-scan requests answered 202."""
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
            wall, t0 = time.time(), time.perf_counter()
            try:
                response = door.post(payload, batch)
            except requests.RequestException as error:
                errors.append(repr(error))
                continue
            if response.status_code == 202:
                latencies.append((time.perf_counter() - t0) * 1000)
                accepted[0] += response.json()["accepted"]
                if sent is not None and not batch:
                    sent[payload["event_id"]] = wall
            else:
                errors.append(f"{response.status_code} {response.text[:200]}")

    elapsed = run_concurrently(worker, CONCURRENCY)
    if errors:
        print(f"bench: scans: {len(errors)} errors, e.g. {errors[0]}", flush=True)
    return Outcome(accepted[0] / elapsed, n, elapsed, latencies, len(errors))


def _paced(system, secret, n, per_s, numbers, sent):
    """Send ``n`` single scans at ``per_s``, each at its scheduled moment (an open loop), and a
    ``/healthz`` beside every HEALTHZ_EVERY-th: (202 latencies, /healthz latencies, errors)."""
    latencies, healthz_ms, errors = [], [], []
    scans = _scans(numbers)
    doors = eventlet.queue.LightQueue()  # keep-alive connections, one per request in flight
    sessions = eventlet.queue.LightQueue()

    def one_scan(payload):
        door = doors.get() if not doors.empty() else Door(system.api_url, secret)
        wall, t0 = time.time(), time.perf_counter()
        try:
            response = door.post(payload, False)
        except requests.RequestException as error:
            errors.append(repr(error))
            return
        finally:
            doors.put(door)
        if response.status_code == 202:
            latencies.append((time.perf_counter() - t0) * 1000)
            sent[payload["event_id"]] = wall
        else:
            errors.append(f"{response.status_code} {response.text[:200]}")

    def one_healthz():
        session = sessions.get() if not sessions.empty() else requests.Session()
        t0 = time.perf_counter()
        try:
            response = session.get(system.base_url + "/healthz", timeout=HTTP_TIMEOUT)
        finally:
            sessions.put(session)
        if response.ok:
            healthz_ms.append((time.perf_counter() - t0) * 1000)

    pool = eventlet.GreenPool(CONCURRENCY * 4)
    start = time.perf_counter()
    for i in range(n):
        eventlet.sleep(max(0.0, start + i / per_s - time.perf_counter()))
        pool.spawn(one_scan, next(scans))
        if i % HEALTHZ_EVERY == 0:
            pool.spawn(one_healthz)
    pool.waitall()
    if errors:
        print(f"bench: scans: paced: {len(errors)} errors, e.g. {errors[0]}", flush=True)
    return latencies, healthz_ms, len(errors)


def _effect_delays(fulfillment_url, sent) -> list[float]:
    """Milliseconds from each scan's send to its row in fulfillment, once every one landed."""
    ids = list(sent)
    deadline = time.monotonic() + EFFECT_TIMEOUT_S
    while True:
        stored = dict(
            query_rows(
                fulfillment_url,
                "SELECT carrier_event_id, received_at FROM scans WHERE carrier_event_id = ANY(%s)",
                (ids,),
            )
        )
        if len(stored) == len(ids):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{len(ids) - len(stored)} of {len(ids)} scans answered 202 never reached "
                f"fulfillment within {EFFECT_TIMEOUT_S} s"
            )
        time.sleep(0.2)
    delays = [(stored[event_id].timestamp() - sent[event_id]) * 1000 for event_id in ids]
    if min(delays) < 0:
        raise RuntimeError(f"a scan was stored {-min(delays):.1f} ms before it was sent")
    return delays
