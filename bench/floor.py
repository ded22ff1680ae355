"""The stack's floor: what an approval costs when only the frameworks carry it.

The issue's approvals target asks our processes to spend no more CPU per approval than RabbitMQ
and PostgreSQL together. This part asks how much of that budget the frameworks the architecture
prescribes spend before any of our code runs: the bare stack (``bare/``) sends an approval's
messages and writes its rows through them, set up as cheaply as they go, and does nothing else.
Its gateway is a Flask app on eventlet's WSGI server calling over the gateway's own pool of
Nameko RPC proxies; its orders service approves one row and keeps the two events in an outbox
in one statement (SQLAlchemy Core, psycopg2), publishes them with Nameko's dispatcher and
answers; four consumers, one process each as ours, insert one inbox row per event. No broker
confirm is waited for (ours wait for one per call and per batch of events), every statement is
its own transaction (no BEGIN or COMMIT sent), and there is no token, contract, validation,
workflow, lock, idempotency record or outbox relay.

Three variants, each with its own processes: ``floor.messages`` writes nothing (the messages
alone), ``floor.statements`` writes the rows above, and ``floor.together`` does too with its
four consumers in one process (ADR 26: what fewer processes per event would buy). Each is
loaded like the approvals part
(1,000 approvals per level at 16, 32 and 64 clients, after 300 at 64 that open every
connection) and prints the CPU per approval of each of its processes, of RabbitMQ and of
PostgreSQL (this variant's database only), then:

- ``floor.<variant>.stack_over_broker_and_database``: its Python over its own broker and
  database: the approvals ratio of a system with no code of its own;
- ``floor.<variant>.stack_over_approval_broker_and_database``: its Python over the broker and
  database of the real approvals measured earlier in the same run: the approvals ratio ours
  would have were all our code free (``--only approvals,floor`` gives both);
- ``floor.<variant>.stack_over_ours``: its Python over ours, per approval.

What it is not: a bound on our consumers per event. Nameko's ``event_handler`` starts a worker
per message; ours start one per burst and apply it in one transaction (ADR 23), so under load
they could spend less per event than the bare ones. Nor of the ratio: a system that gives the
database more work per millisecond of Python (set-based statements, say) lowers it.

``floor.<variant>.propagation``, for those that write, does for the bare stack what the
propagation part does for ours: one
approval at a time, from the client's clock before the POST to the bare fulfillment's inbox row
(stamped by PostgreSQL's ``clock_timestamp()`` at its insert; the same machine's clock), with
its p50 over the bare hop measured by the broker part.
"""

import os
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import cpu
import psycopg2
import requests
from bare.services import CONSUMERS, ORDERS
from bare.tables import metadata
from report import RESULTS, percentile
from sqlalchemy import create_engine
from system import (
    AUTH,
    BROKER_PORT,
    MANAGEMENT,
    Client,
    query_rows,
    quieted,
    run_concurrently,
)

from chassis.database import normalise_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from launch import Child, ChildExited, free_port, stop_children

NAME = "floor"
USES = ("hop_p50_ms", "approval_broker_and_database_ms", "approval_ours_ms")
# Each variant: whether it writes its rows, and whether its four consumers share one process.
VARIANTS = {"messages": (False, False), "statements": (True, False), "together": (True, True)}
LEVELS = (16, 32, 64)
WARM_UP = 300
WORKERS = 10  # Nameko's default max_workers, per service
LOG = RESULTS / "bare.log"
ORDERS_PATH = "bare.services:BareOrders"
# ``bare_fulfillment`` -> ``fulfillment``: the names the approvals part gives ours.
CONSUMER_PATHS = {c.name.removeprefix("bare_"): f"bare.services:{c.__name__}" for c in CONSUMERS}


def run(
    infra,
    report,
    quick,
    hop_p50_ms=None,
    approval_broker_and_database_ms=None,
    approval_ours_ms=None,
):
    n = 200 if quick else 1000
    levels = LEVELS[:1] if quick else LEVELS
    LOG.write_text("")  # this run's output only
    for variant, (writes, together) in VARIANTS.items():
        url = None
        if writes:
            url = infra.database("bare", key=f"bare-{variant}", migrated=False)
            engine = create_engine(normalise_url(url))
            metadata.create_all(engine)
            engine.dispose()
        with BareStack(infra.amqp_uri, infra.vhost, url, together) as stack:
            per_op = _load(stack, report, f"floor.{variant}", n, levels, url)
            stack_ms = cpu.ours(per_op)
            report.metric(f"floor.{variant}.cpu_ms_per_op.stack", stack_ms, "ms")
            report.metric(
                f"floor.{variant}.stack_over_broker_and_database",
                stack_ms / cpu.broker_and_database(per_op),
                "x",
            )
            if approval_broker_and_database_ms:
                report.metric(
                    f"floor.{variant}.stack_over_approval_broker_and_database",
                    stack_ms / approval_broker_and_database_ms,
                    "x",
                )
            if approval_ours_ms:
                report.metric(f"floor.{variant}.stack_over_ours", stack_ms / approval_ours_ms, "x")
            if writes:
                _propagation(stack, report, variant, url, 60 if quick else 300, hop_p50_ms)
    return {}


def _load(stack, report, prefix, n, levels, url):
    """``n`` approvals at each level of clients; CPU per approval over all of them."""
    ids = _orders(url, n * len(levels) + WARM_UP)
    warm, ids = ids[:WARM_UP], ids[WARM_UP:]
    # At the most clients measured, so that every RPC proxy and every database connection the
    # load will use is open before it: opening them is not an approval's cost, and a backend
    # that connects during the measurement would not be counted (cpu.py).
    _approve_all(stack, warm, max(levels))
    stack.settle()
    before, started, total = stack.cpu_snapshot(), time.perf_counter(), 0
    for i, concurrency in enumerate(levels):
        ok, elapsed = _approve_all(stack, ids[i * n : (i + 1) * n], concurrency)
        total += ok
        report.metric(f"{prefix}.c{concurrency}.per_s", ok / elapsed, "approvals/s")
        stack.check_alive()
    # The end: the consumers have applied every event (their CPU counts), before the quiet
    # time that says so.
    after, ended = stack.settle(), time.perf_counter()
    per_op = cpu.report_per_op(report, prefix, before, after, total, ended - started)
    if url:
        applied = query_rows(url, "SELECT count(*) FROM inbox")[0][0]
        report.metric(f"{prefix}.events_applied", applied, "events", 4 * (total + len(warm)), ">=")
    return per_op


def _orders(url, n):
    ids = [str(uuid.uuid4()) for _ in range(n)]
    if url:
        connection = psycopg2.connect(url)
        with connection, connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO orders (id, status) VALUES (%s, 'placed')", [(i,) for i in ids]
            )
        connection.close()
    return ids


def _approve_all(stack, ids, concurrency):
    """Approve ``ids`` with ``concurrency`` clients; (approvals answered 200, seconds)."""
    waiting, ok, errors = iter(ids), [0], []

    def worker():
        client = Client(stack.url, "")
        for order_id in waiting:
            response = client.post(f"/orders/{order_id}/actions/approve", {})
            if response.status_code == 200:
                ok[0] += 1
            else:
                errors.append(f"{response.status_code} {response.text[:200]}")

    elapsed = run_concurrently(worker, concurrency)
    if errors:
        raise RuntimeError(f"{len(errors)} bare approvals failed, e.g. {errors[0]}")
    return ok[0], elapsed


def _propagation(stack, report, variant, url, n, hop_p50_ms):
    ids = _orders(url, n)
    stack.settle()
    client, sent_at = Client(stack.url, ""), {}
    for order_id in ids:
        t0 = time.time()
        client.post(f"/orders/{order_id}/actions/approve", {}).raise_for_status()
        sent_at[order_id] = t0
    deadline = time.monotonic() + 60
    query = "SELECT order_id, processed_at FROM inbox WHERE consumer = %s AND order_id = ANY(%s)"
    while len(applied := query_rows(url, query, ("bare_fulfillment", ids))) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bare fulfillment applied {len(applied)} of {n} in 60 s")
        time.sleep(0.05)
    applied_at = dict(applied)
    delays = [(applied_at[i].timestamp() - sent_at[i]) * 1000 for i in ids]
    if min(delays) < 0:
        raise RuntimeError("a bare approval was applied before it was sent: not a propagation")
    prefix = f"floor.{variant}.propagation"
    report.latency(prefix, delays)
    if hop_p50_ms:
        report.metric(f"{prefix}.p50_over_hop_p50", percentile(delays, 50) / hop_p50_ms, "x")


class BareStack:
    """The bare gateway, orders and four consumers, each a process (``together``: the four
    consumers in one); stopped on exit."""

    def __init__(self, amqp_uri, vhost, database_url, together=False):
        self.amqp_uri, self.vhost, self.database_url = amqp_uri, vhost, database_url
        self.together = together
        self.port = free_port("127.0.0.1")
        self.url = f"http://127.0.0.1:{self.port}"
        self.children = []
        self._log = None

    def __enter__(self):
        python = Path(sys.executable)
        env = {
            **os.environ,
            "AMQP_URI": self.amqp_uri,
            "BARE_DATABASE_URL": normalise_url(self.database_url or ""),
            "BARE_PORT": str(self.port),
            "PYTHONPATH": str(Path(__file__).resolve().parent),
        }
        nameko = [str(python.parent / "nameko"), "run", "--broker", self.amqp_uri]
        processes = {"orders": [ORDERS_PATH]}
        if self.together:
            processes["consumers"] = list(CONSUMER_PATHS.values())
        else:
            processes |= {name: [path] for name, path in CONSUMER_PATHS.items()}
        # The gateway last, so that it is stopped first (launch.stop_children).
        commands = {
            **{name: nameko + paths for name, paths in processes.items()},
            "gateway": [str(python), "-m", "bare.gateway"],
        }
        self._log = open(LOG, "a")
        lock, width = threading.Lock(), max(map(len, commands))
        try:
            for name, argv in commands.items():
                if name in processes:  # a Nameko process: a connection per worker
                    child_env = env | {"BARE_POOL_SIZE": str(WORKERS * len(processes[name]))}
                else:
                    child_env = env
                self.children.append(Child(name, argv, child_env, self._log, lock, width))
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        stop_children(self.children)
        self._log.close()
        try:
            self._delete_queues()
        except requests.RequestException as error:  # never in place of the error that ended us
            print(f"bench: the bare stack's queues were not deleted: {error}", flush=True)

    def check_alive(self):
        """Raise if a process of the stack has exited: its figures would be missing."""
        for child in self.children:
            if child.proc.poll() is not None:
                raise ChildExited(child)

    def _wait_ready(self, timeout=60):
        """Until the gateway answers and every queue has its consumer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                requests.get(self.url + "/healthz", timeout=2).raise_for_status()
                if len(self._queues()) >= 1 + len(CONSUMERS):  # the RPC queue and four more
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"the bare stack was not ready in {timeout} s; see {LOG}")

    def _queues(self, consumed=True):
        """The stack's queues (``consumed``: those with a consumer), by name."""
        vhost = quote(self.vhost, safe="")
        listed = requests.get(f"{MANAGEMENT}/queues/{vhost}", auth=AUTH, timeout=5)
        listed.raise_for_status()
        return {
            q["name"]: q
            for q in listed.json()
            if ORDERS in q["name"] and (q.get("consumers") or not consumed)
        }

    def cpu_snapshot(self):
        # No database: count PostgreSQL's background processes only (an empty list would
        # count every backend of the server), as a database nobody connects to does.
        databases = [self.database_url.rsplit("/", 1)[1]] if self.database_url else ["-"]
        return cpu.snapshot(self, broker_port=BROKER_PORT, databases=databases)

    def settle(self, timeout=60, quiet=0.05, window=0.5):
        """Wait until no message waits in the stack's queues and its processes are quiet;
        returns the CPU snapshot taken as they fell quiet."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            settled = quieted(self.cpu_snapshot, max(remaining, window), quiet, window)
            self.check_alive()
            if settled is not None and not self._waiting():
                return settled
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bare stack was still busy after {timeout} s")

    def _waiting(self):
        """How many messages the broker holds in the stack's queues, delivered or not (the
        management API's count, refreshed every few seconds: a positive answer may be stale,
        never a zero while the processes are quiet)."""
        return sum(q.get("messages", 0) for q in self._queues(consumed=False).values())

    def _delete_queues(self):
        """Nameko's queues outlive their consumers: the next variant must not find them with
        the consumer counts of this one."""
        vhost = quote(self.vhost, safe="")
        for name in self._queues(consumed=False):
            requests.delete(
                f"{MANAGEMENT}/queues/{vhost}/{quote(name, safe='')}", auth=AUTH, timeout=5
            ).raise_for_status()
