"""The gateway under test, with the Nameko cluster replaced by an in-process fake.

The fake stands in for ``nameko.standalone.rpc.ClusterRpcProxy`` only, so the gateway's own
pooling, correlation ids and concurrency run for real. Fake services sleep with
``eventlet.sleep``, as a green socket read would.
"""

import itertools
import time

import eventlet
import pytest
from nameko.exceptions import RpcTimeout, UnknownService

from contracts.errors import IllegalTransition, NotFound
from gateway import events, rpc
from gateway.app import create_app
from gateway.settings import load_settings
from gateway.tokens import mint
from support.databases import truncate_all

SECRET = "test-secret-that-is-long-enough-for-hs256"


class FakeOrders:
    def __init__(self):
        self.orders = {}
        self.timelines = {}
        self.ids = itertools.count(1)
        self.scoped = True  # False plays a buggy service that forgets to filter by actor
        self.before_place = None  # called before placing, to block or fail on purpose
        self.outcomes = {}  # command id -> result, as chassis.commands records them

    def place_order(self, actor, request, command_id=None):
        if command_id in self.outcomes:
            return self.outcomes[command_id]
        if self.before_place:
            self.before_place()
        order_id = f"ord-{next(self.ids)}"
        order = {
            **request,
            "id": order_id,
            "version": 1,
            "status": "ordered",
            "buyer_org": actor["org"],
            "buyer_user": actor["user_id"],
        }
        self.outcomes[command_id] = self.orders[order_id] = order
        self.timelines[order_id] = [{"action": "place", "actor": actor}]
        return order

    def list_orders(self, actor, query):
        items = [order for order in self.orders.values() if self._sees(actor, order)]
        return {"items": items, "next_cursor": None, "query": query}

    def count_orders(self, actor, query=None):
        counts = {}
        for order in self.orders.values():
            if self._sees(actor, order):
                counts[order["status"]] = counts.get(order["status"], 0) + 1
        return counts

    def get_order(self, actor, order_id):
        order = self.orders.get(order_id)
        if order is None or not self._sees(actor, order):
            raise NotFound(f"Order {order_id} not found")
        return order

    def get_timeline(self, actor, order_id):
        self.get_order(actor, order_id)
        return self.timelines[order_id]

    def perform_action(self, actor, order_id, action, payload, expected_version, command_id=None):
        order = self.get_order(actor, order_id)
        if action != "approve":
            raise IllegalTransition(
                f"Cannot {action} an order that is {order['status']}",
                {"state": order["status"], "allowed": ["approve"]},
            )
        order.update(
            status="approved",
            version=order["version"] + 1,
            last_payload=payload,
            expected_version=expected_version,
        )
        return order

    def health(self):
        return {"status": "ok"}

    def _sees(self, actor, order):
        if not self.scoped or actor["role"] in ("admin", "support"):
            return True
        party = "buyer_org" if actor["role"] == "buyer" else "supplier_org"
        return order[party] == actor["org"]


class FakeFulfillment:
    def get_fulfillment(self, actor, order_id):
        return {"id": "ful-1", "order_id": order_id, "status": "open", "lines": []}

    def fulfillment_statuses(self, actor, order_ids):
        return {order_id: {"status": "open", "tracking_numbers": []} for order_id in order_ids}

    def health(self):
        return {"status": "ok"}


class FakePayments:
    """A payments service that has not heard of any order yet."""

    def get_order_payments(self, actor, order_id):
        raise NotFound("no payment for this order", {"order_id": order_id})

    def payment_statuses(self, actor, order_ids):
        return {}

    def health(self):
        return {"status": "ok"}


class FakeChat:
    def order_summary(self, actor, order_id):
        return {"unread": 0, "awaiting_reply": False, "conversations": [], "latest_messages": []}

    def health(self):
        return {"status": "ok"}


class FakeHealthOnly:
    def health(self):
        return {"status": "ok"}


class FakeDisputes(FakeHealthOnly):
    def order_disputes(self, actor, order_id):
        return []

    def order_claims(self, actor, order_id):
        return []


class FakeCluster:
    """The services, the broker's state, and a record of every call and proxy."""

    def __init__(self):
        self.services = {
            "orders": FakeOrders(),
            "fulfillment": FakeFulfillment(),
            "chat": FakeChat(),
            "payments": FakePayments(),
            "disputes": FakeDisputes(),
            "profiles": FakeHealthOnly(),
        }
        self.broker_up = True
        self.silent = set()  # services that never reply
        self.calls = []  # (service, method, args, kwargs, context data)
        self.spans = {}  # "service.method" -> (started, finished), for overlap checks
        self.proxies_started = 0
        self.proxies_stopped = 0

    @property
    def orders(self):
        return self.services["orders"]

    def delay(self, method, seconds):
        """Make ``"service.method"`` take ``seconds``, as a green socket read would."""
        service, _, name = method.partition(".")
        target = self.services[service]
        fast = getattr(target, name)

        def slow(*args, **kwargs):
            eventlet.sleep(seconds)
            return fast(*args, **kwargs)

        setattr(target, name, slow)

    def proxy_class(self):
        cluster = self

        class FakeClusterRpcProxy:
            def __init__(self, config, context_data=None, timeout=None):
                self.context_data = context_data

            def start(self):
                if not cluster.broker_up:
                    raise ConnectionRefusedError(111, "ECONNREFUSED")
                cluster.proxies_started += 1
                return FakeClusterProxy(cluster, self.context_data)

            def stop(self):
                cluster.proxies_stopped += 1

        return FakeClusterRpcProxy

    def call(self, service, method, context_data, args, kwargs):
        self.calls.append((service, method, args, kwargs, dict(context_data)))
        if not self.broker_up:
            raise ConnectionResetError(104, "ECONNRESET")
        if service not in self.services:
            raise UnknownService(service)
        started = time.monotonic()
        try:
            if service in self.silent:
                raise RpcTimeout(1)
            return getattr(self.services[service], method)(*args, **kwargs)
        finally:
            self.spans[f"{service}.{method}"] = (started, time.monotonic())


class FakeClusterProxy:
    def __init__(self, cluster, context_data):
        self._cluster = cluster
        self._context_data = context_data

    def __getitem__(self, service):
        return FakeServiceProxy(self._cluster, service, self._context_data)


class FakeServiceProxy:
    def __init__(self, cluster, service, context_data):
        self._cluster, self._service, self._context_data = cluster, service, context_data

    def __getattr__(self, method):
        def call(*args, **kwargs):
            return self._cluster.call(self._service, method, self._context_data, args, kwargs)

        return call


@pytest.fixture
def cluster(monkeypatch):
    fake = FakeCluster()
    monkeypatch.setattr(rpc, "ClusterRpcProxy", fake.proxy_class())
    return fake


@pytest.fixture
def settings(tmp_path, databases):
    truncate_all(databases("gateway"))
    return load_settings(
        {
            "JWT_SECRET": SECRET,
            "DATA_DIR": str(tmp_path),
            "GATEWAY_DATABASE_URL": databases("gateway"),
            "RPC_TIMEOUT": "1",
            "RPC_POOL_SIZE": "4",
        }
    )


@pytest.fixture
def app(settings, cluster):
    app = create_app(settings)
    yield app
    rpc.close(app)
    events.close(app)


@pytest.fixture
def client(app):
    return app.test_client()


def _bearer(role="buyer", org="acme", sub="u-1", ttl=3600, key=SECRET):
    return {"Authorization": f"Bearer {mint(sub, role, org, ttl, key)}"}


def _order_request(**changes):
    return {
        "supplier_org": "forge",
        "title": "Brackets",
        "currency": "EUR",
        "workflow": "manufacturing",
        "lines": [
            {"sku": "BRK-7", "description": "Steel bracket", "quantity": 100, "unit_price": 250}
        ],
        "committed_deliver_by": "2030-05-10",
        **changes,
    }


@pytest.fixture
def bearer():
    """``bearer(role, org, sub, ttl, key)``: an Authorization header with a fresh token."""
    return _bearer


@pytest.fixture
def order_request():
    """``order_request(**changes)``: a valid body for POST /api/v1/orders."""
    return _order_request


@pytest.fixture
def place(client):
    """``place(org, headers, **changes)``: place an order as a buyer of ``org``."""

    def place(org="acme", headers=None, **changes):
        return client.post(
            "/api/v1/orders",
            json=_order_request(**changes),
            headers={**_bearer("buyer", org), **(headers or {})},
        )

    return place
