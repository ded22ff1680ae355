"""Walking orders through the gateway: the parties of one marketplace, the order page, the
problems the API answers with, events other services would publish, and the events orders
publishes.

Every walk gets its own organisations (``Market``), so tests sharing the session's system never
see each other's orders.
"""

import uuid
from dataclasses import dataclass

from kombu import Connection, Queue

from chassis.topology import event_exchange
from support.events import publish
from support.waiting import eventually

PROBLEM = "application/problem+json"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Market:
    """A buyer organisation and a supplier organisation, and an admin of the platform."""

    buyer: object
    supplier: object
    admin: object
    amqp_uri: str

    @classmethod
    def open(cls, system, as_user, name: str) -> "Market":
        buyer_org, supplier_org = unique(f"{name}-buyer"), unique(f"{name}-supplier")
        return cls(
            buyer=as_user("alice", "buyer", buyer_org),
            supplier=as_user("sam", "supplier", supplier_org),
            admin=as_user("ada", "admin", "platform"),
            amqp_uri=system.env["AMQP_URI"],
        )

    def place(self, request: dict, **headers) -> dict:
        response = self.buyer.post(
            "/orders", {**request, "supplier_org": self.supplier.org}, headers=headers
        )
        assert response.status_code == 201, response.text
        return response.json()

    def publish(self, event_type: str, data: dict, producer: str = "fulfillment") -> dict:
        """Publish ``event_type`` on the real broker, as the service producing it would."""
        return publish(self.amqp_uri, event_type, data, producer)


def act(client, order: dict | str, action: str, payload: dict | None = None, **kwargs) -> dict:
    """Take ``action`` and expect it to succeed; the order as it is now."""
    order_id = order if isinstance(order, str) else order["id"]
    response = client.act(order_id, action, payload, **kwargs)
    assert response.status_code == 200, f"{action}: {response.status_code} {response.text}"
    return response.json()


def page(client, order: dict | str) -> dict:
    order_id = order if isinstance(order, str) else order["id"]
    response = client.get(f"/orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


def fetch(client, order: dict | str) -> dict:
    return page(client, order)["order"]


def timeline(client, order: dict | str) -> list[dict]:
    order_id = order if isinstance(order, str) else order["id"]
    response = client.get(f"/orders/{order_id}/timeline")
    assert response.status_code == 200, response.text
    return response.json()


def when(client, order: dict | str, condition, timeout: float = 10.0) -> dict:
    """The order once ``condition(order)`` holds: how a walk waits for an event's effect."""

    def probe():
        current = fetch(client, order)
        return current if condition(current) else None

    return eventually(probe, timeout=timeout)


def status_is(status: str):
    return lambda order: order["status"] == status


def problem(response, status: int, slug: str | None = None) -> dict:
    """The response's problem document, checked to be one with ``status`` (and type ``slug``)."""
    assert response.status_code == status, f"{response.status_code} {response.text}"
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    if slug:
        assert body["type"] == f"urn:marketplace:problem:{slug}", body
    return body


def lines(order: dict) -> dict[str, dict]:
    return {line["line_id"]: line for line in order["lines"]}


def line_statuses(order: dict) -> dict[str, str]:
    return {line["line_id"]: line["status"] for line in order["lines"]}


class EventTap:
    """A queue of its own bound to every event orders publishes: what the other services see."""

    def __init__(self, amqp_uri: str):
        self._connection = Connection(amqp_uri)
        self._queue = Queue(
            unique("e2e-order-events"),
            exchange=event_exchange("orders"),
            routing_key="#",
            exclusive=True,
            auto_delete=True,
        )
        self._queue = self._queue.bind(self._connection.default_channel)
        self._queue.declare()
        self._seen: list[dict] = []

    def close(self) -> None:
        self._connection.release()

    def _drain(self) -> None:
        while (message := self._queue.get(no_ack=True)) is not None:
            self._seen.append(message.payload)

    def of(self, order_id: str, event_type: str | None = None) -> list[dict]:
        """The envelopes published so far about the order (of ``event_type``), in order."""
        self._drain()
        return [
            envelope
            for envelope in self._seen
            if envelope["data"].get("order_id") == order_id
            and event_type in (None, envelope["event_type"])
        ]

    def wait(self, order_id: str, event_type: str, count: int = 1) -> list[dict]:
        """At least ``count`` envelopes of ``event_type`` about the order, once published."""
        return eventually(
            lambda: (found := self.of(order_id, event_type)) and len(found) >= count and found
        )
