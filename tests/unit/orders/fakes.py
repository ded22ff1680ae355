"""In-memory stand-ins for the orders service's storage, so its service layer runs in unit tests.

``FakeUnitOfWork`` is what a worker sees as ``self.uow`` (``transaction()``, ``reading()``,
``ping()``, and ``run_command()`` for commands), in the spirit of cosmicpython's FakeUnitOfWork:
a transaction either commits (its events join ``published``) or leaves the store exactly as it
was. ``FakeRepository`` answers the
calls the service makes on ``orders.repository``, over the same store.
"""

import copy
from contextlib import contextmanager
from dataclasses import dataclass, field

from chassis.commands import InMemoryCommands
from chassis.unit_of_work import Transaction
from contracts.errors import NotFound
from orders.domain import Order


@dataclass
class Store:
    """The two tables the service writes: order rows and timeline entries."""

    orders: dict[str, dict] = field(default_factory=dict)
    activities: list[dict] = field(default_factory=list)


class FakeUnitOfWork:
    def __init__(self):
        self.store = Store()
        self.published: list[dict] = []
        self.committed = 0
        self.run_command = InMemoryCommands(self.transaction).run_command

    @contextmanager
    def transaction(self):
        before = copy.deepcopy(self.store)
        tx = Transaction(self.store, "orders", {"correlation_id": "test-correlation"})
        try:
            yield tx
        except BaseException:
            self.store.orders, self.store.activities = before.orders, before.activities
            raise
        self.committed += 1
        self.published += tx.envelopes

    @contextmanager
    def reading(self):
        yield self.store

    def ping(self) -> str:
        return "ok"

    def events(self, event_type: str) -> list[dict]:
        return [e["data"] for e in self.published if e["event_type"] == event_type]


def _visible(row: dict, actor: dict) -> bool:
    party = {"buyer": row["buyer_org"], "supplier": row["supplier_org"]}.get(actor["role"])
    return party is None or party == actor["org"]


class FakeRepository:
    """``orders.repository`` over a ``Store`` (the "session" the service passes in)."""

    @staticmethod
    def add(store, order, status_group, deadline):
        store.orders[order.id] = {
            "state": order.to_dict(timeline=False),
            "buyer_org": order.buyer_org,
            "buyer_user": order.buyer_user,
            "supplier_org": order.supplier_org,
            "status_group": status_group,
            "next_deadline_at": deadline,
        }

    @staticmethod
    def save(store, order, status_group, deadline):
        store.orders[order.id].update(
            state=order.to_dict(timeline=False),
            status_group=status_group,
            next_deadline_at=deadline,
        )

    @staticmethod
    def load(store, order_id, actor, for_update=False):
        row = store.orders.get(order_id)
        if row is None or not _visible(row, actor):
            raise NotFound(f"order {order_id} not found", {"order_id": order_id})
        return Order.from_dict(row["state"])

    @staticmethod
    def load_for_system(store, order_id):
        row = store.orders.get(order_id)
        return None if row is None else Order.from_dict(row["state"])

    @staticmethod
    def append_activity(store, order_id, entries):
        store.activities += [{"order_id": order_id, **entry} for entry in entries]

    @staticmethod
    def timeline(store, order_id):
        return [
            {k: v for k, v in entry.items() if k != "order_id"}
            for entry in store.activities
            if entry["order_id"] == order_id
        ]

    @staticmethod
    def due_order_ids(store, now, limit):
        due = sorted(
            (row["next_deadline_at"], order_id)
            for order_id, row in store.orders.items()
            if row["next_deadline_at"] is not None and row["next_deadline_at"] <= now
        )
        return [order_id for _, order_id in due[:limit]]

    @staticmethod
    def lock_if_due(store, order_id, now):
        row = store.orders[order_id]
        deadline = row["next_deadline_at"]
        return Order.from_dict(row["state"]) if deadline and deadline <= now else None
