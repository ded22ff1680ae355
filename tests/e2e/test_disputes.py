"""Disputes and the admin gateway walked through HTTP on the whole system (seed 002): the
employer asks to cancel, the freelancer refuses, the employer opens a dispute with evidence from
the order page, the freelancer answers, staff resolve it with a split on the admin gateway."""

import io

from PIL import Image

from e2e.walk import act, fetch, problem, status_is, timeline, when
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

    screenshot = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(screenshot, format="PNG")
    uploaded = m.buyer.session.post(
        m.buyer.api_url + "/evidence",
        files={"file": ("sketches.png", screenshot.getvalue())},
        timeout=15,
    )
    assert uploaded.status_code == 201, uploaded.text
    sketches = uploaded.json()
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
    # No order.accepted: payments settles the split from dispute.resolved, once.
    assert not order_events.of(order["id"], "order.accepted")
    assert fetch(m.buyer, order)["status"] == "completed"
    audit = admin.get("/audit", params={"user_id": "ada"}).json()
    assert audit[0]["target"] == {"dispute_id": dispute["id"]}
    assert audit[0]["reason"] == "Half the concepts were done"
