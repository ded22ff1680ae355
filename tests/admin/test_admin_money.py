"""Payout approvals and the cross-organisation ledger on the admin gateway, over the real
payments service (real broker, real PostgreSQL): who may look, who may decide, what a decision
does to the money, and the audit log of it."""

import pytest
from nameko.testing.services import entrypoint_waiter

from payments.service import PaymentsService
from support.escrow import CONFIG, order_event
from support.events import publish
from support.staff import ADMIN, BUYER, CUSTOMER_ADMIN, SUPPLIER, SUPPORT
from support.waiting import eventually

APPROVAL_OVER = 5_000
EARNED = 10_000 - 1_000  # a 10,000 order released at the default 10% commission


@pytest.fixture
def money(container_factory, service_config, declared_topology, gateways):
    config = service_config(
        "payments", PAYOUT_INTERVAL_S=0.1, PAYOUT_APPROVAL_OVER=APPROVAL_OVER, **CONFIG
    )
    container = container_factory(PaymentsService, config)
    container.start()
    public, admin = gateways(config["AMQP_URI"])
    for order_id in ("o-1", "o-2"):
        earn(container, config, order_id)
    return public, admin


def earn(container, config, order_id):
    """forge earns 9,000 on an accepted 10,000 retail order (immediate payment terms)."""
    placed = order_event(
        "order.placed", order_id, 10_000, "retail", payment={"method": "card", "token": "tok_visa"}
    )
    accepted = order_event("order.accepted", order_id, 10_000, "retail", accepted_amount=10_000)
    for (event_type, _, data), entrypoint in (
        (placed, "on_order_placed"),
        (accepted, "on_money_decided"),
    ):
        with entrypoint_waiter(container, entrypoint):
            publish(config["AMQP_URI"], event_type, data, "orders")


def available(public) -> int:
    [balance] = public.get("/api/v1/wallet", headers=SUPPLIER).json["balances"]
    return balance["available"]


def payout(public, amount):
    request = {"currency": "EUR", "amount": amount, "destination": "tok_bank"}
    response = public.post("/api/v1/payouts", json=request, headers=SUPPLIER)
    assert response.status_code == 201, response.json
    return response.json


def status_of(public, payout_id):
    [found] = [
        p for p in public.get("/api/v1/payouts", headers=SUPPLIER).json if p["id"] == payout_id
    ]
    return found


def test_a_large_payout_waits_for_an_admin_who_holds_then_approves_it(money):
    public, admin = money
    small = payout(public, APPROVAL_OVER)
    large = payout(public, APPROVAL_OVER + 1)
    assert large["status"] == "awaiting_approval"
    eventually(lambda: status_of(public, small["id"])["status"] == "paid")

    queue = admin.get("/admin/v1/payouts", headers=SUPPORT)
    assert queue.status_code == 200, queue.json
    assert [(p["id"], p["org"]) for p in queue.json["items"]] == [(large["id"], "forge")]
    decision = f"/admin/v1/payouts/{large['id']}/decision"
    hold = {"decision": "hold", "reason": "Bank details to confirm with the seller"}
    refused = admin.post(decision, json=hold, headers=SUPPORT)
    assert (refused.status_code, refused.content_type) == (403, "application/problem+json")
    assert admin.post(decision, json={"decision": "hold"}, headers=ADMIN).status_code == 422

    held = admin.post(decision, json=hold, headers=ADMIN)
    assert held.status_code == 200, held.json
    assert (held.json["status"], held.json["review"]["reason"]) == ("on_hold", hold["reason"])
    assert admin.post(decision, json=hold, headers=ADMIN).status_code == 409  # already on hold
    seen = status_of(public, large["id"])
    assert (seen["status"], seen["review"]["by"]) == ("on_hold", "ada")
    assert available(public) == 2 * EARNED - small["amount"] - large["amount"]  # still reserved

    approve = {"decision": "approve", "reason": "Confirmed by phone"}
    assert admin.post(decision, json=approve, headers=ADMIN).json["status"] == "requested"
    eventually(lambda: status_of(public, large["id"])["status"] == "paid")
    assert admin.get("/admin/v1/payouts", headers=ADMIN).json["items"] == []
    audit = admin.get("/admin/v1/audit", headers=ADMIN).json
    assert [(a["reason"], a["status_code"]) for a in audit][:3] == [
        ("Confirmed by phone", 200),
        (hold["reason"], 409),
        (hold["reason"], 200),
    ]
    assert audit[0]["target"] == {"payout_id": large["id"]}


def test_rejected_payouts_give_the_money_back(money):
    public, admin = money
    before = available(public)
    first = payout(public, before // 2)
    second = payout(public, before - before // 2)
    assert available(public) == 0
    page = admin.get("/admin/v1/payouts", query_string={"limit": 1}, headers=SUPPORT).json
    assert [p["id"] for p in page["items"]] == [first["id"]]
    rest = admin.get(
        "/admin/v1/payouts",
        query_string={"limit": 1, "after": page["next_cursor"]},
        headers=SUPPORT,
    ).json
    assert ([p["id"] for p in rest["items"]], rest["next_cursor"]) == ([second["id"]], None)

    reject = {"decision": "reject", "reason": "The destination is not the seller's"}
    for rejected, left in ((first, second["amount"]), (second, 0)):
        path = f"/admin/v1/payouts/{rejected['id']}/decision"
        assert admin.post(path, json=reject, headers=ADMIN).json["status"] == "rejected"
        assert available(public) == before - left
    again = admin.post(
        f"/admin/v1/payouts/{first['id']}/decision",
        json={"decision": "approve", "reason": "changed my mind"},
        headers=ADMIN,
    )
    assert again.status_code == 409
    unknown = admin.post(
        "/admin/v1/payouts/nope/decision",
        json={"decision": "approve", "reason": "x"},
        headers=ADMIN,
    )
    assert unknown.status_code == 404
    bad = admin.get("/admin/v1/payouts", query_string={"after": "not-a-cursor"}, headers=ADMIN)
    assert (bad.status_code, bad.content_type) == (422, "application/problem+json")


def test_staff_page_through_the_ledger_across_organisations(money):
    public, admin = money
    everything = admin.get("/admin/v1/ledger/entries", query_string={"limit": 200}, headers=SUPPORT)
    assert everything.status_code == 200, everything.json
    entries = everything.json["items"]
    assert {e["owner"] for e in entries} >= {"forge", "o-1", "o-2", "platform"}
    assert sum(e["amount"] for e in entries) == 0  # double entry: every transaction sums to zero

    pages, cursor = [], None
    while True:
        params = {"org": "forge", "limit": 1, **({"before": cursor} if cursor else {})}
        page = admin.get("/admin/v1/ledger/entries", query_string=params, headers=SUPPORT).json
        pages += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert [e["id"] for e in pages] == [e["id"] for e in entries if e["owner"] == "forge"]
    assert len(pages) > 1
    by_order = admin.get(
        "/admin/v1/ledger/entries",
        query_string={"order_id": "o-2", "kind": "escrow"},
        headers=ADMIN,
    ).json["items"]
    assert {(e["account"], e["status"]) for e in by_order} >= {("escrow:o-2:EUR", "posted")}
    assert {e["order_id"] for e in by_order} == {"o-2"}

    accounts = admin.get("/admin/v1/ledger/balances", query_string={"limit": 200}, headers=SUPPORT)
    paged, cursor = [], None
    while True:
        params = {"limit": 2, **({"after": cursor} if cursor else {})}
        page = admin.get("/admin/v1/ledger/balances", query_string=params, headers=SUPPORT).json
        paged += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert paged == accounts.json["items"]
    [wallet] = admin.get(
        "/admin/v1/ledger/balances",
        query_string={"kind": "wallet", "org": "forge"},
        headers=SUPPORT,
    ).json["items"]
    assert wallet["available"] == available(public)
    commission = admin.get(
        "/admin/v1/ledger/balances", query_string={"org": "platform"}, headers=ADMIN
    ).json["items"]
    assert [(b["kind"], b["posted"]) for b in commission] == [("commission", 2 * 1_000)]

    assert admin.get("/admin/v1/ledger/entries", headers=BUYER).status_code == 403
    assert admin.get("/admin/v1/ledger/balances", headers=CUSTOMER_ADMIN).status_code == 403
    bad = admin.get("/admin/v1/ledger/entries", query_string={"since": "yesterday"}, headers=ADMIN)
    assert (bad.status_code, bad.content_type) == (422, "application/problem+json")
