"""A fresh RabbitMQ vhost and fresh PostgreSQL databases per run, the whole system on them, and
clean-up of everything created (databases dropped, vhost deleted) whatever happens.

Like tests/e2e/conftest.py: each component's database is migrated with Alembic, the system is
started with tools/launch.py's start_system, and tokens are minted with gateway.tokens.mint.
"""

import os
import secrets
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import cpu
import eventlet
import psycopg2
import requests
from alembic import command
from alembic.config import Config
from cpu_profile import Profiler
from report import RESULTS

from chassis.topology import consumer_queue_name
from gateway.tokens import mint

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from launch import component_dirs, start_system

PG_BASE = "postgresql://postgres@127.0.0.1:5432"
# A broker of the bench's own (say, a second RabbitMQ node on other ports) keeps other users'
# traffic out of its CPU figures: BENCH_BROKER=guest:guest@127.0.0.1:5673
# BENCH_MANAGEMENT=http://127.0.0.1:15673/api.
BROKER = os.environ.get("BENCH_BROKER", "guest:guest@127.0.0.1:5672")
BROKER_PORT = int(BROKER.rsplit(":", 1)[1])
MANAGEMENT = os.environ.get("BENCH_MANAGEMENT", "http://127.0.0.1:15672/api")
AUTH = ("guest", "guest")
HTTP_TIMEOUT = 30

# A manufacturing order: the workflow requires the committed dates.
MANUFACTURING_ORDER = {
    "workflow": "manufacturing",
    "supplier_org": "forge",
    "title": "Anodised brackets",
    "currency": "EUR",
    "committed_ship_by": "2031-05-01",
    "committed_deliver_by": "2031-05-15",
    "lines": [
        {"sku": "BRKT-7", "description": "Bracket, 6061-T6", "quantity": 40, "unit_price": 1250}
    ],
}


def migrate(component: str, url: str) -> None:
    config = Config(str(component_dirs()[component] / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")


class Infra:
    """Everything one run creates; close() removes all of it."""

    def __init__(self, replicas: int = 1, profile: bool = False):
        # Replicas of the services that scale out on shared queues.
        self.replicas = {"orders": replicas, "fulfillment": replicas}
        self.run_id = uuid.uuid4().hex[:8]
        self.vhost = None
        self.databases: dict[str, str] = {}  # key -> url
        self.system = None
        self.jwt_secret = secrets.token_urlsafe(32)
        self.profiler = Profiler(profile)
        self._log = None

    # --- broker ------------------------------------------------------------------------------
    @property
    def amqp_uri(self) -> str:
        if self.vhost is None:
            name = f"bench-{self.run_id}"
            vhost_url = f"{MANAGEMENT}/vhosts/{quote(name, safe='')}"
            requests.put(vhost_url, auth=AUTH, timeout=10).raise_for_status()
            self.vhost = name  # created: delete it on close even if the next call fails
            requests.put(
                f"{MANAGEMENT}/permissions/{quote(name, safe='')}/guest",
                auth=AUTH,
                json={"configure": ".*", "write": ".*", "read": ".*"},
                timeout=10,
            ).raise_for_status()
        return f"amqp://{BROKER}/{quote(self.vhost, safe='')}"

    # --- databases ---------------------------------------------------------------------------
    def _admin(self):
        connection = psycopg2.connect(f"{PG_BASE}/postgres")
        connection.autocommit = True
        return connection

    def database(self, component: str, key: str | None = None, migrated: bool = True) -> str:
        """A fresh database bench_<component>_<random>, migrated; created once per key."""
        key = key or component
        if key not in self.databases:
            name = f"bench_{component}_{uuid.uuid4().hex[:10]}"
            admin = self._admin()  # not `with admin`: psycopg2 would open a transaction
            try:
                with admin.cursor() as cursor:
                    cursor.execute(f'CREATE DATABASE "{name}"')
            finally:
                admin.close()
            url = f"{PG_BASE}/{name}"
            self.databases[key] = url
            if migrated:
                migrate(component, url)
        return self.databases[key]

    # --- the system --------------------------------------------------------------------------
    def start(self):
        if self.system is not None:
            return self.system
        env = {
            "DATA_DIR": str(RESULTS / f"data-{self.run_id}"),
            "AMQP_URI": self.amqp_uri,
            "JWT_SECRET": self.jwt_secret,
            "CARRIER_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "LOG_LEVEL": "WARNING",
            **self.profiler.env(),
            **{f"{name.upper()}_DATABASE_URL": self.database(name) for name in component_dirs()},
        }
        self._log = open(RESULTS / "system.log", "w")
        started = time.monotonic()
        # Migrated above with Alembic; launch still declares the topology.
        self.system = start_system(
            env, port=0, output=self._log, run_migrations=False, replicas=self.replicas
        )
        print(
            f"bench: system up in {time.monotonic() - started:.1f}s at {self.system.api_url} "
            f"(vhost {self.vhost}; output in {self._log.name})",
            file=sys.stderr,
            flush=True,
        )
        return self.system

    def stop_system(self):
        if self.system is not None:
            self.system.stop()
            self.system = None

    def cpu_snapshot(self) -> dict:
        """CPU so far of every process (see cpu.py); PostgreSQL only for this run's databases."""
        return cpu.snapshot(
            self.system,
            broker_port=BROKER_PORT,
            databases=[url.rsplit("/", 1)[1] for url in self.databases.values()],
        )

    def settle(self, timeout: float = 60, quiet: float = 0.05, window: float = 0.5) -> None:
        """Wait until our processes are quiet (below ``quiet`` of a core over ``window``): what
        an earlier step set off (consumers catching up) must not weigh on the next measurement."""
        if self.system is not None and quieted(self.cpu_snapshot, timeout, quiet, window) is None:
            print(f"bench: still busy after {timeout:.0f}s; measuring anyway", flush=True)

    def client(self, sub: str, role: str, org: str) -> "Client":
        return Client(self.start().api_url, mint(sub, role, org, ttl=3600, key=self.jwt_secret))

    # --- clean-up ----------------------------------------------------------------------------
    def close(self):
        problems = []
        try:
            self.stop_system()
        except Exception as error:  # keep cleaning
            problems.append(f"stopping the system: {error}")
        if self._log is not None:
            self._log.close()
        if self.profiler.enabled:
            self.profiler.close()
        if self.databases:
            try:
                admin = self._admin()
                with admin.cursor() as cursor:
                    for url in self.databases.values():
                        cursor.execute(
                            f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'
                        )
                admin.close()
                self.databases.clear()
            except Exception as error:
                problems.append(f"dropping databases {list(self.databases.values())}: {error}")
        if self.vhost is not None:
            try:
                requests.delete(
                    f"{MANAGEMENT}/vhosts/{quote(self.vhost, safe='')}", auth=AUTH, timeout=30
                ).raise_for_status()
                self.vhost = None
            except Exception as error:
                problems.append(f"deleting vhost {self.vhost}: {error}")
        data_dir = RESULTS / f"data-{self.run_id}"
        if data_dir.exists():
            for path in sorted(data_dir.rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
            data_dir.rmdir()
        for problem in problems:
            print(f"bench: clean-up failed, {problem}", file=sys.stderr, flush=True)


def quieted(snapshot, timeout: float, quiet: float, window: float) -> dict | None:
    """Once our processes (``snapshot``: ``cpu.snapshot`` of them) spent less than ``quiet`` of
    a core over ``window`` seconds, the snapshot that window began with (the end of what they
    were doing); None if they did not within ``timeout``."""
    deadline = time.monotonic() + timeout
    before, start = snapshot(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(window)
        after, now = snapshot(), time.monotonic()
        if cpu.ours_busy(before, after, now - start) < quiet:
            return before
        before, start = after, now
    return None


class Client:
    """One API user with its own token and HTTP session (keep-alive)."""

    def __init__(self, api_url: str, token: str):
        self.api_url = api_url
        self.token = token
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def clone(self) -> "Client":
        return Client(self.api_url, self.token)

    def post(self, path, json=None, **kwargs):
        return self.session.post(self.api_url + path, json=json, timeout=HTTP_TIMEOUT, **kwargs)

    def get(self, path, **kwargs):
        return self.session.get(self.api_url + path, timeout=HTTP_TIMEOUT, **kwargs)


def place_orders(
    buyer: Client, n: int, concurrency: int = 16, order: dict = MANUFACTURING_ORDER
) -> tuple[list[str], float]:
    """Place n orders through the gateway; returns their ids and the placements per second."""
    ids, failures = [], []
    remaining = iter(range(n))

    def worker():
        client = buyer.clone()
        for _ in remaining:
            response = client.post("/orders", order)
            if response.status_code == 201:
                ids.append(response.json()["id"])
            else:
                failures.append(f"{response.status_code} {response.text[:300]}")

    elapsed = run_concurrently(worker, concurrency)
    if failures:
        raise RuntimeError(f"{len(failures)} of {n} placements failed, e.g. {failures[0]}")
    return ids, len(ids) / elapsed


# Fulfillment's inbox row for an ``order.approved`` is written in the transaction that applies
# it: the one trace of an approval's effect whatever the record already held (fulfillment opens
# its record at ``order.placed`` too, so the record alone says nothing of the approval).
APPROVALS_CONSUMER = consumer_queue_name("fulfillment", "order.approved")
APPROVALS_APPLIED = "SELECT count(*) FROM inbox WHERE consumer = %s"


def approvals_applied(url: str) -> int:
    """How many ``order.approved`` events fulfillment has applied so far."""
    return _scalars(url, APPROVALS_APPLIED, (APPROVALS_CONSUMER,))[0]


def wait_for_approvals_applied(url: str, expected: int, timeout: float = 120) -> float:
    """Wait until fulfillment has applied ``expected`` approvals; returns seconds waited."""
    return wait_for_count(
        url, APPROVALS_APPLIED, (APPROVALS_CONSUMER,), expected, timeout, "approvals applied"
    )


def wait_for_count(url, query, params, expected: int, timeout: float, what: str) -> float:
    """Poll ``query`` (one count) until it reaches ``expected``; returns seconds waited."""
    started = time.monotonic()
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            while True:
                cursor.execute(query, params)
                have = cursor.fetchone()[0]
                if have >= expected:
                    return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    raise RuntimeError(f"only {have} of {expected} {what} after {timeout}s")
                time.sleep(0.05)
    finally:
        connection.close()


def run_concurrently(worker, concurrency: int) -> float:
    """Run ``concurrency`` copies of ``worker`` on green threads; the seconds they took."""
    started = time.perf_counter()
    pool = eventlet.GreenPool(concurrency)
    for _ in range(concurrency):
        pool.spawn(worker)
    pool.waitall()
    return time.perf_counter() - started


def check_approvals_applied_once(infra: Infra, report) -> None:
    """Every approval the orders service announced was applied by fulfillment exactly once
    (however many replicas shared the queues), and every approved order has one record."""
    orders_url, fulfillment_url = infra.database("orders"), infra.database("fulfillment")
    approved = _scalars(orders_url, "SELECT id FROM orders WHERE status = 'approved'")
    announced = dict(
        query_rows(
            orders_url,
            "SELECT event_id, envelope->'data'->>'order_id' FROM outbox "
            "WHERE event_type = 'order.approved'",
        )
    )
    applied = _scalars(
        fulfillment_url, "SELECT event_id FROM inbox WHERE consumer = %s", (APPROVALS_CONSUMER,)
    )
    records = _scalars(fulfillment_url, "SELECT order_id FROM fulfillments")
    opened = _scalars(
        fulfillment_url,
        "SELECT envelope->'data'->>'order_id' FROM outbox WHERE event_type = 'fulfillment.opened'",
    )
    missing = (set(approved) - set(records)) | (set(announced) - set(applied))
    unexpected = set(applied) - set(announced)
    duplicates = (
        len(records)
        - len(set(records))
        + len(opened)
        - len(set(opened))
        + len(announced)
        - len(set(announced.values()))  # an order approved twice
    )
    report.metric("approvals.approved_orders", len(approved), "orders")
    report.metric(
        "approvals.applied_by_fulfillment", len(applied), "events", announced=len(announced)
    )
    report.metric("approvals.fulfillments_missing", len(missing), "count", 0, "<=")
    report.metric("approvals.applied_unannounced", len(unexpected), "count", 0, "<=")
    report.metric("approvals.duplicates", duplicates, "count", 0, "<=")


def _scalars(url: str, query: str, params=()) -> list:
    return [row[0] for row in query_rows(url, query, params)]


def query_rows(url: str, query: str, params=()) -> list[tuple]:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()
