"""The payments service on a real broker and PostgreSQL: order events move the money."""

import base64
import uuid
from datetime import datetime, timedelta

import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select

from contracts.catalogue import contract
from contracts.errors import Forbidden, InsufficientFunds, InvalidRequest, NotFound
from payments.books import PLATFORM
from payments.models import metadata, order_payments
from payments.service import PaymentsService
from support.escrow import CONFIG, order_event
from support.events import publish
from support.services import ADMIN, BUYER, SUPPLIER, query, rpc
from support.waiting import eventually

OUTBOX = metadata.tables["outbox"]
ENTRIES = metadata.tables["entries"]


@pytest.fixture
def payments(container_factory, service_config):
    config = service_config(
        "payments",
        SANDBOX_SETTLE_AFTER_S=0.3,
        CHARGE_CHECK_INTERVAL_S=0.1,
        PAYOUT_INTERVAL_S=0.1,
        **CONFIG,
    )
    container = container_factory(PaymentsService, config)
    container.start()
    return container, config


def deliver(payments, event, entrypoint):
    container, config = payments
    event_type, event_id, data = event
    envelope = {
        "event_id": event_id,
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": "2026-01-05T12:00:00+00:00",
        "producer": contract(event_type).producer,
        "correlation_id": event_id,
        "causation_id": None,
        "data": data,
    }
    with entrypoint_waiter(container, entrypoint):
        publish(config["AMQP_URI"], event_type, None, envelope["producer"], envelope=envelope)


def published(config, order_id):
    rows = query(config["DATABASE_URL"], select(OUTBOX.c.event_type, OUTBOX.c.envelope))
    return {
        event_type: envelope["data"]
        for event_type, envelope in rows
        if envelope["data"]["order_id"] == order_id
    }


def card(token="tok_visa"):
    return {"method": "card", "token": token}


def test_funds_are_held_on_placement_and_released_minus_commission_on_acceptance(payments):
    _, config = payments
    deliver(
        payments,
        order_event("order.placed", "o-1", 10_000, "manufacturing", payment=card()),
        "on_order_placed",
    )
    assert published(config, "o-1")["payment.held"]["amount"] == 10_000

    accepted = order_event("order.accepted", "o-1", 10_000, "manufacturing", accepted_amount=10_000)
    deliver(payments, accepted, "on_money_decided")
    deliver(payments, accepted, "on_money_decided")  # redelivered: moves nothing

    released = published(config, "o-1")["payment.released"]
    assert (released["amount"], released["commission"], released["net"]) == (10_000, 1_000, 9_000)
    with rpc(config) as proxy:
        tab = proxy.payments.get_order_payments(BUYER, "o-1")
        wallet = proxy.payments.get_wallet(SUPPLIER)
        admin_tab = proxy.payments.get_order_payments(ADMIN, "o-1")
    assert (tab["held"], tab["released"], tab["refunded"], tab["commission"]) == (
        10_000,
        10_000,
        0,
        1_000,
    )
    assert tab["in_escrow"] == 0 and "transactions" not in tab
    assert [m["kind"] for m in tab["movements"]] == ["held", "released"]
    assert wallet["balances"] == [
        {"currency": "EUR", "available": 9_000, "pending": 0, "reserved": 0}
    ]
    assert {t["kind"] for t in admin_tab["transactions"]} == {"hold", "post", "release", "payable"}
    # The commission is the platform's, the same owner as its compensation account.
    commission = query(
        config["DATABASE_URL"],
        select(ENTRIES.c.account_id, ENTRIES.c.amount).where(
            ENTRIES.c.account_id.like("commission:%")
        ),
    )
    assert [tuple(row) for row in commission] == [(f"commission:{PLATFORM}:EUR", 1_000)]


def test_a_rate_changed_while_an_order_is_in_flight_leaves_its_commission(
    payments, container_factory
):
    first, config = payments
    placed = order_event("order.placed", "o-9", 10_000, "manufacturing", payment=card())
    deliver(payments, placed, "on_order_placed")
    first.stop()
    raised = {**config, "COMMISSION": {"default": {"bps": 3000, "fixed": {}}}}
    second = container_factory(PaymentsService, raised)
    second.start()

    accepted = order_event("order.accepted", "o-9", 10_000, "manufacturing", accepted_amount=10_000)
    deliver((second, raised), accepted, "on_money_decided")

    released = published(raised, "o-9")["payment.released"]
    assert (released["commission"], released["net"]) == (1_000, 9_000)


def test_partial_acceptance_splits_between_supplier_and_buyer(payments):
    _, config = payments
    deliver(
        payments,
        order_event("order.placed", "o-2", 10_000, "manufacturing", payment=card()),
        "on_order_placed",
    )
    deliver(
        payments,
        order_event("order.partly_accepted", "o-2", 10_000, "manufacturing", accepted_amount=6_000),
        "on_money_decided",
    )
    events = published(config, "o-2")
    assert events["payment.released"]["amount"] == 6_000
    assert events["payment.refunded"] == {
        **events["payment.refunded"],
        "amount": 4_000,
        "to": "original",
    }


def test_a_cancellation_that_overtakes_the_placement_refunds_what_is_then_held(payments):
    _, config = payments
    deliver(payments, order_event("order.cancelled", "o-3", 5_000, "retail"), "on_money_decided")
    assert "payment.held" not in published(config, "o-3")
    deliver(
        payments,
        order_event("order.placed", "o-3", 5_000, "retail", payment=card()),
        "on_order_placed",
    )

    events = published(config, "o-3")
    assert events["payment.held"]["amount"] == events["payment.refunded"]["amount"] == 5_000
    with rpc(config) as proxy:
        tab = proxy.payments.get_order_payments(BUYER, "o-3")
    assert (tab["held"], tab["refunded"], tab["in_escrow"]) == (5_000, 5_000, 0)


@pytest.mark.parametrize("first", ["dispute.resolved", "order.cancelled"])
def test_a_dispute_refund_and_the_cancellation_it_causes_refund_once(payments, first):
    """Staff refunding a dispute cancel the order too: payments hears both, in either order,
    and refunds once."""
    _, config = payments
    order_id = f"o-refund-{first}"
    placed = order_event("order.placed", order_id, 8_000, "services", payment=card())
    deliver(payments, placed, "on_order_placed")
    resolved = order_event(
        "dispute.resolved", order_id, 8_000, "services", dispute_id="d-1", outcome="refund"
    )
    cancelled = order_event("order.cancelled", order_id, 8_000, "services", by="dispute")
    for event in sorted((resolved, cancelled), key=lambda event: event[0] != first):
        deliver(payments, event, "on_money_decided")

    refunds = [
        data
        for event_type, data in published_events(config)
        if event_type == "payment.refunded" and data["order_id"] == order_id
    ]
    assert [refund["amount"] for refund in refunds] == [8_000]
    with rpc(config) as proxy:
        tab = proxy.payments.get_order_payments(BUYER, order_id)
    assert (tab["held"], tab["refunded"], tab["in_escrow"]) == (8_000, 8_000, 0)


def test_a_freelancers_cancellation_refunds_to_the_wallet_which_pays_the_next_order(payments):
    _, config = payments
    deliver(
        payments,
        order_event("order.placed", "o-4", 3_000, "services", payment=card()),
        "on_order_placed",
    )
    deliver(
        payments,
        order_event("order.cancelled", "o-4", 3_000, "services", by="supplier"),
        "on_money_decided",
    )
    assert published(config, "o-4")["payment.refunded"]["to"] == "wallet"

    deliver(
        payments,
        order_event("order.placed", "o-5", 2_000, "services", payment={"method": "wallet"}),
        "on_order_placed",
    )
    deliver(
        payments,
        order_event("order.placed", "o-6", 2_000, "services", payment={"method": "wallet"}),
        "on_order_placed",
    )

    assert published(config, "o-5")["payment.held"]["method"] == "wallet"
    failed = published(config, "o-6")["payment.failed"]
    assert failed["reason"] == "Your wallet balance is too low for this order."
    with rpc(config) as proxy:
        wallet = proxy.payments.get_wallet(BUYER)
    assert wallet["balances"] == [
        {"currency": "EUR", "available": 1_000, "pending": 0, "reserved": 2_000}
    ]


def test_a_declined_card_fails_with_a_reason_the_buyer_sees(payments):
    _, config = payments
    deliver(
        payments,
        order_event("order.placed", "o-7", 900, "retail", payment=card("tok_declined")),
        "on_order_placed",
    )
    assert published(config, "o-7")["payment.failed"]["reason"] == "Your card was declined."
    with rpc(config) as proxy:
        tab = proxy.payments.get_order_payments(BUYER, "o-7")
    assert (tab["status"], tab["failure_reason"], tab["held"]) == (
        "failed",
        "Your card was declined.",
        0,
    )


def test_a_card_that_fails_later_ends_failed_without_holding_anything(payments):
    _, config = payments
    deliver(
        payments,
        order_event("order.placed", "o-8", 900, "retail", payment=card("tok_fails_later")),
        "on_order_placed",
    )
    failed = eventually(lambda: published(config, "o-8").get("payment.failed"))
    assert "after it was authorised" in failed["reason"]
    assert "payment.held" not in published(config, "o-8")
    [row] = query(config["DATABASE_URL"], select(order_payments.c.status, order_payments.c.hold_id))
    assert tuple(row) == ("failed", None)


def test_another_organisation_does_not_see_the_order_payments(payments):
    _, config = payments
    deliver(
        payments,
        order_event("order.placed", "o-9", 900, "retail", payment=card()),
        "on_order_placed",
    )
    stranger = {"user_id": "eve", "role": "buyer", "org": "other"}
    with rpc(config) as proxy, pytest.raises(NotFound):
        proxy.payments.get_order_payments(stranger, "o-9")


def test_an_approved_claim_pays_the_seller_from_the_platform_once(payments):
    _, config = payments
    claim = {
        "order_id": "o-c1",
        "claim_id": "cl-1",
        "kind": "wrong_item_returned",
        "supplier_org": SUPPLIER["org"],
        "amount": 7_500,
        "currency": "EUR",
        "note": "A toaster came back instead of the kettle",
    }
    approved = ("claim.approved", str(uuid.uuid4()), claim)
    deliver(payments, approved, "on_claim_approved")
    deliver(payments, approved, "on_claim_approved")  # redelivered: the inbox skips it
    # The same approval published again under another event id pays nothing more either.
    deliver(payments, ("claim.approved", str(uuid.uuid4()), claim), "on_claim_approved")

    with rpc(config) as proxy:
        wallet = proxy.payments.get_wallet(SUPPLIER)
    assert wallet["balances"] == [
        {"currency": "EUR", "available": 7_500, "pending": 0, "reserved": 0}
    ]
    assert [(h["kind"], h["order_id"], h["amount"]) for h in wallet["history"]] == [
        ("compensation", "o-c1", 7_500)
    ]
    compensations = query(
        config["DATABASE_URL"],
        select(ENTRIES.c.account_id, ENTRIES.c.amount).order_by(ENTRIES.c.amount),
    )
    assert [tuple(row) for row in compensations] == [
        (f"compensation:{PLATFORM}:EUR", -7_500),
        (f"wallet:{SUPPLIER['org']}:EUR", 7_500),
    ]


def earn(payments, order_id, amount):
    """The supplier earns ``amount`` less 10% on an accepted manufacturing order."""
    placed = order_event("order.placed", order_id, amount, "manufacturing", payment=card())
    deliver(payments, placed, "on_order_placed")
    accepted = order_event(
        "order.accepted", order_id, amount, "manufacturing", accepted_amount=amount
    )
    deliver(payments, accepted, "on_money_decided")


def payout_status(config, payout_id):
    with rpc(config) as proxy:
        [payout] = [p for p in proxy.payments.list_payouts(SUPPLIER) if p["id"] == payout_id]
    return payout["status"]


def test_a_payout_is_paid_once_however_often_it_is_requested(payments):
    _, config = payments
    earn(payments, "o-p1", 10_000)
    request = {"currency": "EUR", "amount": 5_000, "destination": "tok_bank"}
    with rpc(config) as proxy:
        payout = proxy.payments.request_payout(SUPPLIER, request, command_id="c-1")
        again = proxy.payments.request_payout(SUPPLIER, request, command_id="c-1")
        with pytest.raises(InsufficientFunds) as refused:
            proxy.payments.request_payout(SUPPLIER, {**request, "amount": 4_001}, command_id="c-2")
    assert again == payout and refused.value.details == {"available": 4_000}
    eventually(lambda: payout_status(config, payout["id"]) == "paid")
    with rpc(config) as proxy:
        [balance] = proxy.payments.get_wallet(SUPPLIER)["balances"]
    assert (balance["available"], balance["reserved"]) == (4_000, 0)
    paid = [e for t, e in published_events(config) if t == "payout.paid"]
    assert [e["amount"] for e in paid] == [5_000]


def test_a_failed_payout_gives_the_money_back(payments):
    _, config = payments
    earn(payments, "o-p2", 10_000)
    request = {"currency": "EUR", "destination": "tok_payout_fails"}
    with rpc(config) as proxy:
        payout = proxy.payments.request_payout(SUPPLIER, request, command_id="c-3")
    assert payout["amount"] == 9_000  # everything available
    eventually(lambda: payout_status(config, payout["id"]) == "failed")
    with rpc(config) as proxy:
        [balance] = proxy.payments.get_wallet(SUPPLIER)["balances"]
        [listed] = proxy.payments.list_payouts(SUPPLIER)
    assert (balance["available"], balance["reserved"]) == (9_000, 0)
    assert listed["failure_reason"] == "The bank account was closed."
    [failed] = [e for t, e in published_events(config) if t == "payout.failed"]
    assert failed["reason"] == "The bank account was closed."


@pytest.fixture
def payments_with_approval(container_factory, service_config):
    """Payouts over 1,000 minor units wait for an admin's decision."""
    config = service_config("payments", PAYOUT_APPROVAL_OVER=1_000, **CONFIG)
    container = container_factory(PaymentsService, config)
    container.start()
    return container, config


def awaiting_approval(payments, order_id):
    """A payout of 5,000 of the 9,000 the supplier earned on ``order_id``, over the threshold."""
    _, config = payments
    earn(payments, order_id, 10_000)
    request = {"currency": "EUR", "amount": 5_000, "destination": "tok_bank"}
    with rpc(config) as proxy:
        payout = proxy.payments.request_payout(SUPPLIER, request, command_id=f"c-{order_id}")
    assert payout["status"] == "awaiting_approval"
    return payout


def test_a_rejected_payout_says_so_and_gives_the_money_back(payments_with_approval):
    _, config = payments_with_approval
    payout = awaiting_approval(payments_with_approval, "o-p3")
    reject = {"decision": "reject", "reason": "The destination is not the seller's"}
    with rpc(config) as proxy:
        decided = proxy.payments.decide_payout(ADMIN, payout["id"], reject)
        [balance] = proxy.payments.get_wallet(SUPPLIER)["balances"]
    assert decided["status"] == "rejected"
    assert (balance["available"], balance["reserved"]) == (9_000, 0)
    closing = sorted((t, e) for t, e in published_events(config) if t.startswith("payout."))
    expected = {"payout_id": payout["id"], "org": SUPPLIER["org"], "currency": "EUR"}
    assert closing == [
        ("payout.failed", {**expected, "amount": 5_000, "reason": "rejected"}),
        ("payout.requested", {**expected, "amount": 5_000}),
    ]


SUPPORT = {"user_id": "sue", "role": "support", "org": "platform"}
CUSTOMER_ADMIN = {"user_id": "fay", "role": "admin", "org": SUPPLIER["org"]}


def test_staff_rpcs_check_the_role_themselves(payments_with_approval):
    """Not only the admin gateway: the service refuses an organisation's admin everything
    staff-wide, and platform support the decision that moves money."""
    _, config = payments_with_approval
    payout = awaiting_approval(payments_with_approval, "o-p4")
    approve = {"decision": "approve", "reason": "Confirmed by phone"}
    with rpc(config) as proxy:
        for actor in (SUPPORT, CUSTOMER_ADMIN):
            with pytest.raises(Forbidden):
                proxy.payments.decide_payout(actor, payout["id"], approve)
        for read in ("payout_queue", "ledger_entries", "ledger_balances"):
            with pytest.raises(Forbidden):
                getattr(proxy.payments, read)(CUSTOMER_ADMIN, {})
            assert getattr(proxy.payments, read)(SUPPORT, {})["items"], read
        [queued] = proxy.payments.payout_queue(SUPPORT, {})["items"]
    assert (queued["id"], queued["status"]) == (payout["id"], "awaiting_approval")


def published_events(config):
    rows = query(config["DATABASE_URL"], select(OUTBOX.c.event_type, OUTBOX.c.envelope))
    return [(event_type, envelope["data"]) for event_type, envelope in rows]


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TERMS = {
    "PAYMENT_TERMS": {
        "manufacturing": {"net_days": 30, "invoice": True},
        "factory": {"net_days": 0, "invoice": True},
    }
}


@pytest.fixture
def payments_with_terms(container_factory, service_config):
    config = service_config("payments", **CONFIG, **TERMS)
    container = container_factory(PaymentsService, config)
    container.start()
    return container, config


def upload(proxy, actor, order_id, content=PDF, command_id=None):
    encoded = base64.b64encode(content).decode()
    return proxy.payments.upload_invoice(
        actor,
        order_id,
        {"filename": "invoice-7.pdf", "content": encoded},
        command_id=command_id or f"invoice-{order_id}",
    )


def test_earnings_wait_for_the_invoice_and_then_for_the_payment_terms(payments_with_terms):
    _, config = payments_with_terms
    earn(payments_with_terms, "o-t1", 10_000)
    with rpc(config) as proxy:
        assert proxy.payments.get_wallet(SUPPLIER)["balances"][0]["pending"] == 9_000
        assert proxy.payments.get_order_payments(SUPPLIER, "o-t1")["payable"]["due_at"] is None
        with pytest.raises(Forbidden):
            upload(proxy, BUYER, "o-t1", command_id="c-buyer")
        with pytest.raises(InvalidRequest):
            upload(proxy, SUPPLIER, "o-t1", content=b"just some text", command_id="c-text")
        invoice = upload(proxy, SUPPLIER, "o-t1")
        assert upload(proxy, SUPPLIER, "o-t1") == invoice  # the same command, answered again
        tab = proxy.payments.get_order_payments(BUYER, "o-t1")
        downloaded = proxy.payments.get_invoice(BUYER, "o-t1")
        [balance] = proxy.payments.get_wallet(SUPPLIER)["balances"]
    uploaded = datetime.fromisoformat(invoice["uploaded_at"])
    assert datetime.fromisoformat(tab["payable"]["due_at"]) == uploaded + timedelta(days=30)
    assert tab["invoice"]["media_type"] == "application/pdf"
    assert base64.b64decode(downloaded["content"]) == PDF
    assert (balance["available"], balance["pending"]) == (0, 9_000)


def test_an_invoice_under_immediate_terms_makes_the_earnings_available(payments_with_terms):
    _, config = payments_with_terms
    placed = order_event("order.placed", "o-t2", 5_000, "factory", payment=card())
    deliver(payments_with_terms, placed, "on_order_placed")
    with rpc(config) as proxy:
        upload(proxy, SUPPLIER, "o-t2")  # before the release: the terms count from it
    accepted = order_event("order.accepted", "o-t2", 5_000, "factory", accepted_amount=5_000)
    deliver(payments_with_terms, accepted, "on_money_decided")
    with rpc(config) as proxy:
        [balance] = proxy.payments.get_wallet(SUPPLIER)["balances"]
    assert (balance["available"], balance["pending"]) == (4_500, 0)
