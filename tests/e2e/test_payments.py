"""The money of the four workflows walked through the gateway: held after placement, released
minus the commission on acceptance, split on partial acceptance or a return, refunded to the
original method or to the buyer's wallet, each step read from the Payments tab and the wallets."""

from e2e import test_manufacturing as manufacturing
from e2e import test_retail as retail
from e2e import test_services as services
from e2e.walk import act, page, problem, status_is, when
from support.waiting import eventually

CARD = {"method": "card", "token": "tok_visa"}
WALLET = {"method": "wallet"}


def payments(client, order, condition=lambda tab: True):
    """The order's Payments tab once ``condition`` holds for it."""

    def probe():
        response = client.get(f"/orders/{order['id']}/payments")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        tab = response.json()
        return tab if condition(tab) else None

    return eventually(probe)


def held(tab):
    return tab["status"] == "held"


def settled(tab):
    return tab["status"] == "settled"


def balances(client):
    response = client.get("/wallet")
    assert response.status_code == 200, response.text
    return {b["currency"]: b for b in response.json()["balances"]}


def test_manufacturing_holds_on_placement_and_releases_minus_commission_on_acceptance(market):
    m = market("pay-mfg")
    order = manufacturing.delivered(m, {**manufacturing.ORDER, "payment": CARD})
    tab = payments(m.buyer, order, held)
    assert (tab["amount"], tab["held"], tab["in_escrow"]) == (manufacturing.TOTAL,) * 3
    assert tab["commission_rate"] == {"bps": 1000, "fixed": 0}
    assert when(m.buyer, order, lambda o: o["funds_held"])

    act(m.buyer, order, "accept", {"feedback": "Spot on"})
    tab = payments(m.supplier, order, settled)
    commission = manufacturing.TOTAL // 10
    assert (tab["released"], tab["commission"], tab["refunded"], tab["in_escrow"]) == (
        manufacturing.TOTAL,
        commission,
        0,
        0,
    )
    assert [(mv["kind"], mv["cause"]) for mv in tab["movements"]] == [
        ("held", "order.placed"),
        ("released", "order.accepted"),
    ]
    # Manufacturing pays net 30 from the supplier's invoice: earned, not payable yet.
    assert balances(m.supplier)["EUR"]["pending"] == manufacturing.TOTAL - commission
    assert tab["payable"]["due_at"] is None
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    uploaded = m.supplier.post(
        f"/orders/{order['id']}/invoice", files={"file": ("invoice.pdf", pdf)}
    )
    assert uploaded.status_code == 201, uploaded.text
    tab = payments(m.supplier, order)
    assert tab["invoice"]["filename"] == "invoice.pdf" and tab["payable"]["due_at"]
    downloaded = m.buyer.get(f"/orders/{order['id']}/invoice")
    assert (downloaded.content, downloaded.headers["Content-Type"]) == (pdf, "application/pdf")
    assert "transactions" not in tab
    assert payments(m.admin, order)["transactions"]
    assert page(m.buyer, order)["payments"]["released"] == manufacturing.TOTAL


def test_manufacturing_splits_a_partly_accepted_order(market):
    m = market("pay-mfg-partly")
    order = manufacturing.delivered(m, {**manufacturing.ORDER, "payment": CARD})
    payments(m.buyer, order, held)
    inspection = [
        {"line_id": "L1", "accepted": 8, "rejected": 2, "rework": 0},
        {"line_id": "L2", "accepted": 4, "rejected": 0, "rework": 0},
    ]
    act(m.buyer, order, "partly_accept", {"lines": inspection})

    tab = payments(m.buyer, order, settled)
    accepted = 8 * 1250 + 4 * 300
    assert (tab["released"], tab["refunded"], tab["in_escrow"]) == (
        accepted,
        manufacturing.TOTAL - accepted,
        0,
    )
    assert tab["commission"] == accepted // 10


def test_a_freelancers_cancellation_refunds_the_employers_wallet_which_pays_the_next_order(
    market,
):
    m = market("pay-svc")
    order = m.place({**services.JOB, "payment": CARD})
    payments(m.buyer, order, held)
    act(m.supplier, order, "cancel", {"reason": "Overbooked"})

    tab = payments(m.buyer, order, settled)
    [refund] = [mv for mv in tab["movements"] if mv["kind"] == "refunded"]
    assert refund["to"] == "wallet"
    assert balances(m.buyer)["USD"]["available"] == 15000

    again = m.place({**services.JOB, "payment": WALLET})
    assert payments(m.buyer, again, held)["method"] == "wallet"
    assert balances(m.buyer)["USD"] == {
        "currency": "USD",
        "available": 0,
        "pending": 0,
        "reserved": 15000,
    }
    act(m.supplier, again, "deliver", services.FINAL)
    act(m.buyer, again, "approve_delivery")
    tab = payments(m.supplier, again, settled)
    commission = 15000 * 2000 // 10_000 + 100
    assert (tab["released"], tab["commission"]) == (15000, commission)
    assert balances(m.supplier)["USD"]["available"] == 15000 - commission

    # The freelancer pays the earnings out; a retried request pays once.
    request = {"currency": "USD", "destination": "tok_bank"}
    key = {"Idempotency-Key": "payout-1"}
    first = m.supplier.post("/payouts", request, headers=key)
    assert first.status_code == 201, first.text
    assert m.supplier.post("/payouts", request, headers=key).json() == first.json()
    assert first.json()["amount"] == 15000 - commission
    eventually(lambda: m.supplier.get("/payouts").json()[0]["status"] == "paid")
    assert balances(m.supplier)["USD"]["available"] == 0
    problem(m.supplier.post("/payouts", request), 422)  # nothing left to pay out


def test_retail_refunds_a_buyers_cancellation_and_a_return(market):
    m = market("pay-retail")
    order = m.place({**retail.ORDER, "payment": CARD})
    payments(m.buyer, order, held)
    act(m.buyer, order, "cancel", {"reason": "Changed my mind"})
    tab = payments(m.buyer, order, settled)
    assert (tab["refunded"], tab["released"], tab["in_escrow"]) == (retail.TOTAL, 0, 0)
    assert tab["movements"][-1] == {**tab["movements"][-1], "kind": "refunded", "to": "original"}

    returned = retail.delivered(m, {**retail.ORDER, "payment": CARD})
    payments(m.buyer, returned, held)
    act(m.buyer, returned, "return", {"reason": "Damaged"})
    m.publish(
        "return.received",
        {
            "order_id": returned["id"],
            "return_id": "R-1",
            "lines": [{"line_id": "L2", "quantity": 2}],
        },
    )
    when(m.buyer, returned, status_is("returned"))
    tab = payments(m.buyer, returned, settled)
    kept = 1500000
    assert (tab["refunded"], tab["released"], tab["commission"]) == (
        retail.TOTAL - kept,
        kept,
        kept // 10,
    )


def test_a_declined_card_shows_the_buyer_why_and_holds_nothing(market):
    m = market("pay-declined")
    order = m.place({**retail.ORDER, "payment": {"method": "card", "token": "tok_declined"}})
    tab = payments(m.buyer, order, lambda t: t["status"] == "failed")
    assert (tab["failure_reason"], tab["held"]) == ("Your card was declined.", 0)
    card_number = {"method": "card", "token": "4242424242424242"}
    refused = problem(
        m.buyer.post("/orders", {**retail.ORDER, "payment": card_number, "supplier_org": "x"}),
        422,
    )
    assert refused["errors"] == {"payment": {"token": ["a provider token such as tok_visa"]}}
    stranger = market("pay-stranger").buyer
    problem(stranger.get(f"/orders/{order['id']}/payments"), 404)
