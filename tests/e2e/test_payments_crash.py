"""Payments killed (``kill -9``) twice during a burst of placements and acceptances: afterwards
every order's money is exactly right. The events wait in their durable queues while payments is
down; what it was doing when killed rolls back and is delivered again; the inbox and the ledger's
keys make every redelivery a no-op."""

import uuid

import eventlet
import pytest
import requests
from sqlalchemy import func, select

from e2e.test_services import FINAL, JOB
from payments.models import ledger_transactions
from payments.reconcile import main as reconcile
from support.services import query
from support.waiting import eventually

ORDERS, ACCEPTED = 30, 15
KILLS = 2
MAX_ATTEMPTS = 20
AMOUNT = JOB["lines"][0]["unit_price"]
COMMISSION = AMOUNT * 2000 // 10_000 + 100  # the services workflow's default rate


@pytest.fixture(scope="module")
def crashable(fresh_system, client_of):
    with fresh_system() as (system, url_for):
        suffix = uuid.uuid4().hex[:8]
        buyer = client_of(system, "alice", "buyer", f"buyer-{suffix}")
        supplier = client_of(system, "sam", "supplier", f"supplier-{suffix}")
        yield system, url_for("payments"), buyer, supplier


def tab(client, order_id):
    response = client.get(f"/orders/{order_id}/payments")
    return response.json() if response.status_code == 200 else None


def retried(call, key):
    """A client's request, retried with its Idempotency-Key while it gets no answer (a 503)."""
    for _ in range(MAX_ATTEMPTS):
        try:
            response = call({"Idempotency-Key": key})
        except requests.RequestException:
            response = None
        if response is not None and response.status_code != 503:
            return response
        eventlet.sleep(0.5)
    return response


def test_payments_killed_during_a_burst_leaves_every_order_with_exactly_its_money(crashable):
    system, url, buyer, supplier = crashable
    placed, accepted, refused, progress = [], [], [], [0]
    order = {
        **JOB,
        "payment": {"method": "card", "token": "tok_visa"},
        "supplier_org": supplier.org,
    }

    def place_and_maybe_accept(number):
        steps = [lambda headers: buyer.post("/orders", order, headers=headers)]
        response = retried(steps[0], f"place-{number}")
        if response is None or response.status_code != 201:
            refused.append(response)
            return
        order_id = response.json()["id"]
        placed.append(order_id)
        if number < ACCEPTED:
            for client, action, payload in (
                (supplier, "deliver", FINAL),
                (buyer, "approve_delivery", {}),
            ):
                response = retried(
                    lambda headers, c=client, a=action, p=payload: c.act(
                        order_id, a, p, headers=headers
                    ),
                    f"{action}-{order_id}",
                )
                if response is None or response.status_code != 200:
                    refused.append(response)
                    return
            accepted.append(order_id)
        progress[0] += 1

    def killer():
        for kill in range(1, KILLS + 1):
            while progress[0] < ORDERS * kill // (KILLS + 1):
                eventlet.sleep(0.05)
            system.restart("payments")

    kills = eventlet.spawn(killer)
    pool = eventlet.GreenPool(6)
    for number in range(ORDERS):
        pool.spawn_n(place_and_maybe_accept, number)
    pool.waitall()
    kills.wait()
    assert [(r.status_code, r.text) if r is not None else None for r in refused] == []

    # Events that waited while payments was down are applied once it is back: wait for them.
    def statuses():
        return {o: (tab(buyer, o) or {}).get("status") for o in placed}

    expected = {o: "settled" if o in accepted else "held" for o in placed}
    try:
        eventually(lambda: statuses() == expected, timeout=90)
    except AssertionError:
        assert statuses() == expected  # shows which orders are not where they should be
    for order_id in placed:
        money = tab(buyer, order_id)
        assert money["held"] == AMOUNT
        if order_id in accepted:
            assert (money["released"], money["commission"], money["refunded"]) == (
                AMOUNT,
                COMMISSION,
                0,
            )
            assert money["in_escrow"] == 0
        else:
            assert (money["released"], money["refunded"], money["in_escrow"]) == (0, 0, AMOUNT)
    kinds = query(
        url,
        select(ledger_transactions.c.order_id, ledger_transactions.c.kind, func.count()).group_by(
            ledger_transactions.c.order_id, ledger_transactions.c.kind
        ),
    )
    assert all(count == 1 for _, _, count in kinds)  # nothing moved twice
    assert sum(1 for _, kind, _ in kinds if kind == "hold") == ORDERS
    assert sum(1 for _, kind, _ in kinds if kind == "release") == ACCEPTED
    assert reconcile(["--database-url", url]) == 0
