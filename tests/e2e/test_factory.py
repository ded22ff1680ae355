"""The factory workflow (seed 001) walked through the gateway: the factory moves a confirmed order
forward one stage at a time, the buyer confirms receipt and reviews, then the factory reviews the
buyer."""

from e2e.walk import act, fetch, problem, timeline

ORDER = {
    "workflow": "factory",
    "title": "Injection-moulded housings",
    "currency": "USD",
    "lines": [{"sku": "HSG-3", "description": "ABS housing", "quantity": 500, "unit_price": 420}],
}
TOTAL = 500 * 420


def shipped(m):
    order = m.place(ORDER)
    for _ in range(3):
        order = act(m.supplier, order, "advance")
    assert order["status"] == "shipped"
    return order


def test_the_factory_moves_the_order_forward_one_stage_at_a_time_and_no_stage_is_skipped(market):
    m = market("factory-stages")
    order = m.place(ORDER)
    assert (order["status"], order["workflow"]) == ("confirmed", "factory")
    assert fetch(m.supplier, order)["allowed_actions"] == ["advance"]

    # The buyer cannot confirm receipt of an order that has not shipped: no stage is skipped.
    refused = problem(m.buyer.act(order["id"], "confirm_receipt"), 409, "illegal-transition")
    assert (refused["state"], refused["allowed"]) == ("confirmed", [])

    stages = [act(m.supplier, order, "advance", {"note": "On schedule"})["status"]]
    stages.append(act(m.supplier, order, "advance")["status"])
    problem(m.buyer.act(order["id"], "confirm_receipt"), 409, "illegal-transition")
    stages.append(act(m.supplier, order, "advance")["status"])
    assert stages == ["in_production", "quality_check", "shipped"]

    # Past Shipped the factory has nothing more to move: the buyer confirms receipt.
    refused = problem(m.supplier.act(order["id"], "advance"), 409, "illegal-transition")
    assert (refused["state"], refused["allowed"]) == ("shipped", [])

    moves = [
        (entry["data"]["from"], entry["data"]["to"])
        for entry in timeline(m.buyer, order)
        if entry["kind"] == "advance"
    ]
    assert moves == [
        ("confirmed", "in_production"),
        ("in_production", "quality_check"),
        ("quality_check", "shipped"),
    ]
    assert fetch(m.buyer, order)["version"] == order["version"] + 3


def test_the_buyer_confirms_receipt_and_the_order_completes_with_the_buyers_review(
    market, order_events
):
    m = market("factory-receipt")
    order = shipped(m)

    received = act(m.buyer, order, "confirm_receipt")
    assert received["status"] == "delivered"
    [accepted] = order_events.wait(order["id"], "order.accepted")
    assert accepted["data"]["amount"] == TOTAL
    order_events.wait(order["id"], "order.delivered")

    problem(m.buyer.act(order["id"], "post_review", {"rating": 6}), 422, "invalid-request")
    early = problem(m.supplier.act(order["id"], "post_review", {"rating": 5}), 409, "guard-failed")
    assert early["detail"] == "no review by the buyer yet"  # seed 001: the buyer reviews first

    completed = act(m.buyer, order, "post_review", {"rating": 4, "comment": "Good parts"})
    assert (completed["status"], completed["status_group"]) == ("completed", "completed")
    assert completed["reviews"]["buyer"]["comment"] == "Good parts"

    again = problem(m.buyer.act(order["id"], "post_review", {"rating": 1}), 409, "guard-failed")
    assert again["detail"] == "the buyer has already reviewed this order"

    [review] = order_events.wait(order["id"], "review.posted")
    assert (review["data"]["reviewer_role"], review["data"]["rating"]) == ("buyer", 4)
    order_events.wait(order["id"], "order.completed")


def test_the_factory_reviews_the_buyer_after_the_order_completed(market):
    m = market("factory-review")
    order = shipped(m)
    act(m.buyer, order, "confirm_receipt")

    assert act(m.buyer, order, "post_review", {"rating": 5})["status"] == "completed"
    after = act(m.supplier, order, "post_review", {"rating": 3, "comment": "Slow to answer"})

    assert after["status"] == "completed"
    assert {role: review["rating"] for role, review in after["reviews"].items()} == {
        "buyer": 5,
        "supplier": 3,
    }
    summaries = [
        entry["summary"] for entry in timeline(m.supplier, order) if entry["kind"] == "post_review"
    ]
    assert summaries == ["The buyer left a 5-star review", "The supplier left a 3-star review"]
