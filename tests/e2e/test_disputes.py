"""Disputes, claims and the admin gateway walked through HTTP on the whole system.

Seed 002: the employer asks to cancel, the freelancer refuses, the employer opens a dispute with
evidence from the order page, the freelancer answers, staff resolve it with a split on the admin
gateway; the order, the ledger and both parties' notifications end right. Seed 003: a retail
parcel comes back with the wrong item; the seller claims with warehouse photos and the platform
pays the approved amount into the seller's wallet."""

import io
from collections import Counter
from datetime import UTC, datetime, timedelta

from PIL import Image

from e2e.fulfillment_steps import RETAIL_ORDER, carrier, returns_of, scan, tracking_number, upload
from e2e.walk import act, fetch, problem, status_is, timeline, when
from support import files
from support.waiting import eventually

SERVICE = {
    "workflow": "services",
    "kind": "service",
    "title": "Logo design, standard package",
    "currency": "USD",
    "revisions_allowed": 2,
    "lines": [
        {"sku": "PKG-STD", "description": "Standard package", "quantity": 1, "unit_price": 40000}
    ],
}


def staff(system, as_user, sub, role):
    """Someone of the platform's staff, calling the admin gateway."""
    member = as_user(sub, role, "platform")
    member.api_url = system.admin_url
    return member


def png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(image, format="PNG")
    return image.getvalue()


def evidence_file(client, name: str) -> dict:
    uploaded = client.session.post(
        client.api_url + "/evidence", files={"file": (name, png())}, timeout=15
    )
    assert uploaded.status_code == 201, uploaded.text
    return uploaded.json()


def feed(client, order) -> Counter:
    """How many notifications of each event type ``client`` has about ``order``."""
    response = client.get("/notifications", params={"order_id": order["id"], "limit": 100})
    assert response.status_code == 200, response.text
    return Counter(item["event_type"] for item in response.json()["items"])


def titles_of(client, order, event_type: str) -> list[str]:
    response = client.get("/notifications", params={"order_id": order["id"], "limit": 100})
    return [item["title"] for item in response.json()["items"] if item["event_type"] == event_type]


def money(minor_units: int, currency: str) -> str:
    return f"{currency} {minor_units / 100:,.2f}"


def test_seed_002_a_refused_cancellation_goes_to_a_dispute_that_staff_settle_with_a_split(
    system, market, as_user, order_events
):
    m = market("d002")
    order = m.place({**SERVICE, "payment": {"method": "card", "token": "tok_visa"}})
    when(m.buyer, order, lambda current: current["funds_held"])
    act(
        m.buyer,
        order,
        "request_cancellation",
        {"reason": "no_longer_needed", "description": "Our rebrand was cancelled"},
    )
    act(m.supplier, order, "reject_cancellation", {"response": "The concepts are half done"})

    sketches = evidence_file(m.buyer, "sketches.png")
    complaint = {
        "reason": "cancellation_refused",
        "description": "The freelancer refused to cancel; only sketches were shared",
        "evidence": [{"file_id": sketches["file_id"], "name": "sketches.png"}],
    }
    # Until the order's events reach the disputes service, the gateway says to retry (503).
    opened = eventually(
        lambda: (
            (r := m.buyer.post(f"/orders/{order['id']}/disputes", complaint)).status_code != 503
            and r
        )
    )
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert (dispute["awaiting"], dispute["amount"], dispute["currency"]) == (
        "supplier",
        40000,
        "USD",
    )
    when(m.buyer, order, lambda current: current["disputed"])
    stranger = as_user("eve", "buyer", "d002-stranger")
    problem(stranger.get(f"/disputes/{dispute['id']}"), 404)

    answered = m.supplier.post(
        f"/disputes/{dispute['id']}/statements",
        {"text": "Two of four concepts were delivered as drafts"},
    )
    assert answered.status_code == 200 and answered.json()["awaiting"] is None

    agent = staff(system, as_user, "sue", "support")
    admin = staff(system, as_user, "ada", "admin")
    queue = agent.get("/disputes", params={"status": "open", "org": m.buyer.org})
    assert queue.status_code == 200, queue.text
    queue = queue.json()
    assert [item["id"] for item in queue["items"]] == [dispute["id"]]
    case = agent.get(f"/orders/{order['id']}").json()
    evidence = agent.get(f"/disputes/{dispute['id']}/evidence/{sketches['file_id']}")
    assert (evidence.status_code, evidence.headers["Content-Type"]) == (200, "image/png")
    assert [d["id"] for d in case["disputes"]] == [dispute["id"]]
    assert "request_cancellation" in [entry["kind"] for entry in case["timeline"]]
    split = {"decision": "split", "refund_amount": 25000, "note": "Half the concepts were done"}
    problem(agent.post(f"/disputes/{dispute['id']}/resolution", split), 403)
    buyer_at_the_admin_door = as_user("alice", "buyer", m.buyer.org)
    buyer_at_the_admin_door.api_url = system.admin_url
    problem(buyer_at_the_admin_door.get("/disputes"), 403)

    resolved = admin.post(f"/disputes/{dispute['id']}/resolution", split)

    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    settled = when(m.buyer, order, status_is("completed"))
    assert settled["disputed"] is False and settled["dispute"]["outcome"] == "split"
    seen = m.supplier.get(f"/disputes/{dispute['id']}").json()
    assert (seen["resolution"]["refund_amount"], seen["resolution"]["release_amount"]) == (
        25000,
        15000,
    )
    # The ledger: payments split the escrow from dispute.resolved, once.
    tab = eventually(
        lambda: (
            (r := m.buyer.get(f"/orders/{order['id']}/payments")).json()["status"] == "settled"
            and r.json()
        )
    )
    assert (tab["refunded"], tab["released"], tab["in_escrow"]) == (25000, 15000, 0)
    assert tab["movements"][-1]["cause"] == "dispute.resolved"
    kinds = [entry["kind"] for entry in timeline(m.supplier, order)]
    assert kinds[-3:] == ["reject_cancellation", "record_dispute_opened", "settle_dispute"]
    [*_, moved] = order_events.wait(order["id"], "order.status_changed")
    assert (moved["data"]["action"], moved["data"]["to"]) == ("settle_dispute", "completed")
    # The order says it completed (reputation, reviews); no order.accepted: payments settles
    # the split from dispute.resolved, once.
    [completed] = order_events.wait(order["id"], "order.completed")
    assert completed["causation_id"] == moved["causation_id"]
    assert not order_events.of(order["id"], "order.accepted")
    assert fetch(m.buyer, order)["status"] == "completed"
    audit = admin.get("/audit", params={"user_id": "ada"}).json()
    assert audit[0]["target"] == {"dispute_id": dispute["id"]}
    assert audit[0]["reason"] == "Half the concepts were done"

    # Each party heard what the seed tells them, once: the freelancer of the request to cancel,
    # the employer of the refusal, both of the dispute and its resolution, each of their money.
    refunded, released = 25000, 15000
    both = {"payment.held": 1, "dispute.opened": 1, "dispute.resolved": 1}
    buyer_hears = {**both, "order.cancellation_rejected": 1, "payment.refunded": 1}
    supplier_hears = {**both, "order.cancellation_requested": 1, "payment.released": 1}

    def heard(client, expected):
        def probe():
            kinds = feed(client, order)
            return kinds if {kind: kinds[kind] for kind in expected} == expected else None

        try:
            return eventually(probe, timeout=20)
        except AssertionError:
            kinds = feed(client, order)
            assert {kind: kinds[kind] for kind in expected} == expected, kinds
            raise

    buyer_feed = heard(m.buyer, buyer_hears)
    supplier_feed = heard(m.supplier, supplier_hears)
    assert not buyer_feed["order.cancellation_requested"] and not buyer_feed["payment.released"]
    assert not supplier_feed["order.cancellation_rejected"]
    assert not supplier_feed["payment.refunded"]
    assert titles_of(m.buyer, order, "payment.refunded")[0].startswith(money(refunded, "USD"))
    assert titles_of(m.supplier, order, "payment.released")[0].startswith(money(released, "USD"))
    assert eventually(
        lambda: (
            f"Order {SERVICE['title']} is now completed"
            in titles_of(m.buyer, order, "order.status_changed")
        )
    )
    # Staff heard of the dispute in their own feed (the public gateway's, with a staff token).
    sue = as_user("sue", "support", "platform")
    assert eventually(lambda: feed(sue, order)["dispute.opened"] == 1)


def test_seed_003_a_wrong_item_claim_approved_by_staff_pays_the_seller_once(
    market, system, as_user
):
    m = market("c003")
    order = m.place(RETAIL_ORDER)
    number = tracking_number()
    act(m.supplier, order, "ready_to_ship", {"tracking_number": number})
    door = carrier(system)
    start = datetime.now(UTC)
    sorted_at = scan(
        number, "in_transit", start, location="Ikeja hub", location_kind="sorting_centre"
    )
    assert door.post_generic("dhl", [sorted_at]).status_code == 202
    # The scan may reach fulfillment before the label does: it waits for its shipment there.
    when(m.buyer, order, status_is("shipped"), timeout=30)
    delivered = scan(number, "delivered", start + timedelta(hours=20))
    assert door.post_generic("dhl", [delivered]).status_code == 202
    when(m.buyer, order, status_is("delivered"))
    act(m.buyer, order, "return", {"reason": "wrong colour"})
    [parcel_back] = returns_of(m.supplier, order["id"])
    photo = upload(m.supplier, order["id"], "return_photo", "pickup.jpg", files.photo_with_gps())
    assert photo.status_code == 201, photo.text
    receipt = m.supplier.post(
        f"/orders/{order['id']}/returns/{parcel_back['id']}/receive",
        {"wrong_item": True, "photos": [photo.json()["id"]], "note": "a toaster came back"},
    )
    assert receipt.status_code == 200, receipt.text
    when(m.buyer, order, status_is("returned"))

    toaster = evidence_file(m.supplier, "toaster.png")
    request = {
        "kind": "wrong_item_returned",
        "reference": parcel_back["id"],
        "description": "A toaster came back instead of the kettle",
        "evidence": [{"file_id": toaster["file_id"], "name": "toaster.png"}],
    }
    # Until return.received reaches the disputes service, the claim is refused (409) or the
    # order unknown there (503): retry until it is taken.
    opened = eventually(
        lambda: (
            (r := m.supplier.post(f"/orders/{order['id']}/claims", request)).status_code
            not in (409, 503)
            and r
        ),
        timeout=20,
    )
    assert opened.status_code == 201, opened.text
    claim = opened.json()

    def wallet():
        [balance] = [
            b for b in m.supplier.get("/wallet").json()["balances"] if b["currency"] == "NGN"
        ] or [{"available": 0}]
        return balance["available"]

    before = wallet()
    admin = as_user("ada", "admin", "platform")
    admin.api_url = system.admin_url
    compensation = 300000
    decision = {"approve": True, "amount": compensation, "reason": "Warehouse photos match"}
    # More than the order was worth is refused (422) and decides nothing.
    too_much = {**decision, "amount": order["total"] + 1}
    refused = problem(admin.post(f"/claims/{claim['id']}/decision", too_much), 422)
    assert "amount" in refused["errors"]
    assert m.supplier.get(f"/claims/{claim['id']}").json()["status"] == "pending"
    decided = admin.post(f"/claims/{claim['id']}/decision", decision)
    assert decided.status_code == 200, decided.text
    # The same decision again is a conflict, and moves nothing.
    problem(admin.post(f"/claims/{claim['id']}/decision", decision), 409)

    assert eventually(lambda: wallet() == before + compensation, timeout=20)
    history = m.supplier.get("/wallet").json()["history"]
    assert [
        (h["kind"], h["order_id"], h["amount"]) for h in history if h["cause"] == "claim.approved"
    ] == [("compensation", order["id"], compensation)]
    assert eventually(lambda: feed(m.supplier, order)["claim.approved"] == 1)
    assert m.supplier.get(f"/claims/{claim['id']}").json()["status"] == "approved"
