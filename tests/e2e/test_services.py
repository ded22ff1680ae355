"""The freelance services workflow (seed 002) walked through the gateway: service and job orders,
draft and final deliveries, revisions up to the package's limit, cancellations by the freelancer,
at the employer's request, and by an admin."""

from e2e.walk import act, fetch, problem, status_is, timeline, when
from support.orders import job_terms

SERVICE = {
    "workflow": "services",
    "kind": "service",
    "title": "Logo design, basic package",
    "currency": "USD",
    "revisions_allowed": 1,
    "lines": [
        {"sku": "PKG-BASIC", "description": "Basic package", "quantity": 1, "unit_price": 15000}
    ],
}
JOB = {
    **SERVICE,
    "kind": "job",
    "title": "Landing page copy",
    "revisions_allowed": 2,
    "terms": job_terms(2),
}
FINAL = {"type": "final", "description": "Final logo files", "attachments": ["logo.svg"]}


def test_a_service_order_takes_a_draft_a_final_delivery_and_a_revision_and_completes_on_approval(
    market, order_events
):
    m = market("svc-deliver")
    order = m.place(SERVICE)
    assert (order["status"], order["kind"]) == ("in_progress", "service")
    assert (order["revisions_allowed"], order["revisions_used"]) == (1, 0)

    draft = act(
        m.supplier,
        order,
        "deliver",
        {"type": "draft", "description": "Three sketches", "attachments": ["a.png", "b.png"]},
    )
    assert draft["status"] == "in_progress"  # a draft is work in progress, not a delivery
    refused = problem(m.buyer.act(order["id"], "approve_delivery"), 409, "illegal-transition")
    assert refused["state"] == "in_progress"

    assert act(m.supplier, order, "deliver", FINAL)["status"] == "delivered"
    revising = act(m.buyer, order, "request_revision", {"instructions": "Bolder type, please"})
    assert (revising["status"], revising["revisions_used"]) == ("in_progress", 1)
    [revision] = order_events.wait(order["id"], "order.revision_requested")
    assert (
        revision["data"]["instructions"],
        revision["data"]["revisions_used"],
        revision["data"]["revisions_allowed"],
    ) == ("Bolder type, please", 1, 1)

    delivered = act(m.supplier, order, "deliver", {**FINAL, "description": "Bolder logo"})
    assert delivered["status"] == "delivered"

    # The package's single revision is used: another one is refused and changes nothing.
    limit = problem(
        m.buyer.act(order["id"], "request_revision", {"instructions": "Again"}), 409, "guard-failed"
    )
    assert limit["detail"] == "all 1 revisions included in the order have been used"
    unchanged = fetch(m.buyer, order)
    assert (unchanged["status"], unchanged["version"], unchanged["revisions_used"]) == (
        "delivered",
        delivered["version"],
        1,
    )

    completed = act(m.buyer, order, "approve_delivery")
    assert (completed["status"], completed["status_group"]) == ("completed", "completed")
    assert [(d["number"], d["type"], d["description"]) for d in completed["deliveries"]] == [
        (1, "draft", "Three sketches"),
        (2, "final", "Final logo files"),
        (3, "final", "Bolder logo"),
    ]
    assert completed["deliveries"][0]["attachments"] == ["a.png", "b.png"]
    submitted = order_events.wait(order["id"], "order.delivery_submitted", count=3)
    assert [e["data"]["type"] for e in submitted] == ["draft", "final", "final"]
    order_events.wait(order["id"], "order.completed")


def test_a_job_order_cancelled_by_the_freelancer_counts_against_them(market, order_events):
    m = market("svc-job")
    problem(
        m.buyer.post("/orders", {**JOB, "kind": "gig", "supplier_org": m.supplier.org}),
        422,
        "invalid-request",
    )
    order = m.place(JOB)
    assert order["kind"] == "job"

    # The employer may not cancel outright; only ask.
    problem(m.buyer.act(order["id"], "cancel", {"reason": "No longer needed"}), 403, "forbidden")

    cancelled = act(m.supplier, order, "cancel", {"reason": "Overbooked"})
    assert (cancelled["status"], cancelled["status_group"]) == ("cancelled", "cancelled")
    [event] = order_events.wait(order["id"], "order.cancelled")
    assert (event["data"]["by"], event["data"]["counts_against_supplier"]) == ("supplier", True)
    [entry] = [e for e in timeline(m.buyer, order) if e["kind"] == "cancel"]
    assert entry["data"]["counts_against_supplier"] is True
    assert entry["summary"] == "Order cancelled by supplier: Overbooked"


def test_an_employer_cancellation_request_approved_by_the_freelancer_cancels_the_order(
    market, order_events
):
    m = market("svc-cancel-yes")
    order = m.place(SERVICE)

    problem(
        m.buyer.act(order["id"], "request_cancellation", {"reason": "Budget cut"}),
        422,
        "invalid-request",
    )  # a description is due too
    asked = act(
        m.buyer,
        order,
        "request_cancellation",
        {"reason": "Budget cut", "description": "The project was cancelled"},
    )
    assert asked["status"] == "in_progress"
    assert asked["cancellation_request"]["status"] == "pending"
    problem(
        m.buyer.act(
            order["id"], "request_cancellation", {"reason": "Again", "description": "Again"}
        ),
        409,
        "guard-failed",
    )
    order_events.wait(order["id"], "order.cancellation_requested")

    cancelled = act(m.supplier, order, "approve_cancellation")
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancellation_request"]["status"] == "approved"
    [event] = order_events.wait(order["id"], "order.cancelled")
    assert (event["data"]["by"], event["data"]["counts_against_supplier"]) == ("buyer", False)
    assert event["data"]["reason"] == "Budget cut"


def test_a_rejected_cancellation_request_leaves_the_order_active_and_open_to_a_dispute(
    market, order_events
):
    m = market("svc-cancel-no")
    order = m.place(SERVICE)
    act(
        m.buyer,
        order,
        "request_cancellation",
        {"reason": "Too slow", "description": "Nothing delivered yet"},
    )

    kept = act(m.supplier, order, "reject_cancellation", {"response": "Draft due tomorrow"})
    assert kept["status"] == "in_progress"
    assert kept["cancellation_request"]["status"] == "rejected"
    [rejected] = order_events.wait(order["id"], "order.cancellation_rejected")
    assert rejected["data"]["response"] == "Draft due tomorrow"
    problem(m.supplier.act(order["id"], "approve_cancellation"), 409, "guard-failed")

    # Still active: the freelancer delivers, and the employer may take it to a dispute.
    assert act(m.supplier, order, "deliver", FINAL)["status"] == "delivered"
    m.publish(
        "dispute.resolved",
        {"order_id": order["id"], "dispute_id": "D-1", "outcome": "refund", "refund_amount": 15000},
        producer="disputes",
    )
    settled = when(m.buyer, order, status_is("cancelled"))
    assert settled["dispute"]["outcome"] == "refund"
    # The cancellation is told to the order's other consumers, against no one.
    [cancelled] = order_events.wait(order["id"], "order.cancelled")
    assert (cancelled["data"]["by"], cancelled["data"]["counts_against_supplier"]) == (
        "dispute",
        False,
    )


def test_an_admin_completes_or_cancels_any_active_order(market, order_events):
    m = market("svc-admin")
    first, second = m.place(SERVICE), m.place(JOB)
    act(m.supplier, second, "deliver", FINAL)

    problem(m.supplier.act(first["id"], "complete"), 403, "forbidden")
    completed = act(m.admin, first, "complete", {"reason": "Resolved by support"})
    assert completed["status"] == "completed"
    order_events.wait(first["id"], "order.completed")

    cancelled = act(m.admin, second, "cancel", {"reason": "Terms violation"})
    assert cancelled["status"] == "cancelled"
    [event] = order_events.wait(second["id"], "order.cancelled")
    assert (event["data"]["by"], event["data"]["counts_against_supplier"]) == ("admin", False)
    [entry] = [e for e in timeline(m.buyer, second) if e["kind"] == "cancel"]
    assert (entry["actor"]["role"], entry["actor"]["user_id"]) == ("admin", "ada")
